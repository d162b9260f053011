"""What the receivables services share: amounts from input, the accounts a payment posts to,
field errors with codes, OCR matching."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.billing.models import BillingSettings, Invoice
from frontoffice.billing.services.ocr import ocr_is_valid
from frontoffice.core.audit import audit_record, diff, snapshot
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.finance.models import LedgerAccount
from frontoffice.receivables.models import ReceivablesSettings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# BAS defaults: the business bank account and "Förskott från kunder" (advances from customers).
BAS_BANK_ACCOUNT = "1930"
BAS_PREPAYMENT_ACCOUNT = "2420"

Errors = dict[str, list[ValidationError]]


def add_error(errors: Errors, field: str, message: str, code: str) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def raise_errors(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def first_code(exc: ValidationError) -> str | None:
    """The code of the first error in ``exc`` (field errors included)."""
    if getattr(exc, "code", None):
        return exc.code
    if hasattr(exc, "error_dict"):
        for errors in exc.error_dict.values():
            for error in errors:
                if getattr(error, "code", None):
                    return error.code
    for error in getattr(exc, "error_list", []):
        if getattr(error, "code", None):
            return error.code
    return None


def le_id(legal_entity: Any) -> int:
    return int(getattr(legal_entity, "pk", legal_entity))


def parse_money(value: Any) -> Decimal | None:
    """An exact amount > 0 with at most two decimals from a Decimal, int or plain string
    (``"1250.00"``); floats and anything else give None."""
    if value is None or isinstance(value, bool | float):
        return None
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        return None
    return amount.quantize(CENT)


@dataclass(frozen=True)
class Accounts:
    """The accounts and series one legal entity's payments post to."""

    bank: LedgerAccount
    receivables: LedgerAccount
    prepayment: LedgerAccount | None
    series: str
    settings: ReceivablesSettings


def receivables_settings_for(legal_entity: Any) -> ReceivablesSettings:
    """The legal entity's receivables settings, created with the chart's defaults on first use:
    bank account 1930 (else the first active 19xx account), prepayment account 2420 when the
    chart has it (else unallocated money stays on the receivables account)."""
    entity_id = le_id(legal_entity)
    existing = ReceivablesSettings.objects.select_related("bank_account", "prepayment_account").filter(
        legal_entity_id=entity_id
    )
    found = existing.first()
    if found is not None:
        return found
    accounts = LedgerAccount.objects.filter(legal_entity_id=entity_id, active=True)
    bank = (
        accounts.filter(number=BAS_BANK_ACCOUNT).first()
        or accounts.filter(number__startswith="19", control="").order_by("number").first()
    )
    if bank is None:
        raise ValidationError(
            _("The chart of accounts has no bank account (such as 1930) for incoming payments."),
            code="no_bank_account",
        )
    prepayment = accounts.filter(number=BAS_PREPAYMENT_ACCOUNT).first()
    settings, _created = ReceivablesSettings.objects.get_or_create(
        legal_entity_id=entity_id, defaults={"bank_account": bank, "prepayment_account": prepayment}
    )
    return settings


def accounts_for(legal_entity: Any) -> Accounts:
    entity_id = le_id(legal_entity)
    billing = (
        BillingSettings.objects.select_related("receivables_account")
        .filter(legal_entity_id=entity_id)
        .first()
    )
    if billing is None:
        raise ValidationError(
            _("Billing is not set up for this legal entity: set it up before registering payments."),
            code="billing_not_set_up",
        )
    settings = receivables_settings_for(entity_id)
    return Accounts(
        bank=settings.bank_account,
        receivables=billing.receivables_account,
        prepayment=settings.prepayment_account,
        series=billing.payment_voucher_series,
        settings=settings,
    )


def ocr_digits(reference: str) -> str | None:
    """The digits of ``reference`` when it is a valid OCR number (Luhn check digit), else None."""
    digits = "".join((reference or "").split()).replace("-", "")
    return digits if ocr_is_valid(digits) else None


def invoice_by_ocr(*, actor: Any, legal_entity: Any, reference: str) -> Invoice | None:
    """The issued invoice of the legal entity whose payment reference is ``reference`` (a
    valid OCR number), within the actor's scope; None when there is none."""
    digits = ocr_digits(reference)
    if digits is None:
        return None
    qs = Invoice.objects.filter(
        legal_entity_id=le_id(legal_entity), kind=Invoice.Kind.INVOICE, payment_reference=digits
    ).exclude(status=Invoice.Status.DRAFT)
    if actor is not None:
        qs = visible_to(qs, actor)
    return qs.order_by("-issue_on", "-pk").first()


@transaction.atomic
def receivables_settings_update(
    *,
    actor: Any,
    legal_entity: Any,
    bank_account: str,
    prepayment_account: str | None,
    reminder_interval_days: int,
) -> ReceivablesSettings:
    """Change the accounts payments post to (by account number; no prepayment account keeps
    unallocated money on receivables) and the days between reminders. Needs
    ``receivables.manage_receivables``. Raises ``ValidationError`` naming the field."""
    require_perm(actor, "receivables.manage_receivables")
    entity_id = le_id(legal_entity)
    require_legal_entity(actor, entity_id)
    settings = ReceivablesSettings.objects.select_for_update().get(pk=receivables_settings_for(entity_id).pk)
    accounts = {a.number: a for a in LedgerAccount.objects.filter(legal_entity_id=entity_id, active=True)}
    errors: Errors = {}
    chosen: dict[str, LedgerAccount | None] = {}
    for field, number in (("bank_account", bank_account), ("prepayment_account", prepayment_account)):
        number = (number or "").strip()
        if not number and field == "prepayment_account":
            chosen[field] = None
            continue
        account = accounts.get(number)
        if account is None:
            add_error(
                errors,
                field,
                _("There is no active account %(number)s.") % {"number": number or "—"},
                "unknown_account",
            )
        elif account.control:
            add_error(
                errors,
                field,
                _("%(account)s is a control account (receivables, payables or VAT); choose another.")
                % {"account": account},
                "control_account",
            )
        else:
            chosen[field] = account
    if not isinstance(reminder_interval_days, int) or not 1 <= reminder_interval_days <= 90:
        add_error(errors, "reminder_interval_days", _("Between 1 and 90 days."), "invalid")
    raise_errors(errors)
    before = snapshot(settings, ["bank_account", "prepayment_account", "reminder_interval_days"])
    settings.bank_account = chosen["bank_account"]
    settings.prepayment_account = chosen["prepayment_account"]
    settings.reminder_interval_days = reminder_interval_days
    settings.save(
        update_fields=["bank_account", "prepayment_account", "reminder_interval_days", "updated_at"]
    )
    after = snapshot(settings, ["bank_account", "prepayment_account", "reminder_interval_days"])
    audit_record(
        actor=actor, action="receivables.settings.changed", obj=settings, changes=diff(before, after)
    )
    return settings
