"""What a legal entity prints on its invoices and how it bills: ``BillingSettings``.

Invariants:
- the receivables account is an active receivables control account; the rounding account an
  active result account, required when totals are rounded to whole kronor;
- bankgiro and plusgiro numbers carry a valid mod-10 check digit, IBANs a valid ISO 13616
  checksum, BICs the SWIFT shape; all are stored normalised;
- invoices and payments post in existing, non-manual voucher series (manual series may not
  post to receivables and VAT accounts);
- changes need ``billing.manage_billing`` inside the actor's legal entity and are audited
  (``billing.settings.updated``).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.billing.models import BillingSettings
from frontoffice.billing.services.catalogue import (
    Errors,
    Refs,
    add_error,
    clean_code,
    clean_text,
    full_clean_into,
    le_id_of,
    normalise_postal_code,
    raise_errors,
    related,
    snapshot_of,
)
from frontoffice.core.audit import audit_record, diff
from frontoffice.core.contact import normalise_email, normalise_phone
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.finance.models import AccountType, ControlKind, VoucherSeries
from frontoffice.org.validators import luhn_valid

SETTINGS_FIELDS = [
    "street",
    "postal_code",
    "city",
    "phone",
    "email",
    "website",
    "bankgiro",
    "plusgiro",
    "iban",
    "bic",
    "f_tax_registered",
    "default_payment_terms_days",
    "late_interest_text",
    "receivables_account",
    "rounding_account",
    "round_to_whole_krona",
    "invoice_voucher_series",
    "payment_voucher_series",
]

# Lengths of IBANs by country (ISO 13616) for the countries Swedish companies meet most.
IBAN_LENGTHS = {
    "SE": 24,
    "NO": 15,
    "DK": 18,
    "FI": 18,
    "DE": 22,
    "GB": 22,
    "NL": 18,
    "FR": 27,
    "ES": 24,
    "IT": 27,
    "PL": 28,
    "EE": 20,
    "LV": 21,
    "LT": 20,
    "IS": 26,
    "AT": 20,
    "BE": 16,
    "CH": 21,
    "IE": 22,
}
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def _digits(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "")


def normalise_bankgiro(value: str) -> str:
    """``50501055`` or ``5050 1055`` → ``5050-1055`` (seven or eight digits, mod-10 check digit)."""
    digits = _digits(value)
    if not (digits.isdigit() and len(digits) in (7, 8)):
        raise ValidationError(
            _("A bankgiro number is seven or eight digits, e.g. 5050-1055."), code="bankgiro"
        )
    if not luhn_valid(digits):
        raise ValidationError(
            _("This bankgiro number has a wrong check digit; please check it for typos."), code="bankgiro"
        )
    return f"{digits[:-4]}-{digits[-4:]}"


def normalise_plusgiro(value: str) -> str:
    """``4 43 43-2`` → ``44343-2`` (two to eight digits, the last a mod-10 check digit)."""
    digits = _digits(value)
    if not (digits.isdigit() and 2 <= len(digits) <= 8):
        raise ValidationError(_("A plusgiro number is two to eight digits, e.g. 4 43 43-2."), code="plusgiro")
    if not luhn_valid(digits):
        raise ValidationError(
            _("This plusgiro number has a wrong check digit; please check it for typos."), code="plusgiro"
        )
    return f"{digits[:-1]}-{digits[-1]}"


def normalise_iban(value: str) -> str:
    """IBAN without spaces, upper-case, with a valid ISO 13616 checksum (mod 97 = 1)."""
    iban = re.sub(r"\s", "", value or "").upper()
    expected = IBAN_LENGTHS.get(iban[:2])
    if not _IBAN.match(iban) or (expected is not None and len(iban) != expected):
        raise ValidationError(
            _("Enter an IBAN starting with the country code, e.g. SE45 5000 0000 0583 9825 7466."),
            code="iban",
        )
    rearranged = iban[4:] + iban[:4]
    if int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 != 1:
        raise ValidationError(_("This IBAN has a wrong checksum; please check it for typos."), code="iban")
    return iban


def normalise_bic(value: str) -> str:
    """BIC (SWIFT code): eight or eleven characters, e.g. ESSESESS."""
    bic = re.sub(r"\s", "", value or "").upper()
    if not _BIC.match(bic):
        raise ValidationError(_("A BIC is eight or eleven letters and digits, e.g. ESSESESS."), code="bic")
    return bic


_NORMALISERS = {
    "bankgiro": normalise_bankgiro,
    "plusgiro": normalise_plusgiro,
    "iban": normalise_iban,
    "bic": normalise_bic,
}


def _settings_set(settings: BillingSettings, fields: dict[str, Any], errors: Errors, *, country: str) -> None:
    refs = Refs(settings.legal_entity_id)
    for name, value in fields.items():
        if name in _NORMALISERS:
            text = clean_text(value)
            try:
                setattr(settings, name, _NORMALISERS[name](text) if text else "")
            except ValidationError as exc:
                errors[name] = exc
        elif name in ("receivables_account", "rounding_account"):
            setattr(settings, name, refs.account(value, name, errors))
        elif name in ("f_tax_registered", "round_to_whole_krona"):
            setattr(settings, name, bool(value))
        elif name == "default_payment_terms_days":
            if (
                isinstance(value, bool)
                or not isinstance(value, int | str)
                or not str(value).strip().isdigit()
            ):
                add_error(errors, name, _("Enter whole days from 0 to 365."), "invalid")
            elif not 0 <= int(value) <= 365:
                add_error(errors, name, _("Enter whole days from 0 to 365."), "out_of_range")
            else:
                settings.default_payment_terms_days = int(value)
        elif name == "postal_code":
            settings.postal_code = normalise_postal_code(value, country, name, errors)
        elif name == "email":
            settings.email = normalise_email(value)
            if settings.email:
                try:
                    validate_email(settings.email)
                except ValidationError:
                    add_error(errors, name, _("Enter a valid e-mail address."), "invalid")
        elif name == "phone":
            try:
                settings.phone = normalise_phone(clean_text(value), country)
            except ValidationError as exc:
                errors[name] = exc
        elif name in ("invoice_voucher_series", "payment_voucher_series"):
            setattr(settings, name, clean_code(value))
        else:
            setattr(settings, name, clean_text(value))


def _settings_check(settings: BillingSettings, errors: Errors, changed: set[str]) -> None:
    receivables = related(settings, "receivables_account")
    if "receivables_account" not in errors:
        if receivables is None:
            add_error(errors, "receivables_account", _("This field is required."), "required")
        elif receivables.control != ControlKind.RECEIVABLES or not receivables.active:
            add_error(
                errors,
                "receivables_account",
                _("Account %(number)s is not an active receivables control account; choose one such as 1510.")
                % {"number": receivables.number},
                "not_receivables_account",
            )
    rounding = related(settings, "rounding_account")
    if "rounding_account" not in errors:
        if rounding is not None and (
            rounding.type not in (AccountType.INCOME, AccountType.EXPENSE)
            or rounding.control
            or not rounding.active
        ):
            add_error(
                errors,
                "rounding_account",
                _(
                    "Account %(number)s cannot take rounding differences; choose an active result account such as 3740."
                )
                % {"number": rounding.number},
                "not_rounding_account",
            )
        elif rounding is None and settings.round_to_whole_krona:
            add_error(
                errors,
                "rounding_account",
                _("Rounding to whole kronor needs an account for the differences, e.g. 3740."),
                "required",
            )
    series = {
        s.code: s
        for s in VoucherSeries.objects.filter(
            legal_entity_id=settings.legal_entity_id,
            code__in=[settings.invoice_voucher_series, settings.payment_voucher_series],
        )
    }
    for field in ("invoice_voucher_series", "payment_voucher_series"):
        if field not in changed or field in errors:
            continue
        code = getattr(settings, field)
        if code not in series:
            add_error(
                errors,
                field,
                _("Voucher series “%(code)s” does not exist in the ledger.") % {"code": code},
                "unknown_series",
            )
        elif series[code].is_manual:
            add_error(
                errors,
                field,
                _(
                    "Series %(code)s is for manual vouchers, which may not post to receivables and VAT accounts."
                )
                % {"code": code},
                "manual_series",
            )
    full_clean_into(
        settings,
        errors,
        exclude=["legal_entity", "receivables_account", "rounding_account", "default_payment_terms_days"],
    )


@transaction.atomic
def billing_settings_update(*, actor: Any, legal_entity: Any, **fields: Any) -> BillingSettings:
    """Change the legal entity's billing settings (any of ``SETTINGS_FIELDS``).

    Needs ``billing.manage_billing``; billing must be set up (``billing_setup``, else code
    ``not_set_up``). Bankgiro, plusgiro, IBAN and BIC are checked and stored normalised.
    """
    require_perm(actor, "billing.manage_billing", system=True)
    le_id = le_id_of(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"Unknown billing settings fields: {', '.join(sorted(unknown))}")
    settings = (
        BillingSettings.objects.select_for_update(of=("self",))
        .select_related("legal_entity", "receivables_account", "rounding_account")
        .filter(legal_entity_id=le_id)
        .first()
    )
    if settings is None:
        raise ValidationError(_("Billing is not set up for this legal entity yet."), code="not_set_up")
    before = snapshot_of(settings, SETTINGS_FIELDS)
    errors: Errors = {}
    _settings_set(settings, fields, errors, country=settings.legal_entity.country)
    changes = diff(before, snapshot_of(settings, SETTINGS_FIELDS))
    if not changes and not errors:
        return settings
    _settings_check(settings, errors, set(changes))
    if errors:
        settings.refresh_from_db()
        raise_errors(errors, "invalid_settings")
    settings.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, action="billing.settings.updated", obj=settings, changes=changes)
    return settings
