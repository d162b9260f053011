"""Forms of the quote pages: they parse input, the services decide (``quotes.services``).
The line form is billing's invoice line form (same fields, same number parsing)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.billing.forms_invoices import InvoiceLineForm
from frontoffice.quotes.models import Quote

ALL = _("All")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]

QuoteLineForm = InvoiceLineForm


class QuoteFilterForm(forms.Form):
    """Search and filters of the quote list; unknown values are ignored, not errors."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100, help_text=_("Number or customer."))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", ALL), *Quote.Status.choices])
    customer = forms.ChoiceField(label=_("Customer"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    date_from = forms.DateField(label=_("Quote date from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Quote date to"), required=False, widget=DATE)

    def __init__(self, *args: Any, customers: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", ALL), *[(str(p.pk), p.display_name) for p in customers]]
        self.fields["owner"].choices = [
            ("", ALL),
            *[(str(u.pk), u.get_full_name() or str(u)) for u in owners],
        ]

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "query": data.get("q") or "",
            "status": data.get("status") or "",
            "party": data.get("customer") or None,
            "owner": data.get("owner") or None,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


class QuoteCreateForm(forms.Form):
    customer = forms.ChoiceField(label=_("Customer"))
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE)

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", "—"), *[(str(p.pk), p.display_name) for p in customers]]


class QuoteHeaderForm(forms.Form):
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    recipient_email = forms.EmailField(label=_("Send to"), required=False)
    intro = forms.CharField(label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    terms = forms.CharField(label=_("Terms"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    @staticmethod
    def initial_for(quote: Quote) -> dict[str, Any]:
        return {
            "valid_until": quote.valid_until,
            "language": (quote.language or "sv").split("-")[0],
            "recipient_email": quote.recipient_email,
            "intro": quote.intro,
            "terms": quote.terms,
        }


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AcceptForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    confirm = forms.BooleanField(
        label=_("I accept this quote on behalf of the customer and its terms."), required=False
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
