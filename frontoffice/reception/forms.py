"""Forms of the reception desk: they validate the shape of input; rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.reception.models import Kiosk, Visit

LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]


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


class WalkInForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Who"), choices=Visit.Kind.choices, widget=forms.RadioSelect, initial="patient"
    )
    party = forms.IntegerField(label=_("Patient / visitor record"), required=False, widget=forms.HiddenInput)
    visitor_name = forms.CharField(label=_("Visitor's name"), max_length=200, required=False)
    host = UserChoiceField(
        label=_("Host"), queryset=None, required=False, empty_label=_("(patient: no host)")
    )
    purpose = forms.CharField(
        label=_("Purpose"), max_length=200, required=False, help_text=_("No health-related details.")
    )

    def __init__(self, *args: Any, hosts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = hosts


class ProspectForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(
        label=_("E-mail"), required=False, help_text=_("Needed for the new-patient follow-up.")
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES, initial="sv")
    channel = forms.ChoiceField(
        label=_("How they reached us"),
        choices=[("in_person", _("Walked in")), ("phone", _("Called"))],
        initial="in_person",
    )
    interest = forms.CharField(
        label=_("What they ask about"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the new-patient follow-up. No health-related details."),
    )
    consent = forms.BooleanField(
        label=_("They consent to us storing their details and contacting them about becoming a patient."),
        required=False,
    )
    arrived = forms.BooleanField(label=_("They are here now: add them to the waiting room."), required=False)


class KioskForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, initial=_("Waiting room tablet"))
    screen_shows = forms.ChoiceField(label=_("Waiting-room screen shows"), choices=Kiosk.ScreenShows.choices)


class TargetForm(forms.Form):
    minutes = forms.IntegerField(label=_("Waiting-time target (minutes)"), min_value=1, max_value=240)


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
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


class KioskCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your booking code"),
        max_length=300,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "autofocus": True}
        ),
        help_text=_("From your confirmation e-mail, e.g. ABCD-EF23 (or paste the check-in link)."),
    )
