"""Forms of the customers desk: they parse and validate input, the services decide.

Choice lists that name organisation units or people (region, location, owner) are narrowed
with ``visible_to`` so a form never offers, or accepts, something outside the user's scope.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontoffice.core.scoping import visible_to
from frontoffice.org.models import Location, Region, Staff, User
from frontoffice.parties.models import Interaction, Party
from frontoffice.parties.selectors import PARTY_ORDERINGS

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


ALL = _("All")


def _with_blank(choices: Any, label: Any = ALL) -> list[tuple[str, Any]]:
    return [("", label), *list(choices)]


def visible_regions(user: Any) -> QuerySet[Region]:
    return visible_to(Region.objects.all(), user).order_by("name")


def visible_locations(user: Any) -> QuerySet[Location]:
    return visible_to(Location.objects.all(), user).order_by("name")


def staff_users_in_scope(user: Any) -> QuerySet[User]:
    """Users with an active staff profile the user can see: who a customer may be given to."""
    staff = visible_to(Staff.objects.filter(active=True), user)
    return User.objects.filter(staff__in=staff).order_by("first_name", "last_name", "username")


def split_tags(value: str) -> list[str]:
    return [t.strip() for t in (value or "").split(",") if t.strip()]


class PartyFilterForm(forms.Form):
    """The customer list's search box and filters; unknown values are dropped, not errors."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_with_blank(Party.Kind.choices))
    source = forms.ChoiceField(label=_("Source"), required=False, choices=_with_blank(Party.Source.choices))
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    owner = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        choices=[("", _("Anyone")), ("me", _("Mine")), ("none", _("Unassigned"))],
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    location = forms.ChoiceField(label=_("Location"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(key, key) for key in PARTY_ORDERINGS],
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = _with_blank((str(r.pk), r.name) for r in visible_regions(user))
        self.fields["location"].choices = _with_blank(
            (str(loc.pk), loc.name) for loc in visible_locations(user)
        )

    def filters(self) -> dict[str, str]:
        """Keyword arguments for ``selectors.party_list``; invalid fields are ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        keys = ("kind", "source", "tag", "owner", "region", "location")
        filters = {key: data.get(key) or "" for key in keys if key not in self.errors}
        filters["query"] = "" if "q" in self.errors else (data.get("q") or "").strip()
        filters["ordering"] = "" if "sort" in self.errors else data.get("sort") or "name"
        return filters

    @property
    def is_filtered(self) -> bool:
        filters = self.filters()
        return any(value for key, value in filters.items() if key != "ordering")


class PartyForm(forms.Form):
    """Create or edit a customer. Normalisation and domain rules live in the services."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Party.Kind.choices, initial=Party.Kind.PERSON)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    organisation_name = forms.CharField(
        label=_("Organisation name"),
        max_length=200,
        required=False,
        help_text=_("Required for organisations."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        help_text=_("For example 070-123 45 67 or +46 70 123 45 67."),
    )
    organisation_number = forms.CharField(
        label=_("Organisation number"),
        max_length=20,
        required=False,
        help_text=_("Swedish organisations: NNNNNN-NNNN."),
    )
    street = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        min_length=2,
        initial="SE",
        help_text=_("Two-letter code, e.g. SE."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Party._meta.get_field("language").choices)
    tags = forms.CharField(
        label=_("Tags"), max_length=500, required=False, help_text=_("Separate tags with commas.")
    )
    source = forms.ChoiceField(label=_("Source"), choices=Party.Source.choices, initial=Party.Source.OTHER)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("Unassigned")
    )
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), required=False, empty_label=_("None")
    )
    consent_data_processing = forms.BooleanField(label=_("Consents to data processing"), required=False)
    consent_marketing = forms.BooleanField(label=_("Consents to marketing"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    allow_duplicate = forms.BooleanField(label=_("Create anyway, it is a different customer"), required=False)

    fieldsets = [
        (_("Name"), ["kind", "first_name", "last_name", "organisation_name"]),
        (_("Contact"), ["email", "phone", "organisation_number"]),
        (_("Address"), ["street", "postal_code", "city", "country", "language"]),
        (_("Responsibility"), ["owner", "location", "source", "tags"]),
        (_("Consent and notes"), ["consent_data_processing", "consent_marketing", "notes"]),
    ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users_in_scope(user)
        self.fields["location"].queryset = visible_locations(user)
        self.fields["language"].initial = "sv"

    @classmethod
    def initial_for(cls, party: Party) -> dict[str, Any]:
        initial = {
            name: getattr(party, name)
            for name in cls.base_fields
            if name not in {"tags", "owner", "location", "allow_duplicate"}
        }
        initial["owner"] = party.owner_id
        initial["location"] = party.location_id
        initial["tags"] = ", ".join(tag.name for tag in party.tags.all())
        return initial

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.fieldsets]

    def service_kwargs(self) -> dict[str, Any]:
        """What ``party_create`` / ``party_update`` take, from the cleaned data."""
        data = self.cleaned_data
        kwargs = {name: data[name] for name in self.fields if name not in {"allow_duplicate", "tags"}}
        kwargs["country"] = kwargs["country"].upper()
        kwargs["tags"] = split_tags(data["tags"])
        return kwargs


class InteractionForm(forms.Form):
    """Log one contact with a customer from their page."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Interaction.Kind.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Interaction.Channel.choices)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Interaction.Direction.choices, initial=Interaction.Direction.INBOUND
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    started_at = forms.DateTimeField(
        label=_("Started"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    ended_at = forms.DateTimeField(
        label=_("Ended"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    outcome = forms.CharField(label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("started_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        started, ended = data.get("started_at"), data.get("ended_at")
        if started and ended and ended < started:
            self.add_error(
                "ended_at", ValidationError(_("The end must be after the start."), code="ends_before_start")
            )
        return data


class InteractionFilterForm(forms.Form):
    """Filters of the interaction list, applied on top of ``selectors.interaction_list``."""

    q = forms.CharField(label=_("Subject contains"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_with_blank(Interaction.Kind.choices))
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=_with_blank(Interaction.Channel.choices)
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filter(self, qs: QuerySet[Interaction]) -> QuerySet[Interaction]:
        """Narrow an already scoped queryset; invalid fields are ignored."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        if data.get("channel"):
            qs = qs.filter(channel=data["channel"])
        if data.get("q"):
            qs = qs.filter(subject__icontains=data["q"].strip())
        tz = timezone.get_current_timezone()
        if data.get("date_from"):
            qs = qs.filter(started_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz))
        if data.get("date_to"):
            qs = qs.filter(started_at__lte=datetime.combine(data["date_to"], time.max, tzinfo=tz))
        return qs

    @property
    def kind_value(self) -> str:
        self.is_valid()
        return "" if "kind" in self.errors else getattr(self, "cleaned_data", {}).get("kind") or ""

    @property
    def is_filtered(self) -> bool:
        self.is_valid()
        return any(v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors)


class MergeSearchForm(forms.Form):
    q = forms.CharField(label=_("Find the customer to keep"), required=False, max_length=200)


class EraseForm(forms.Form):
    """Erasure is irreversible: the user types the customer's name to confirm."""

    confirm_name = forms.CharField(label=_("Type the customer's name to confirm"), max_length=255)

    def __init__(self, *args: Any, party: Party, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.party = party

    def clean_confirm_name(self) -> str:
        value = " ".join(self.cleaned_data["confirm_name"].split())
        if value.casefold() != " ".join(self.party.display_name.split()).casefold():
            raise ValidationError(
                _("This is not the customer's name. Type “%(name)s” to confirm."),
                code="name_mismatch",
                params={"name": self.party.display_name},
            )
        return value
