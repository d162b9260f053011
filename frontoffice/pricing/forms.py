"""Pricing forms: they parse input; the services decide (and name the field when they refuse)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from frontoffice.billing.models import BillingProfile, Product, ProductGroup
from frontoffice.core.scoping import visible_to
from frontoffice.parties.models import Party
from frontoffice.pricing.models import PriceProfile, PriceRule

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the fields it names (others: non-field)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ProfileFilterForm(forms.Form):
    """Search and status of the profile list; unknown values are ignored, not errors."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *PriceProfile.Status.choices]
    )
    party = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "query": "" if "q" in self.errors else (data.get("q") or "").strip(),
            "status": "" if "status" in self.errors else data.get("status") or "",
            "party": None if "party" in self.errors else data.get("party"),
        }

    @property
    def is_filtered(self) -> bool:
        filters = self.filters()
        return bool(filters["query"] or filters["status"] or filters["party"])


class ProfileForm(forms.Form):
    party = forms.ModelChoiceField(label=_("Customer"), queryset=Party.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("For example “Volume 2026”."))
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE_INPUT)
    valid_to = forms.DateField(
        label=_("Valid to"), widget=DATE_INPUT, required=False, help_text=_("Leave empty: until replaced.")
    )
    billing_profile = forms.ModelChoiceField(
        label=_("Billing profile"), queryset=BillingProfile.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, user: Any, party: Party | None = None, editing: bool = False, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        if editing or party is not None:
            # The customer is fixed: when editing, and when the page was opened from a customer.
            del self.fields["party"]
        else:
            self.fields["party"].queryset = visible_to(Party.objects.active(), user).order_by(
                "display_name", "pk"
            )
        if party is not None:
            self.fields["billing_profile"].queryset = BillingProfile.objects.filter(party=party, active=True)
        else:
            del self.fields["billing_profile"]


class RuleForm(forms.Form):
    """One price rule; amounts are text so "12,5" and "12.5" both work (the service reads them)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=PriceRule.Kind.choices, initial=PriceRule.Kind.PERCENT)
    product_group = forms.ModelChoiceField(
        label=_("Product group"), queryset=ProductGroup.objects.none(), required=False
    )
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    discount_percent = forms.CharField(label=_("Discount (%)"), required=False, max_length=10)
    unit_price_amount = forms.CharField(label=_("Fixed unit price"), required=False, max_length=20)
    min_quantity = forms.CharField(
        label=_("From quantity"),
        required=False,
        max_length=16,
        help_text=_("Leave empty or 0 for any quantity."),
    )

    def __init__(self, *args: Any, profile: PriceProfile, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["product_group"].queryset = ProductGroup.objects.filter(
            legal_entity_id=profile.legal_entity_id, active=True
        )
        self.fields["product"].queryset = Product.objects.filter(
            legal_entity_id=profile.legal_entity_id, active=True
        )

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "product_group": data.get("product_group"),
            "product": data.get("product"),
            "discount_percent": data.get("discount_percent") or None,
            "unit_price_amount": data.get("unit_price_amount") or None,
            "min_quantity": data.get("min_quantity") or None,
        }

    @staticmethod
    def initial_for(rule: PriceRule) -> dict[str, Any]:
        return {
            "kind": rule.kind,
            "product_group": rule.product_group_id,
            "product": rule.product_id,
            "discount_percent": rule.discount_percent if rule.discount_percent is not None else "",
            "unit_price_amount": rule.unit_price_amount if rule.unit_price_amount is not None else "",
            "min_quantity": rule.min_quantity.normalize() if rule.min_quantity else "",
        }


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting; the author sees it."),
    )


class WithdrawForm(forms.Form):
    comment = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class AuthorityForm(forms.Form):
    """One "largest discount" field per role (``role_<id>``)."""

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[f"role_{row.role.pk}"] = forms.CharField(
                label=row.role.name,
                max_length=10,
                initial=f"{row.max_discount_percent:.2f}",
                help_text=_("Shipped default") if row.is_default else "",
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            text = (value or "").strip().replace(",", ".").rstrip("%").strip()
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite() or not Decimal("0") <= number <= Decimal("100"):
                self.add_error(
                    name, ValidationError(_("Enter a discount between 0 and 100 %."), code="discount_range")
                )
            else:
                cleaned[name] = number
        return cleaned

    def changed_roles(self) -> list[tuple[Any, Decimal]]:
        """``(role, new value)`` for each role whose value differs from what is in force."""
        return [
            (row.role, self.cleaned_data[f"role_{row.role.pk}"])
            for row in self.rows
            if self.cleaned_data[f"role_{row.role.pk}"] != row.max_discount_percent
        ]
