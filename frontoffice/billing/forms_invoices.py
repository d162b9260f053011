"""Forms of the invoice pages: they parse input, the services decide
(``billing.services.invoicing`` and ``crediting``). Numbers typed on lines (quantity, price,
discount) stay text here: the services read them in Swedish or English style and name the
field when one is wrong."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.billing.models import Invoice, InvoiceLine, Unit

ALL = _("All")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class InvoiceFilterForm(forms.Form):
    """Search and filters of the invoice list; unknown values are ignored, not errors."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Invoice number, OCR reference or customer."),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", ALL), *Invoice.Status.choices]
    )
    kind = forms.ChoiceField(label=_("Document"), required=False, choices=[("", ALL), *Invoice.Kind.choices])
    customer = forms.ChoiceField(label=_("Customer"), required=False)
    date_from = forms.DateField(label=_("Invoice date from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Invoice date to"), required=False, widget=DATE)

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", ALL), *[(str(p.party_id), p.legal_name) for p in customers]]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.invoices.invoice_list`` (bad values dropped)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "query": data.get("q") or "",
            "status": data.get("status") or "",
            "kind": data.get("kind") or "",
            "party": data.get("customer") or None,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


class InvoiceDraftForm(forms.Form):
    """The draft's header: customer, dates, terms, references and notes."""

    customer = forms.ChoiceField(label=_("Customer"))
    issue_on = forms.DateField(
        label=_("Invoice date"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty to date the invoice the day it is issued."),
    )
    delivery_on = forms.DateField(label=_("Delivery date"), required=False, widget=DATE)
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_("Leave empty for the customer's terms."),
    )
    buyer_reference = forms.CharField(label=_("Your reference"), required=False, max_length=100)
    seller_reference = forms.CharField(label=_("Our reference"), required=False, max_length=100)
    notes = forms.CharField(
        label=_("Notes on the invoice"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", "—"), *[(str(p.party_id), str(p)) for p in customers]]

    @classmethod
    def initial_for(cls, invoice: Invoice) -> dict[str, Any]:
        return {
            "customer": str(invoice.party_id),
            "issue_on": invoice.issue_on,
            "delivery_on": invoice.delivery_on,
            "payment_terms_days": invoice.payment_terms_days,
            "buyer_reference": invoice.buyer_reference,
            "seller_reference": invoice.seller_reference,
            "notes": invoice.notes,
        }

    def service_fields(self, *, for_create: bool) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        fields: dict[str, Any] = {
            "party": data["customer"],
            "issue_on": data.get("issue_on"),
            "delivery_on": data.get("delivery_on"),
            "buyer_reference": data.get("buyer_reference") or "",
            "seller_reference": data.get("seller_reference") or "",
            "notes": data.get("notes") or "",
        }
        if not for_create and data.get("payment_terms_days") is not None:
            fields["payment_terms_days"] = data["payment_terms_days"]
        return fields


class InvoiceLineForm(forms.Form):
    """One line: a product (which brings name, unit, price and VAT) or free text."""

    product = forms.ChoiceField(label=_("Product"), required=False)
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    quantity = forms.CharField(label=_("Quantity"), max_length=20, initial="1")
    unit = forms.ChoiceField(label=_("Unit"), required=False, choices=[("", "—"), *Unit.choices])
    unit_price = forms.CharField(
        label=_("Unit price"),
        required=False,
        max_length=20,
        help_text=_("Leave empty for the product's price."),
    )
    discount_percent = forms.CharField(label=_("Discount (%)"), required=False, max_length=10)
    vat_code = forms.ChoiceField(label=_("VAT code"), required=False)

    def __init__(
        self,
        *args: Any,
        products: Any = (),
        vat_codes: Any = (),
        line: InvoiceLine | None = None,
        **kwargs: Any,
    ) -> None:
        # A changed line's fields start from the line: what comes back unchanged is not sent
        # to the service, so a product line keeps its price source.
        if line is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "description": line.description,
                "quantity": f"{line.quantity.normalize():f}",
                "unit": line.unit,
                "unit_price": f"{line.unit_price_amount:.2f}",
                "discount_percent": f"{line.discount_percent.normalize():f}",
                "vat_code": line.vat_code.code,
            }
        super().__init__(*args, **kwargs)
        self.line = line
        if line is not None:
            del self.fields["product"]
            # The editable row's inputs sit in table cells; they belong to the row's form.
            for field in self.fields.values():
                field.widget.attrs["form"] = f"line-edit-{line.pk}"
        else:
            self.fields["product"].choices = [("", _("Free text")), *[(str(p.pk), str(p)) for p in products]]
        self.fields["vat_code"].choices = [("", "—"), *[(c.code, str(c)) for c in vat_codes]]

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``invoice_line_add``/``invoice_line_update``: only what the
        user filled in (an empty price on a product line means "the product's price")."""
        data = self.cleaned_data
        fields: dict[str, Any] = {}
        if self.line is None:
            fields["product"] = data.get("product") or None
        for name in ("description", "quantity", "unit", "unit_price", "discount_percent", "vat_code"):
            value = (data.get(name) or "").strip()
            if self.line is not None:
                initial = str(self.initial.get(name, "") or "")
                if value == initial or (name == "description" and not value):
                    continue  # unchanged: a product line keeps its price source
            if value or name in ("description",):
                fields[name] = value
        return fields


class CreditNoteForm(forms.Form):
    """Why, and which lines: a quantity per line (prefilled with what is left)."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        help_text=_("Printed on the credit note."),
    )
    issue_on = forms.DateField(
        label=_("Credit note date"), required=False, widget=DATE, help_text=_("Leave empty for today.")
    )

    def __init__(self, *args: Any, choices: list[tuple[InvoiceLine, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields: list[tuple[InvoiceLine, Any, str]] = []
        for line, left in choices:
            name = f"line_{line.pk}"
            self.fields[name] = forms.CharField(
                label=f"{line.line_no}. {line.description}",
                required=False,
                max_length=20,
                initial=f"{left.normalize():f}" if left > 0 else "0",
                disabled=left <= 0,
            )
            self.line_fields.append((line, left, name))

    def bound_line_fields(self) -> list[tuple[InvoiceLine, Any, Any]]:
        return [(line, left, self[name]) for line, left, name in self.line_fields]

    def service_lines(self) -> dict[int, str]:
        """``{line id: quantity}`` of the lines with a quantity other than 0."""
        lines: dict[int, str] = {}
        for line, left, name in self.line_fields:
            value = (self.cleaned_data.get(name) or "").strip()
            if left > 0 and value and value not in ("0", "0,0", "0.0"):
                lines[line.pk] = value
        return lines

    def service_issue_on(self) -> datetime.date | None:
        return self.cleaned_data.get("issue_on")
