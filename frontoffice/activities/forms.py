"""Forms of the activities pages. They parse input only; the services hold the rules."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.activities.models import LANGUAGES, Activity, Meeting
from frontoffice.activities.selectors import ACTIVITY_STATUSES

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_ZONES = [(z, z) for z in sorted(zoneinfo.available_timezones()) if z.startswith("Europe/")]


class ActivityFilterForm(forms.Form):
    """Filters of the activity list and its export; ``party`` comes from the customer page's
    link. Owner choices are the staff within the user's reach; every filter only narrows the
    scoped list."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Subject, notes or customer name."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Activity.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("open", _("Open")),
            ("overdue", _("Overdue")),
            ("done", _("Done")),
            ("all", _("All")),
        ],
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    date_from = forms.DateField(
        label=_("Date from"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Done on, or due on when not done yet."),
    )
    date_to = forms.DateField(label=_("Date to"), required=False, widget=DATE_WIDGET)
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DATE_WIDGET)
    due_to = forms.DateField(label=_("Due to"), required=False, widget=DATE_WIDGET)
    party = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # The sales managers' report links a region's figures here (sales.manager_reports).
    region = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    KEYS = ("q", "kind", "status", "owner", "party", "date_from", "date_to", "due_from", "due_to", "region")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from frontoffice.sales.selectors import owner_label, owners_for

        # People who left stay choosable: a link to their activities must not widen to everyone's.
        self.fields["owner"].choices = [
            ("", _("Everyone I can see")),
            ("me", _("Mine")),
            *[(str(u.pk), owner_label(u)) for u in owners_for(user, include_inactive=True)],
        ]

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid value (an owner out of reach, a bad date) is left
        out rather than reported, like the opportunity filters."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        filters = {key: data.get(key) for key in self.KEYS}
        filters["q"] = data.get("q") or ""
        filters["status"] = data.get("status") if data.get("status") in ACTIVITY_STATUSES else "open"
        return filters

    @property
    def is_filtered(self) -> bool:
        return any(v for k, v in self.filters().items() if k != "status")


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices, initial=Activity.Kind.CALL)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Activity.Direction.choices, initial="outbound"
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    done = forms.BooleanField(label=_("Already done (log it)"), required=False, initial=True)
    due_at = forms.DateTimeField(label=_("Due"), required=False, widget=DATETIME_WIDGET)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, min_value=0, max_value=1440
    )
    outcome = forms.CharField(label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=200)
    next_step_on = forms.DateField(label=_("Next step date"), required=False, widget=DATE_WIDGET)


class CompleteForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=2000)
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=200)
    next_step_on = forms.DateField(label=_("Next step date"), required=False, widget=DATE_WIDGET)


class EmailForm(forms.Form):
    template = forms.ModelChoiceField(label=_("Template"), queryset=None, required=False)
    to = forms.EmailField(label=_("To"), required=False)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    body = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args: Any, templates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates


class EmailTemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Body"), widget=forms.Textarea(attrs={"rows": 10}))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class MeetingForm(forms.Form):
    party = forms.IntegerField(widget=forms.HiddenInput)
    lead = forms.IntegerField(widget=forms.HiddenInput, required=False)
    opportunity = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME_WIDGET)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME_WIDGET)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONES, initial="Europe/Stockholm")
    office = forms.ModelChoiceField(label=_("Office"), queryset=None, required=False)
    place = forms.CharField(label=_("Place (address or room)"), required=False, max_length=200)
    attendees = forms.ModelMultipleChoiceField(label=_("Colleagues attending"), queryset=None, required=False)
    agenda = forms.CharField(label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(
        self, *args: Any, offices: Any, colleagues: Any, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        self.fields["attendees"].queryset = colleagues
        if editing:
            for name in ("party", "lead", "opportunity"):
                self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # The browser's datetime-local is wall time in the chosen zone, not the server's.
        tz = zoneinfo.ZoneInfo(data.get("time_zone") or "Europe/Stockholm")
        for name in ("starts_at", "ends_at"):
            value = data.get(name)
            if value is not None:
                data[name] = value.replace(tzinfo=None).replace(tzinfo=tz) if self.data.get(name) else value
        return data


class OutcomeForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=200)
    next_step_on = forms.DateField(label=_("Next step date"), required=False, widget=DATE_WIDGET)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was the meeting?"),
        choices=[(i, str(i)) for i in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


MEETING_STATUS_CHOICES = [("", _("All statuses")), *Meeting.Status.choices]
