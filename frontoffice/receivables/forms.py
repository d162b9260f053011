"""Forms of the receivables desk. Forms parse input only; the rules live in the services."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontoffice.finance.forms_vouchers import parse_amount_input
from frontoffice.receivables.bankfile import BankFile, Mapping
from frontoffice.receivables.models import Payment, Reminder
from frontoffice.receivables.selectors.payments import ALLOCATION_STATES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class AmountField(forms.CharField):
    """An amount typed Swedish or English style (``1 250,50``, ``1250.50``), as a Decimal."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Decimal | None:
        text = super().clean(value)
        return parse_amount_input(text or "")


class PaymentFilterForm(forms.Form):
    """The payment list's filters; invalid values are ignored rather than reported."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("Allocation"),
        required=False,
        choices=_blank(
            list(
                zip(ALLOCATION_STATES, [_("Unallocated"), _("Partly allocated"), _("Allocated")], strict=True)
            )
        ),
    )
    source = forms.ChoiceField(label=_("Source"), required=False, choices=_blank(Payment.Source.choices))
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)
    amount_min = AmountField(label=_("Amount from"), required=False)
    amount_max = AmountField(label=_("Amount to"), required=False)

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        keys = ("q", "state", "source", "date_from", "date_to", "amount_min", "amount_max")
        return {key: data.get(key) or ({"q": "", "state": "", "source": ""}.get(key)) for key in keys}

    @property
    def is_filtered(self) -> bool:
        return any(v not in (None, "") for v in self.filters().values())


class PaymentForm(forms.Form):
    """A payment received by hand; allocations come from the invoice rows (``alloc-<id>``)."""

    paid_on = forms.DateField(label=_("Payment date"), widget=DATE)
    amount = AmountField(label=_("Amount"))
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        help_text=_("Payments are registered in the company's currency."),
    )
    payer_name = forms.CharField(label=_("Payer"), max_length=200, required=False)
    reference = forms.CharField(
        label=_("Reference / OCR"),
        max_length=100,
        required=False,
        help_text=_(
            "A valid OCR number allocates the payment to its invoice when you choose no invoice below."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(self, *args: Any, currency: str = "SEK", **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"paid_on": timezone.localdate(), "currency": currency, "idempotency_key": uuid.uuid4().hex},
        )
        super().__init__(*args, **kwargs)


def allocation_amounts(data: Any) -> tuple[list[tuple[int, Decimal]], dict[int, str]]:
    """``alloc-<invoice id>`` fields → (invoice id, amount) for the non-empty ones, and an error
    message per invoice id whose amount cannot be read."""
    amounts: list[tuple[int, Decimal]] = []
    errors: dict[int, str] = {}
    for key in sorted(data.keys()):
        if not key.startswith("alloc-") or not key[6:].isdigit():
            continue
        raw = (data.get(key) or "").strip()
        if not raw:
            continue
        try:
            amount = parse_amount_input(raw)
        except forms.ValidationError as exc:
            errors[int(key[6:])] = " ".join(exc.messages)
            continue
        if amount:
            amounts.append((int(key[6:]), amount))
    return amounts, errors


class BankUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Bank file (CSV)"),
        help_text=_("The statement or incoming payments exported from your bank as CSV (at most 5 MB)."),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 5 MB; split it by date."), code="too_large"
            )
        return upload.read()


# Header names banks use, lower-cased, per value (Swedish and English exports).
GUESSES = {
    "date": (
        "bokföringsdag",
        "bokföringsdatum",
        "transaktionsdag",
        "datum",
        "valutadag",
        "betalningsdag",
        "date",
    ),
    "amount": ("belopp", "insättning", "amount", "summa"),
    "reference": ("ocr", "referens", "ocr-nummer", "meddelande", "reference", "text", "beskrivning"),
    "payer": ("avsändare", "betalare", "namn", "inbetalare", "payer", "name", "motpart"),
    "currency": ("valuta", "currency"),
}


def guess_mapping(header: list[str]) -> Mapping:
    lowered = {h.lower(): h for h in header}
    found: dict[str, str] = {}
    for name, words in GUESSES.items():
        for word in words:
            if word in lowered and lowered[word] not in found.values():
                found[name] = lowered[word]
                break
    return Mapping.from_dict(found)


class MappingForm(forms.Form):
    """Which column holds which value; choices are the file's header."""

    date = forms.ChoiceField(label=_("Payment date"))
    amount = forms.ChoiceField(label=_("Amount"))
    reference = forms.ChoiceField(label=_("Reference / OCR"), required=False)
    payer = forms.ChoiceField(label=_("Payer"), required=False)
    currency = forms.ChoiceField(
        label=_("Currency"), required=False, help_text=_("Leave empty when every payment is in kronor.")
    )
    skip_negative = forms.BooleanField(
        label=_("Skip outgoing (negative) rows"),
        required=False,
        help_text=_("For a statement of the whole account: fees and payments made are left out."),
    )
    save_as = forms.CharField(
        label=_("Save this mapping as"),
        max_length=100,
        required=False,
        help_text=_("Offered again for files with the same columns."),
    )

    def __init__(self, *args: Any, file: BankFile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(h, self._label(file, h)) for h in file.header]
        for name in Mapping.FIELDS:
            field = self.fields[name]
            field.choices = choices if field.required else _blank(choices)  # type: ignore[attr-defined]

    @staticmethod
    def _label(file: BankFile, column: str) -> str:
        samples = file.samples(column, 2)
        return f"{column} ({', '.join(samples)})" if samples else column

    def mapping(self) -> Mapping:
        return Mapping.from_dict(self.cleaned_data)


class AsOfForm(forms.Form):
    legal_entity = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    as_of = forms.DateField(label=_("As of"), required=False, widget=DATE)

    def as_of_date(self) -> datetime.date:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("as_of") or timezone.localdate()


class DsoForm(AsOfForm):
    days = forms.IntegerField(label=_("Days"), required=False, min_value=1, max_value=3650, initial=90)

    def days_value(self) -> int:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("days") or 90


class StatementForm(AsOfForm):
    date_from = forms.DateField(label=_("Payments from"), required=False, widget=DATE)


class ReminderSendForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send by"), choices=Reminder.Channel.choices, initial=Reminder.Channel.EMAIL
    )


class DisputeForm(forms.Form):
    reason = forms.CharField(label=_("What the customer disputes"), max_length=500)


class SettingsForm(forms.Form):
    bank_account = forms.ChoiceField(
        label=_("Bank account"), help_text=_("Incoming payments are debited to this account.")
    )
    prepayment_account = forms.ChoiceField(
        label=_("Customer prepayment account"),
        required=False,
        help_text=_(
            "Unallocated payments and overpayments are credited here (BAS 2420). Empty: they stay "
            "on the receivables account."
        ),
    )
    reminder_interval_days = forms.IntegerField(label=_("Days between reminders"), min_value=1, max_value=90)

    def __init__(self, *args: Any, accounts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        usable = [(a.number, f"{a.number} {a.name}") for a in accounts if not a.control]
        self.fields["bank_account"].choices = [
            (n, label) for n, label in usable if n.startswith("19")
        ] or usable
        self.fields["prepayment_account"].choices = _blank(
            [(n, label) for n, label in usable if n.startswith("2")]
        )
