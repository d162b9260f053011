"""Forms of the voucher desk: list filters, voucher entry (header and lines), reversal and
attachment upload. Forms parse input only; the posting standards live in the services."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from frontoffice.finance.models import JournalEntry

MAX_LINES = 200
_PLAIN_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_amount_input(raw: str) -> Decimal | None:
    """An amount typed in Swedish or English style, exactly: ``1 250,50``, ``1250.50``,
    ``1,250.50`` or ``1.250,50``. With only a comma, the comma is the decimal sign (Swedish).

    Returns None for an empty value; raises ValidationError for anything that is not a
    non-negative amount with at most two decimals. Never goes through float.
    """
    text = _SPACES.sub("", raw or "")
    if not text:
        return None
    if "," in text and "." in text:
        # The later sign is the decimal one; the other groups thousands.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".")
    if not _PLAIN_AMOUNT.match(text):
        raise ValidationError(_("Enter an amount such as 1 250,50 or 1250.50."), code="invalid_amount")
    amount = Decimal(text)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("Amounts have at most two decimals."), code="too_many_decimals")
    return amount.quantize(Decimal("0.01"))


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class VoucherFilterForm(forms.Form):
    """The voucher list's filters; invalid values are ignored rather than reported."""

    status = forms.ChoiceField(label=_("Status"), required=False, choices=_blank(JournalEntry.Status.choices))
    series = forms.ChoiceField(label=_("Series"), required=False)
    number = forms.IntegerField(label=_("Number"), required=False, min_value=1, max_value=2**31 - 1)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    account = forms.RegexField(label=_("Account"), required=False, regex=r"^[0-9]{1,10}$", max_length=10)
    text = forms.CharField(label=_("Text"), required=False, max_length=200)
    amount_min = forms.CharField(label=_("Total from"), required=False, max_length=20)
    amount_max = forms.CharField(label=_("Total to"), required=False, max_length=20)

    def __init__(self, *args: Any, series_codes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = _blank(series_codes)

    def clean_amount_min(self) -> Decimal | None:
        return parse_amount_input(self.cleaned_data.get("amount_min") or "")

    def clean_amount_max(self) -> Decimal | None:
        return parse_amount_input(self.cleaned_data.get("amount_max") or "")

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.vouchers.voucher_list``."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        keys = ("status", "series", "number", "date_from", "date_to", "account", "text")
        out: dict[str, Any] = {k: data.get(k) for k in keys if k not in self.errors}
        for key in ("amount_min", "amount_max"):
            out[key] = None if key in self.errors else data.get(key)
        for key in ("status", "series", "account", "text"):
            out[key] = out.get(key) or ""
        return out

    @property
    def is_filtered(self) -> bool:
        return any(value not in (None, "") for value in self.filters().values())


class VoucherForm(forms.Form):
    """The voucher header: series, date and text."""

    series = forms.ChoiceField(label=_("Series"))
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    text = forms.CharField(label=_("Text"), max_length=200)

    def __init__(self, *args: Any, series: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = [(s.code, str(s)) for s in series]


class VoucherLineForm(forms.Form):
    """One voucher line. A line with nothing typed in it is ignored."""

    account = forms.CharField(label=_("Account"), max_length=10, required=False)
    debit = forms.CharField(label=_("Debit"), max_length=20, required=False)
    credit = forms.CharField(label=_("Credit"), max_length=20, required=False)
    text = forms.CharField(label=_("Line text"), max_length=200, required=False)
    cost_centre = forms.CharField(label=_("Cost centre"), max_length=40, required=False)
    project = forms.CharField(label=_("Project"), max_length=40, required=False)
    region = forms.CharField(label=_("Region"), max_length=40, required=False)

    def clean_debit(self) -> Decimal | None:
        return parse_amount_input(self.cleaned_data.get("debit") or "")

    def clean_credit(self) -> Decimal | None:
        return parse_amount_input(self.cleaned_data.get("credit") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.is_blank_line:
            return data
        if not (data.get("account") or "").strip():
            self.add_error("account", _("Enter an account number."))
        debit, credit = data.get("debit"), data.get("credit")
        if "debit" in self.errors or "credit" in self.errors:
            return data
        if (debit is None) == (credit is None):
            self.add_error("debit", _("Enter an amount in exactly one of debit or credit."))
        elif (debit if debit is not None else credit) <= 0:
            self.add_error("debit" if debit is not None else "credit", _("Enter an amount above zero."))
        return data

    @property
    def is_blank_line(self) -> bool:
        raw = self.data if self.is_bound else {}
        return not any((raw.get(self.add_prefix(name)) or "").strip() for name in self.fields)


class BaseVoucherLineFormSet(forms.BaseFormSet):
    def filled_forms(self) -> list[VoucherLineForm]:
        return [f for f in self.forms if not f.is_blank_line]  # type: ignore[attr-defined]

    def clean(self) -> None:
        if any(self.errors):
            return
        if len(self.filled_forms()) < 1:
            raise ValidationError(_("Enter at least one line."), code="no_lines")


VoucherLineFormSet = forms.formset_factory(
    VoucherLineForm,
    formset=BaseVoucherLineFormSet,
    extra=0,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES,
)


class VoucherReverseForm(forms.Form):
    date = forms.DateField(
        label=_("Reversal date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the original voucher's date."),
    )
    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=200,
        help_text=_("Empty: “Reversal of” and the original's reference and text."),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Supporting document"),
        help_text=_("PDF, PNG or JPEG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )
