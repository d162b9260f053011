"""Billing profiles: how one legal entity bills one customer (journey 6 starts here).

Invariants:
- one profile per (legal entity, customer); the legal entity is the customer's, and the
  customer is neither merged nor erased;
- the customer is visible to the actor, and so would be the profile (``billing_profile_in_reach``):
  a sales rep sets up billing for their own customers only (an unassigned lead must be
  assigned first);
- Swedish organisation or personal identity numbers carry a valid check digit and are stored
  ``NNNNNN-NNNN``; a Swedish VAT number is SE, the same ten digits and 01; Swedish postal
  codes are stored ``NNN NN``;
- delivery by e-mail needs a billing e-mail, delivery by Peppol a participant id
  (``scheme:identifier``; scheme 0007 is a Swedish organisation number with its check digit);
- payment terms are 0..365 days, the credit limit a Decimal of at least 0 (never a float),
  the currency SEK (the only one supported for now), the language sv or en, and a VAT code
  override an active code of the legal entity;
- every change needs ``billing.add_billingprofile``/``billing.change_billingprofile`` and is
  audited (``billing.profile.created``/``.updated``).

Discounts and prices of a customer live in ``pricing`` (price profiles), not here.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.billing.models import BillingProfile, BillingSettings, DeliveryMethod, VatCode
from frontoffice.billing.services.catalogue import (
    Errors,
    Refs,
    add_error,
    clean_text,
    decimal_value,
    full_clean_into,
    normalise_postal_code,
    raise_errors,
    related,
    snapshot_of,
)
from frontoffice.core.audit import audit_created, audit_record, diff
from frontoffice.core.contact import normalise_email
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import ScopeRule, scope_q, user_scope, visible_to
from frontoffice.org.validators import luhn_valid, normalise_organisation_number, normalise_vat_number
from frontoffice.parties.models import Party

PROFILE_FIELDS = [
    "legal_name",
    "organisation_number",
    "vat_number",
    "street",
    "postal_code",
    "city",
    "country",
    "billing_email",
    "payment_terms_days",
    "credit_limit_amount",
    "delivery",
    "peppol_id",
    "buyer_reference",
    "language",
    "currency",
    "default_vat_code",
    "active",
]
LANGUAGES = ("sv", "en")
CURRENCIES = ("SEK",)
MAX_TERMS_DAYS = 365
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# ISO 6523 ICD (four digits) and the identifier; what Peppol calls a participant id.
_PEPPOL_ID = re.compile(r"^(?P<scheme>[0-9]{4}):(?P<id>[A-Za-z0-9][A-Za-z0-9.\-_]{0,49})$")


def normalise_peppol_id(value: str) -> str:
    """``0007:556036-0793`` → ``0007:5560360793``. Scheme 0007 (Swedish organisation number)
    is checked like one; other schemes only for their shape."""
    raw = re.sub(r"\s", "", value or "")
    match = _PEPPOL_ID.match(raw)
    if not match:
        raise ValidationError(
            _("Enter the Peppol id as scheme:identifier, e.g. 0007:5560360793."), code="peppol_id_format"
        )
    scheme, ident = match.group("scheme"), match.group("id")
    if scheme == "0007":
        digits = ident.replace("-", "")
        if not (digits.isdigit() and len(digits) == 10 and luhn_valid(digits)):
            raise ValidationError(
                _("Scheme 0007 takes a Swedish organisation number (ten digits with a valid check digit)."),
                code="peppol_id_orgnr",
            )
        ident = digits
    return f"{scheme}:{ident}"


def _profile_set(profile: BillingProfile, fields: dict[str, Any], errors: Errors) -> None:
    """Set ``fields`` on ``profile``, normalised; problems go to ``errors`` by field."""
    country = clean_text(fields.get("country", profile.country)).upper() or "SE"
    refs = Refs(profile.legal_entity_id)
    for name, value in fields.items():
        if name == "country":
            profile.country = country
        elif name == "organisation_number":
            text = clean_text(value)
            if text and country == "SE":
                try:
                    text = normalise_organisation_number(text)
                except ValidationError as exc:
                    errors[name] = exc
            profile.organisation_number = text
        elif name == "vat_number":
            text = clean_text(value)
            if text:
                try:
                    text = normalise_vat_number(text)
                except ValidationError as exc:
                    errors[name] = exc
            profile.vat_number = text
        elif name == "postal_code":
            profile.postal_code = normalise_postal_code(value, country, name, errors)
        elif name == "billing_email":
            profile.billing_email = normalise_email(value)
        elif name == "payment_terms_days":
            if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
                add_error(errors, name, _("Enter whole days from 0 to 365."), "invalid")
            elif not 0 <= int(value) <= MAX_TERMS_DAYS:
                add_error(errors, name, _("Enter whole days from 0 to 365."), "out_of_range")
            else:
                profile.payment_terms_days = int(value)
        elif name == "credit_limit_amount":
            profile.credit_limit_amount = decimal_value(value, name, errors, required=False)
        elif name == "peppol_id":
            text = clean_text(value)
            if text:
                try:
                    text = normalise_peppol_id(text)
                except ValidationError as exc:
                    errors[name] = exc
            profile.peppol_id = text
        elif name == "default_vat_code":
            profile.default_vat_code = refs.vat_code(value, name, errors)
        elif name in ("delivery", "language"):
            setattr(profile, name, clean_text(value).lower())
        elif name == "currency":
            profile.currency = clean_text(value).upper()
        elif name == "active":
            profile.active = bool(value)
        else:
            setattr(profile, name, clean_text(value))


def _profile_check(profile: BillingProfile, errors: Errors, *, changed: set[str]) -> None:
    """Cross-field rules of a profile whose fields are set and normalised."""
    for name in ("legal_name", "street", "postal_code", "city"):
        if not getattr(profile, name):
            add_error(errors, name, _("This field is required."), "required")
    if not _COUNTRY.match(profile.country or ""):
        add_error(errors, "country", _("Use the two-letter country code, e.g. SE."), "country")
    if profile.billing_email:
        try:
            validate_email(profile.billing_email)
        except ValidationError:
            add_error(errors, "billing_email", _("Enter a valid e-mail address."), "invalid")
    if profile.delivery not in DeliveryMethod.values:
        add_error(
            errors,
            "delivery",
            _("Choose one of %(choices)s.") % {"choices": ", ".join(DeliveryMethod.values)},
            "invalid_choice",
        )
    elif profile.delivery == DeliveryMethod.EMAIL and not profile.billing_email:
        add_error(
            errors, "billing_email", _("Invoices go by e-mail, so enter the billing e-mail."), "required"
        )
    elif profile.delivery == DeliveryMethod.PEPPOL and not profile.peppol_id:
        add_error(
            errors,
            "peppol_id",
            _("Peppol delivery needs the customer's Peppol id, e.g. 0007:5560360793."),
            "required",
        )
    if (
        "vat_number" not in errors
        and "organisation_number" not in errors
        and profile.vat_number.startswith("SE")
        and profile.organisation_number
        and profile.country == "SE"
        and profile.vat_number[2:12] != profile.organisation_number.replace("-", "")
    ):
        add_error(
            errors,
            "vat_number",
            _("The VAT number does not match the organisation number %(number)s.")
            % {"number": profile.organisation_number},
            "vat_number_mismatch",
        )
    if profile.language not in LANGUAGES:
        add_error(
            errors, "language", _("Invoices are written in Swedish (sv) or English (en)."), "invalid_choice"
        )
    if profile.currency not in CURRENCIES:
        add_error(errors, "currency", _("Only SEK is supported for now."), "currency_not_supported")
    vat_code: VatCode | None = related(profile, "default_vat_code")
    if vat_code is not None and not vat_code.active and "default_vat_code" in changed:
        add_error(
            errors,
            "default_vat_code",
            _("VAT code %(code)s is inactive; choose an active one.") % {"code": vat_code.code},
            "inactive_vat_code",
        )
    full_clean_into(
        profile,
        errors,
        exclude=[
            "legal_entity",
            "party",
            "default_vat_code",
            "created_by",
            "credit_limit_amount",
            "delivery",
        ],
    )


def _scope_rule_from_party() -> ScopeRule:
    """The profile's scope rule read from the customer's side (profiles follow their customer)."""
    rule = BillingProfile.scope_rule

    def strip(path: str | None) -> str | None:
        return path.removeprefix("party__") if path else path

    return replace(rule, region=strip(rule.region), location=strip(rule.location), owner=strip(rule.owner))


def billing_profile_in_reach(*, actor: Any, party: Party) -> bool:
    """Whether ``actor`` would see a profile of ``party`` (a sales rep: only of own customers)."""
    q = scope_q(_scope_rule_from_party(), user_scope(actor))
    return q is not None and Party.objects.filter(q, pk=party.pk).exists()


def _require_profile_in_scope(actor: Any, profile: BillingProfile) -> None:
    """The actor must see the profile (a sales rep: their own customers' profiles)."""
    if actor is None:
        return
    if not visible_to(BillingProfile.objects.filter(pk=profile.pk), actor).exists():
        raise PermissionDenied(_("You do not have permission to do this."))


@transaction.atomic
def billing_profile_create(
    *,
    actor: Any,
    party: Party,
    legal_name: str,
    street: str,
    postal_code: str,
    city: str,
    organisation_number: str = "",
    vat_number: str = "",
    country: str = "SE",
    billing_email: str = "",
    payment_terms_days: int | None = None,
    credit_limit_amount: Decimal | int | str | None = None,
    delivery: str = DeliveryMethod.EMAIL,
    peppol_id: str = "",
    buyer_reference: str = "",
    language: str = "sv",
    currency: str = "SEK",
    default_vat_code: VatCode | str | None = None,
    active: bool = True,
) -> BillingProfile:
    """Set up how the customer's legal entity bills ``party``. Needs ``billing.add_billingprofile``.

    ``payment_terms_days`` defaults to the billing settings' terms. Raises ``PermissionDenied``
    for a customer outside the actor's scope (for a sales rep: not their own), and
    ``ValidationError`` naming each wrong field, with code ``profile_exists`` on ``party`` when
    the customer already has a profile and ``not_set_up`` when billing is not set up.
    """
    require_perm(actor, "billing.add_billingprofile", system=True)
    if actor is not None and not visible_to(Party.objects.filter(pk=party.pk), actor).exists():
        raise PermissionDenied(_("You do not have permission to do this."))
    if actor is not None and not billing_profile_in_reach(actor=actor, party=party):
        raise PermissionDenied(
            _(
                "You can set up billing only for your own customers; ask your manager to assign the customer to you."
            )
        )
    le_id = party.legal_entity_id
    require_legal_entity(actor, le_id, system=True)
    settings = BillingSettings.objects.filter(legal_entity_id=le_id).first()
    if settings is None:
        raise ValidationError(
            _("Billing is not set up for this legal entity yet; ask the finance manager."), code="not_set_up"
        )
    errors: Errors = {}
    if party.merged_into_id is not None or party.erased_at is not None:
        add_error(
            errors, "party", _("This customer was merged or erased and cannot be billed."), "party_inactive"
        )
    elif BillingProfile.objects.filter(legal_entity_id=le_id, party=party).exists():
        add_error(
            errors,
            "party",
            _("This customer already has a billing profile; edit that one."),
            "profile_exists",
        )
    profile = BillingProfile(legal_entity_id=le_id, party=party)
    if actor is not None and actor.is_authenticated:
        profile.created_by = actor
    fields = {
        "legal_name": legal_name,
        "organisation_number": organisation_number,
        "vat_number": vat_number,
        "street": street,
        "postal_code": postal_code,
        "city": city,
        "country": country,
        "billing_email": billing_email,
        "payment_terms_days": settings.default_payment_terms_days
        if payment_terms_days is None
        else payment_terms_days,
        "credit_limit_amount": credit_limit_amount,
        "delivery": delivery,
        "peppol_id": peppol_id,
        "buyer_reference": buyer_reference,
        "language": language,
        "currency": currency,
        "default_vat_code": default_vat_code,
        "active": active,
    }
    _profile_set(profile, fields, errors)
    _profile_check(profile, errors, changed=set(fields))
    raise_errors(errors, "invalid_profile")
    profile.save()
    audit_created(actor=actor, obj=profile, fields=PROFILE_FIELDS, action="billing.profile.created")
    return profile


@transaction.atomic
def billing_profile_update(*, actor: Any, profile: BillingProfile, **fields: Any) -> BillingProfile:
    """Change any of ``PROFILE_FIELDS`` (the customer never changes). Needs
    ``billing.change_billingprofile`` and the profile in the actor's scope.

    Issued invoices keep the buyer as it was when they were issued; a change affects new ones.
    """
    require_perm(actor, "billing.change_billingprofile", system=True)
    require_legal_entity(actor, profile.legal_entity_id, system=True)
    _require_profile_in_scope(actor, profile)
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown billing profile fields: {', '.join(sorted(unknown))}")
    before = snapshot_of(profile, PROFILE_FIELDS)
    errors: Errors = {}
    if "postal_code" not in fields and "country" in fields:
        fields = {**fields, "postal_code": profile.postal_code}  # re-checked for the new country
    _profile_set(profile, fields, errors)
    changes = diff(before, snapshot_of(profile, PROFILE_FIELDS))
    if not changes and not errors:
        return profile
    _profile_check(profile, errors, changed=set(changes))
    if errors:
        profile.refresh_from_db()
        raise_errors(errors, "invalid_profile")
    profile.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, action="billing.profile.updated", obj=profile, changes=changes)
    return profile
