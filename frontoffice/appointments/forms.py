"""Forms of the appointments pages. Times are entered as local date + time at the location."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.appointments import rules, selectors
from frontoffice.appointments.models import AppointmentType, Resource, WorkingHours
from frontoffice.core.scoping import visible_to


def _aware(location: Any, day: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, time, tzinfo=rules.location_zone(location))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class AppointmentForm(forms.Form):
    party = forms.ModelChoiceField(queryset=None, label=_("Patient / visitor"))
    appointment_type = forms.ModelChoiceField(queryset=None, label=_("Appointment type"))
    resource = forms.ModelChoiceField(queryset=None, label=_("With"))
    room = forms.ModelChoiceField(queryset=None, label=_("Room"), required=False)
    day = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())
    notes = forms.CharField(
        label=_("Notes for the desk"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    health_notes = forms.CharField(
        label=_("Health-related notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown only on the appointment itself."),
    )

    def __init__(self, *args: Any, user: Any, location: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from frontoffice.parties.models import Party

        self.location = location
        self.fields["party"].queryset = visible_to(Party.objects.filter(merged_into__isnull=True), user)
        self.fields["party"].widget = forms.HiddenInput()
        self.fields["appointment_type"].queryset = selectors.types_for(user, location)
        resources = selectors.resources_for(user, location)
        self.fields["resource"].queryset = resources
        self.fields["room"].queryset = resources.filter(kind=Resource.Kind.ROOM)

    def start_at(self) -> datetime.datetime:
        return _aware(self.location, self.cleaned_data["day"], self.cleaned_data["time"])


class MoveForm(forms.Form):
    resource = forms.ModelChoiceField(queryset=None, label=_("With"))
    day = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())

    def __init__(self, *args: Any, user: Any, location: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.location = location
        self.fields["resource"].queryset = selectors.resources_for(user, location)

    def start_at(self) -> datetime.datetime:
        return _aware(self.location, self.cleaned_data["day"], self.cleaned_data["time"])


class FollowUpForm(forms.Form):
    appointment_type = forms.ModelChoiceField(queryset=None, label=_("Appointment type"))
    resource = forms.ModelChoiceField(queryset=None, label=_("With"))
    day = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())

    def __init__(self, *args: Any, user: Any, location: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.location = location
        self.fields["appointment_type"].queryset = selectors.types_for(user, location)
        self.fields["resource"].queryset = selectors.resources_for(user, location)

    def start_at(self) -> datetime.datetime:
        return _aware(self.location, self.cleaned_data["day"], self.cleaned_data["time"])


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["name", "kind", "user", "position", "active"]


class AppointmentTypeForm(forms.ModelForm):
    class Meta:
        model = AppointmentType
        fields = [
            "name",
            "location",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "colour",
            "requires_practitioner",
            "requires_room",
            "active",
        ]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.locations_for(user)


class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ["weekday", "start_time", "end_time", "valid_from", "valid_until"]
        widgets = {
            "start_time": TimeInput(),
            "end_time": TimeInput(),
            "valid_from": DateInput(),
            "valid_until": DateInput(),
        }


WorkingHoursFormSet = forms.formset_factory(WorkingHoursForm, extra=2, can_delete=True)


class AbsenceForm(forms.Form):
    start_day = forms.DateField(label=_("From date"), widget=DateInput())
    start_time = forms.TimeField(label=_("From time"), widget=TimeInput(), initial="00:00")
    end_day = forms.DateField(label=_("Until date"), widget=DateInput())
    end_time = forms.TimeField(label=_("Until time"), widget=TimeInput(), initial="23:59")
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def times(self, location: Any) -> tuple[datetime.datetime, datetime.datetime]:
        data = self.cleaned_data
        return _aware(location, data["start_day"], data["start_time"]), _aware(
            location, data["end_day"], data["end_time"]
        )
