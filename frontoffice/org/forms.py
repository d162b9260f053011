"""Input parsing for the settings pages. Business rules live in services; choice fields only
offer rows the user can see, so a guessed id of another unit is an invalid choice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from frontoffice.core.scoping import ScopeLevel, visible_to
from frontoffice.org import selectors
from frontoffice.org.hours import WEEKDAYS
from frontoffice.org.models import TIME_ZONE_CHOICES, Location, Role, Staff

LANGUAGE_CHOICES = [("en", _("English")), ("sv", _("Swedish"))]


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has it, else on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        for error in errors:
            day = (error.params or {}).get("day_key") if name == "opening_hours" else None
            if day and f"{day}_open" in form.fields:
                form.add_error(f"{day}_open", error)
            elif name in form.fields and name != NON_FIELD_ERRORS:
                form.add_error(name, error)
            else:
                form.add_error(None, error)


class UnitChoiceField(forms.ModelChoiceField):
    """Regions and locations are labelled with their legal entity, as names may repeat."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} · {obj.legal_entity}"


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} · {obj.legal_entity}"


def _visible_staff(user: Any) -> Any:
    return visible_to(Staff.objects.select_related("user"), user).filter(active=True)


class LegalEntityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    organisation_number = forms.CharField(
        label=_("Organisation number"), max_length=13, help_text=_("Ten digits, e.g. 556036-0793.")
    )
    vat_number = forms.CharField(label=_("VAT number"), max_length=20, required=False)
    base_currency = forms.CharField(label=_("Base currency"), max_length=3, initial="SEK")
    country = forms.CharField(
        label=_("Country"), max_length=2, initial="SE", help_text=_("ISO code, e.g. SE.")
    )
    default_language = forms.ChoiceField(label=_("Default language"), choices=LANGUAGE_CHOICES, initial="sv")


class RegionForm(forms.Form):
    legal_entity = forms.ModelChoiceField(label=_("Legal entity"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("Short identifier; made from the name if empty."),
    )

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["legal_entity"]
        else:
            self.fields["legal_entity"].queryset = selectors.legal_entity_list(user=user)


class LocationForm(forms.Form):
    region = UnitChoiceField(label=_("Region"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Location.Kind.choices)
    street = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, initial="SE")
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="Europe/Stockholm")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        hours = kwargs.pop("opening_hours", None) or {}
        super().__init__(*args, **kwargs)
        self.stored_hours = hours
        self.fields["region"].queryset = selectors.region_list(user=user)
        for key, label in WEEKDAYS:
            intervals = hours.get(key) or []
            self.fields[f"{key}_closed"] = forms.BooleanField(
                label=_("Closed"), required=False, initial=not intervals if hours else key in ("sat", "sun")
            )
            time_input = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            self.fields[f"{key}_open"] = forms.CharField(
                label=_("%(day)s opens") % {"day": label},
                required=False,
                widget=time_input,
                initial=intervals[0][0] if intervals else "",
            )
            self.fields[f"{key}_close"] = forms.CharField(
                label=_("%(day)s closes") % {"day": label},
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                initial=intervals[0][1] if intervals else "",
            )

    def weekdays(self) -> list[dict[str, Any]]:
        """The per-day editor rows for the template."""
        return [
            {
                "key": key,
                "label": label,
                "closed": self[f"{key}_closed"],
                "open": self[f"{key}_open"],
                "close": self[f"{key}_close"],
            }
            for key, label in WEEKDAYS
        ]

    def non_hours_fields(self) -> list[Any]:
        return [
            self[name]
            for name in ("region", "name", "kind", "street", "postal_code", "city", "country", "time_zone")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        hours: dict[str, list[list[str]]] = {}
        for key, label in WEEKDAYS:
            opens = (data.get(f"{key}_open") or "").strip()[:5]
            closes = (data.get(f"{key}_close") or "").strip()[:5]
            if data.get(f"{key}_closed") or not (opens or closes):
                hours[key] = []
            elif not (opens and closes):
                self.add_error(
                    f"{key}_open",
                    ValidationError(
                        _("%(day)s: enter both times or tick “Closed”."),
                        code="hours_missing",
                        params={"day": label},
                    ),
                )
            else:
                stored = self.stored_hours.get(key) or []
                # The editor shows one interval a day; extra stored ones (a lunch break set
                # through the API) survive as long as the first interval is left as it was.
                hours[key] = stored if stored and stored[0] == [opens, closes] else [[opens, closes]]
        data["opening_hours"] = hours
        return data


class TeamForm(forms.Form):
    location = UnitChoiceField(label=_("Location"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=200)
    lead = forms.ModelChoiceField(label=_("Team lead"), queryset=None, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.location_list(user=user)
        self.fields["lead"].queryset = _visible_staff(user)


class StaffForm(forms.Form):
    """Create (with the user's name and e-mail) or edit (with the active flag) a staff member."""

    email = forms.EmailField(label=_("E-mail address"))
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    legal_entity = forms.ModelChoiceField(label=_("Legal entity"), queryset=None)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.order_by("name"))
    title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    supervisor = forms.ModelChoiceField(label=_("Supervisor"), queryset=None, required=False)
    home_region = UnitChoiceField(label=_("Home region"), queryset=None, required=False)
    home_location = UnitChoiceField(label=_("Home location"), queryset=None, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)
    regions = UnitMultipleChoiceField(
        label=_("Regions managed"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    locations = UnitMultipleChoiceField(
        label=_("Locations managed"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("Inactive staff cannot sign in; their history stays.")
    )

    CREATE_ONLY = ("email", "username", "first_name", "last_name", "legal_entity")

    def __init__(self, *args: Any, user: Any, staff: Staff | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff is None:
            del self.fields["active"]
            self.fields["legal_entity"].queryset = selectors.legal_entity_list(user=user)
            entity = None
        else:
            for name in self.CREATE_ONLY:
                del self.fields[name]
            entity = staff.legal_entity_id
        supervisors = _visible_staff(user)
        if staff is not None:
            supervisors = supervisors.exclude(pk=staff.pk)
        self.fields["supervisor"].queryset = supervisors
        self.fields["home_region"].queryset = selectors.region_list(user=user, legal_entity=entity)
        self.fields["home_location"].queryset = selectors.location_list(user=user, legal_entity=entity)
        self.fields["team"].queryset = selectors.team_list(user=user, legal_entity=entity)
        self.fields["regions"].queryset = selectors.region_list(user=user, legal_entity=entity)
        self.fields["locations"].queryset = selectors.location_list(user=user, legal_entity=entity)


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    scope = forms.ChoiceField(
        label=_("Scope"), choices=ScopeLevel.choices, help_text=_("How far holders of this role can see.")
    )
    permissions = forms.ModelMultipleChoiceField(
        label=_("Permissions"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["permissions"].queryset = selectors.assignable_permissions()

    def permission_groups(self) -> list[dict[str, Any]]:
        """Checkbox groups by app: ``[{"label": app name, "options": [(id, label, checked)]}]``."""
        if self.is_bound:
            chosen = {str(v) for v in self.data.getlist("permissions")}
        else:
            chosen = {str(getattr(p, "pk", p)) for p in self.initial.get("permissions", [])}
        return [
            {
                "label": label,
                "options": [
                    (p.pk, p.name, f"{p.content_type.app_label}.{p.codename}", str(p.pk) in chosen)
                    for p in perms
                ],
            }
            for label, perms in selectors.permissions_by_app()
        ]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    legal_entity = forms.ModelChoiceField(label=_("Legal entity"), queryset=None)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.order_by("name"))
    home_region = UnitChoiceField(label=_("Home region"), queryset=None, required=False)
    home_location = UnitChoiceField(label=_("Home location"), queryset=None, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["legal_entity"].queryset = selectors.legal_entity_list(user=user)
        self.fields["home_region"].queryset = selectors.region_list(user=user)
        self.fields["home_location"].queryset = selectors.location_list(user=user)


class InvitationAcceptForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, help_text=_("Letters, digits and @/./+/-/_ only.")
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error(
                "password_again", ValidationError(_("The two passwords differ."), code="password_mismatch")
            )
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “Reporting script”.")
    )
