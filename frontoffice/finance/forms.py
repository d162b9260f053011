"""Forms of the chart of accounts and the ledger settings: they parse input, services decide.

(Voucher, report and SIE forms live in their own modules, e.g. ``forms_vouchers.py``.)
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.finance.models import (
    AccountType,
    ControlKind,
    DimensionKind,
    DimensionObject,
    LedgerAccount,
    VoucherSeries,
)
from frontoffice.finance.services.chart import CSV_MAX_BYTES, TEMPLATE_CHOICES, VAT_CODES
from frontoffice.org.models import Role

ALL = _("All")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _with_blank(choices: Any, label: Any = ALL) -> list[tuple[str, Any]]:
    return [("", label), *list(choices)]


def add_service_errors(form: forms.Form, exc: Any) -> None:
    """Put a service's ``ValidationError`` on the fields it names (others: non-field)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class AccountFilterForm(forms.Form):
    """Search and filters of the chart; unknown values are ignored, not errors."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    type = forms.ChoiceField(label=_("Type"), required=False, choices=_with_blank(AccountType.choices))
    control = forms.ChoiceField(
        label=_("Control account"),
        required=False,
        choices=_with_blank(
            [
                ("any", _("Any control account")),
                ("none", _("Not a control account")),
                *[(v, label) for v, label in ControlKind.choices if v],
            ]
        ),
    )
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", ALL), ("yes", _("Active")), ("no", _("Inactive"))],
    )
    restricted = forms.BooleanField(
        label=_("Restricted only"),
        required=False,
        help_text=_("Only accounts where manual vouchers need the manual voucher certificate."),
    )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.chart.account_list``."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        filters: dict[str, Any] = {
            key: data.get(key) or "" for key in ("type", "control", "active") if key not in self.errors
        }
        filters["query"] = "" if "q" in self.errors else (data.get("q") or "").strip()
        filters["restricted"] = bool(data.get("restricted"))
        return filters

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values())


class AccountForm(forms.Form):
    number = forms.CharField(
        label=_("Number"), max_length=10, help_text=_("Digits only, for example 1930 (BAS: four digits).")
    )
    name_sv = forms.CharField(label=_("Name (Swedish)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=AccountType.choices)
    control = forms.ChoiceField(
        label=_("Control account"),
        choices=ControlKind.choices,
        required=False,
        help_text=_(
            "Receivables, payables and VAT accounts are kept by invoices, payments and the VAT "
            "settlement; nobody may post to them by hand."
        ),
    )
    default_vat_code = forms.ChoiceField(
        label=_("Default VAT code"),
        choices=_with_blank(VAT_CODES.items(), _("None")),
        required=False,
    )
    required_dimension = forms.ChoiceField(
        label=_("Required dimension"),
        choices=_with_blank(DimensionKind.choices, _("None")),
        required=False,
        help_text=_("Every voucher line on this account must name one."),
    )
    manual_voucher_restricted = forms.BooleanField(
        label=_("Restricted for manual vouchers"),
        required=False,
        help_text=_(
            "Manual vouchers on this account need a valid certificate of the course the "
            "administrator requires in the training settings."
        ),
    )
    active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("Inactive accounts stay in reports but take no new postings."),
    )

    def __init__(self, *args: Any, account: LedgerAccount | None = None, **kwargs: Any) -> None:
        if account is not None:
            kwargs.setdefault(
                "initial",
                {
                    "number": account.number,
                    "name_sv": account.name_sv,
                    "name_en": account.name_en,
                    "type": account.type,
                    "control": account.control,
                    "default_vat_code": account.default_vat_code,
                    "required_dimension": account.required_dimension,
                    "manual_voucher_restricted": account.manual_voucher_restricted,
                    "active": account.active,
                },
            )
        super().__init__(*args, **kwargs)
        if account is not None and getattr(account, "has_posted_lines", False):
            # Shown, not editable: the service refuses the change anyway.
            for name in ("number", "type"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("The account has posted vouchers, so this cannot change.")


class ChartImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns number;name_sv;name_en;type;control;vat_code;required_dimension (and optionally "
            "active and manual_voucher_restricted), a header row first, separated by semicolons or "
            "commas, UTF-8."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > CSV_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB."), params={"mb": CSV_MAX_BYTES // (1024 * 1024)}
            )
        return file


class DimensionObjectForm(forms.Form):
    kind = forms.ChoiceField(label=_("Dimension"), choices=DimensionKind.choices)
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, dimension_object: DimensionObject | None = None, **kwargs: Any) -> None:
        if dimension_object is not None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": dimension_object.kind,
                    "code": dimension_object.code,
                    "name": dimension_object.name,
                    "active": dimension_object.active,
                },
            )
        super().__init__(*args, **kwargs)
        if dimension_object is not None:
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = _(
                "Voucher lines hold the value by its dimension; it cannot change."
            )


class FiscalYearForm(forms.Form):
    start_on = forms.DateField(
        label=_("First day"), widget=DATE_INPUT, help_text=_("The first day of a month.")
    )
    end_on = forms.DateField(
        label=_("Last day"),
        widget=DATE_INPUT,
        help_text=_("The last day of a month; at most 18 months later."),
    )


class SeriesForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=10, help_text=_("Short, e.g. A; vouchers are numbered A1, A2…")
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    is_manual = forms.BooleanField(
        label=_("Manual entries"),
        required=False,
        initial=True,
        help_text=VoucherSeries._meta.get_field("is_manual").help_text,
    )
    allowed_roles = forms.ModelMultipleChoiceField(
        label=_("Roles that may post"),
        queryset=Role.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: everyone allowed to post vouchers."),
    )

    def __init__(self, *args: Any, roles: Any, series: VoucherSeries | None = None, **kwargs: Any) -> None:
        if series is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": series.code,
                    "name": series.name,
                    "is_manual": series.is_manual,
                    "allowed_roles": [r.pk for r in series.allowed_roles.all()],
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["allowed_roles"].queryset = roles


class LockDatesForm(forms.Form):
    """One lock date for everyone, plus one per role that posts vouchers (all optional)."""

    everyone = forms.DateField(
        label=_("Everyone"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Nobody may post vouchers dated on or before this day. Empty: no lock."),
    )

    def __init__(self, *args: Any, roles: Any, current: dict[int | None, Any], **kwargs: Any) -> None:
        initial = {"everyone": current[None].locked_through if None in current else None}
        self.roles = list(roles)
        for role in self.roles:
            if role.pk in current:
                initial[f"role_{role.pk}"] = current[role.pk].locked_through
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for role in self.roles:
            self.fields[f"role_{role.pk}"] = forms.DateField(
                label=role.name, required=False, widget=DATE_INPUT
            )

    def dates(self) -> list[tuple[Role | None, datetime.date | None]]:
        """``(role, date)`` pairs for ``lock_date_set`` (role ``None``: everyone)."""
        pairs: list[tuple[Role | None, datetime.date | None]] = [(None, self.cleaned_data["everyone"])]
        pairs += [(role, self.cleaned_data[f"role_{role.pk}"]) for role in self.roles]
        return pairs


class StandardsForm(forms.Form):
    four_eyes_threshold_amount = forms.DecimalField(
        label=_("Second approval above"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.00"),
        help_text=_("Manual vouchers above this total need a second person's approval. Empty: never."),
    )
    attachment_threshold_amount = forms.DecimalField(
        label=_("Supporting document above"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.00"),
        help_text=_("Vouchers above this total need an attached supporting document. Empty: never."),
    )


class LedgerSetupForm(forms.Form):
    template = forms.ChoiceField(
        label=_("Chart of accounts"), choices=TEMPLATE_CHOICES, initial="bas", widget=forms.RadioSelect
    )
    first_year_start = forms.DateField(
        label=_("First fiscal year starts"),
        widget=DATE_INPUT,
        help_text=_("The first day of a month. The year gets twelve monthly periods."),
    )
