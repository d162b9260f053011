"""Input shapes of the surveys pages; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.surveys.models import SCORE_RANGE, Complaint, SurveyKind


def apply_errors(form: forms.Form, exc: Any) -> None:
    """Show a service's ValidationError on the form: by field where the form has it, else on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class AnswerForm(forms.Form):
    """The customer's answer; the choices follow the survey (CSAT 1-5, NPS 0-10)."""

    score = forms.ChoiceField(label=_("Your answer"), widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        low, high = SCORE_RANGE[SurveyKind(kind)]
        self.fields["score"].choices = [(str(i), str(i)) for i in range(low, high + 1)]


class SettingsForm(forms.Form):
    fatigue_days = forms.IntegerField(
        label=_("At most one survey per customer every (days)"), min_value=0, max_value=365
    )
    link_days = forms.IntegerField(label=_("Links expire after (days)"), min_value=1, max_value=90)
    reminder_days = forms.IntegerField(label=_("One reminder after (days)"), min_value=1, max_value=89)

    def __init__(self, *args: Any, kinds: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        choices = [("", _("No survey")), *SurveyKind.choices]
        for kind in kinds:
            help_text = _("This desk also sends its own feedback link.") if kind.own_feedback else ""
            self.fields[self.field_name(kind.key)] = forms.ChoiceField(
                label=kind.label, choices=choices, required=False, help_text=help_text
            )

    @staticmethod
    def field_name(key: str) -> str:
        return "trigger__" + key.replace(".", "__")

    def triggers(self) -> dict[str, str]:
        return {k.key: self.cleaned_data.get(self.field_name(k.key)) or "" for k in self.kinds}


class RequestFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Survey"), required=False, choices=[("", _("All")), *SurveyKind.choices])
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All")),
            ("sent", _("Waiting for an answer")),
            ("answered", _("Answered")),
            ("expired", _("Expired")),
        ],
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class ComplaintForm(forms.Form):
    desk = forms.ChoiceField(label=_("Desk"), choices=Complaint.Desk.choices)
    channel = forms.ChoiceField(label=_("Received by"), choices=Complaint.Channel.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    location = forms.ModelChoiceField(label=_("Location"), queryset=None, required=False)
    party = forms.IntegerField(label=_("Customer"), required=False, widget=forms.HiddenInput)
    survey_request = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The record it is about, "app_label.model:pk" (the visit when logged from a visit).
    about = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    owner = UserChoiceField(label=_("Owner"), queryset=None, required=False)
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, owners: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["location"].queryset = locations


class ComplaintUpdateForm(forms.Form):
    owner = UserChoiceField(label=_("Owner"), queryset=None, required=False)
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[c for c in Complaint.Status.choices if c[0] != "resolved"]
    )

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class ComplaintResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ComplaintFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("unresolved", _("Not resolved")), *Complaint.Status.choices],
    )
    desk = forms.ChoiceField(
        label=_("Desk"), required=False, choices=[("", _("All")), *Complaint.Desk.choices]
    )
    location = forms.ModelChoiceField(label=_("Location"), queryset=None, required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations
