"""Forms of the recurring invoice pages; ``services.recurring`` checks the values (and names
the bad line and field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.billing.forms_invoices import DATE, InvoiceLineForm
from frontoffice.billing.models import RecurringInvoice
from frontoffice.billing.selectors.recurring import ACTIVE, ENDED, PAUSED

LINE_ROWS = 5  # template line rows on the form (empty rows are ignored)


class RecurringFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=100, help_text=_("Customer or description.")
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), (ACTIVE, _("Active")), (PAUSED, _("Paused")), (ENDED, _("Ended"))],
    )

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"query": data.get("q") or "", "state": data.get("state") or ""}

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


class RecurringForm(forms.Form):
    """The header of a recurring invoice; its lines are ``RecurringLineForm`` rows."""

    customer = forms.ChoiceField(label=_("Customer"))
    description = forms.CharField(label=_("Description"), required=False, max_length=200)
    interval_months = forms.IntegerField(label=_("Every (months)"), min_value=1, max_value=36, initial=1)
    next_run_on = forms.DateField(label=_("Next invoice date"), widget=DATE)
    end_on = forms.DateField(label=_("Last invoice date"), required=False, widget=DATE)

    def __init__(self, *args: Any, customers: Any, recurring: RecurringInvoice | None = None, **kwargs: Any):
        if recurring is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "customer": str(recurring.party_id),
                "description": recurring.description,
                "interval_months": recurring.interval_months,
                "next_run_on": recurring.next_run_on,
                "end_on": recurring.end_on,
            }
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", "—"), *[(str(p.party_id), p.legal_name) for p in customers]]
        if recurring is not None:
            self.fields["customer"].disabled = True


def line_forms(
    data: Any, *, products: Any, vat_codes: Any, recurring: RecurringInvoice | None = None
) -> list[InvoiceLineForm]:
    """``LINE_ROWS`` line rows (more when the template has more lines), prefilled from it."""
    existing = list(recurring.lines) if recurring is not None else []
    rows = max(LINE_ROWS, len(existing) + 1)
    forms_ = []
    for index in range(rows):
        initial = dict(existing[index]) if index < len(existing) else {}
        form = InvoiceLineForm(
            data, products=products, vat_codes=vat_codes, prefix=f"line-{index}", initial=initial
        )
        form.fields["quantity"].required = False
        form.fields["quantity"].initial = None
        forms_.append(form)
    return forms_


def template_lines(forms_: list[InvoiceLineForm]) -> tuple[list[dict[str, str]], list[int]] | None:
    """The filled-in rows as template lines with the index of each one's row, or None when a
    row's shape is wrong (the row shows its errors)."""
    lines, rows = [], []
    valid = True
    for index, form in enumerate(forms_):
        if not form.is_valid():
            valid = False
            continue
        fields = {k: v for k, v in form.service_fields().items() if v not in (None, "")}
        if fields:
            fields.setdefault("quantity", "1")
            lines.append(fields)
            rows.append(index)
    return (lines, rows) if valid else None
