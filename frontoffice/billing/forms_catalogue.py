"""Forms of the catalogue, the billing settings and billing profiles: they parse input,
the services decide (``billing.services.catalogue``, ``billing_settings``, ``profiles``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.billing.models import (
    BillingProfile,
    BillingSettings,
    DeliveryMethod,
    Product,
    ProductGroup,
    Unit,
    VatCategory,
    VatCode,
)
from frontoffice.billing.services.catalogue_import import CSV_MAX_BYTES, PRODUCT_CSV_COLUMNS
from frontoffice.finance.forms import add_service_errors  # noqa: F401 - re-exported for the views
from frontoffice.finance.models import LedgerAccount

ALL = _("All")
MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0.00"), "localize": True}


def _initial(instance: Any, names: list[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in names}


class ProductFilterForm(forms.Form):
    """Search and filters of the product list; unknown values are ignored, not errors."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    group = forms.ChoiceField(label=_("Product group"), required=False)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", ALL), ("yes", _("Active")), ("no", _("Inactive"))],
        initial="yes",
    )

    def __init__(self, *args: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [
            ("", ALL),
            ("none", _("No group")),
            *[(str(g.pk), str(g)) for g in groups],
        ]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.catalogue.product_list``. Products are active
        unless the user asks for inactive or all ones."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        active_value = self.data.get("active", "yes") if "active" not in self.errors else "yes"
        return {
            "query": "" if "q" in self.errors else (data.get("q") or "").strip(),
            "group": "" if "group" in self.errors else data.get("group") or "",
            "active": {"yes": True, "no": False}.get(active_value),
        }

    @property
    def is_filtered(self) -> bool:
        filters = self.filters()
        return bool(filters["query"] or filters["group"] or filters["active"] is not True)


class ProductForm(forms.Form):
    code = forms.CharField(
        label=_("Product code"),
        max_length=40,
        help_text=_("Unique, e.g. UND-01. Letters, digits and dashes."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Product.Kind.choices, initial=Product.Kind.SERVICE)
    group = forms.ModelChoiceField(
        label=_("Product group"), queryset=ProductGroup.objects.none(), required=False
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices, initial=Unit.PIECE)
    unit_price_amount = forms.DecimalField(
        label=_("List price (excl. VAT)"), help_text=_("In kronor, at most two decimals."), **MONEY
    )
    vat_code = forms.ModelChoiceField(label=_("VAT code"), queryset=VatCode.objects.none())
    revenue_account = forms.ModelChoiceField(
        label=_("Revenue account"),
        queryset=LedgerAccount.objects.none(),
        required=False,
        help_text=_("Leave empty to use the VAT code's revenue account."),
    )
    active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("Inactive products stay on past invoices but are offered on no new ones."),
    )

    FIELDS = ["code", "name", "description", "kind", "group", "unit", "unit_price_amount", "vat_code",
              "revenue_account", "active"]  # fmt: skip

    def __init__(
        self,
        *args: Any,
        groups: Any,
        vat_codes: Any,
        revenue_accounts: Any,
        product: Product | None = None,
        **kwargs: Any,
    ) -> None:
        if product is not None:
            kwargs.setdefault("initial", _initial(product, self.FIELDS))
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        self.fields["vat_code"].queryset = vat_codes
        self.fields["revenue_account"].queryset = revenue_accounts


class ProductGroupForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("Short, e.g. TAND."))
    name = forms.CharField(label=_("Name"), max_length=100)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, group: ProductGroup | None = None, **kwargs: Any) -> None:
        if group is not None:
            kwargs.setdefault("initial", _initial(group, ["code", "name", "active"]))
        super().__init__(*args, **kwargs)


class VatCodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("Short, e.g. SE25."))
    name_sv = forms.CharField(label=_("Name (Swedish)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100, required=False)
    category = forms.ChoiceField(
        label=_("Category"),
        choices=VatCategory.choices,
        help_text=_("Only the standard category (S) charges VAT; the others have rate 0 %."),
    )
    rate = forms.DecimalField(
        label=_("Rate (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        localize=True,
    )
    revenue_account = forms.ModelChoiceField(
        label=_("Revenue account"), queryset=LedgerAccount.objects.none()
    )
    vat_account = forms.ModelChoiceField(
        label=_("Output VAT account"),
        queryset=LedgerAccount.objects.none(),
        required=False,
        help_text=_("Required when the rate is above 0 %; empty otherwise."),
    )
    exemption_reason = forms.CharField(
        label=_("Exemption text on the invoice"),
        max_length=200,
        required=False,
        help_text=VatCode._meta.get_field("exemption_reason").help_text,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    FIELDS = ["code", "name_sv", "name_en", "category", "rate", "revenue_account", "vat_account",
              "exemption_reason", "active"]  # fmt: skip

    def __init__(
        self,
        *args: Any,
        revenue_accounts: Any,
        vat_accounts: Any,
        vat_code: VatCode | None = None,
        **kwargs: Any,
    ) -> None:
        if vat_code is not None:
            kwargs.setdefault("initial", _initial(vat_code, self.FIELDS))
        super().__init__(*args, **kwargs)
        self.fields["revenue_account"].queryset = revenue_accounts
        self.fields["vat_account"].queryset = vat_accounts


class BillingSettingsForm(forms.Form):
    street = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.CharField(label=_("Billing e-mail"), max_length=254, required=False)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    bankgiro = forms.CharField(
        label=_("Bankgiro"), max_length=20, required=False, help_text=_("E.g. 5050-1055.")
    )
    plusgiro = forms.CharField(label=_("Plusgiro"), max_length=20, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=42, required=False)
    bic = forms.CharField(label=_("BIC"), max_length=14, required=False)
    f_tax_registered = forms.BooleanField(
        label=_("Approved for F-tax"),
        required=False,
        help_text=BillingSettings._meta.get_field("f_tax_registered").help_text,
    )
    default_payment_terms_days = forms.IntegerField(
        label=_("Default payment terms (days)"), min_value=0, max_value=365
    )
    late_interest_text = forms.CharField(
        label=_("Late payment interest text"), max_length=200, required=False
    )
    receivables_account = forms.ModelChoiceField(
        label=_("Receivables account"), queryset=LedgerAccount.objects.none()
    )
    rounding_account = forms.ModelChoiceField(
        label=_("Rounding account"), queryset=LedgerAccount.objects.none(), required=False
    )
    round_to_whole_krona = forms.BooleanField(
        label=_("Round totals to whole kronor"),
        required=False,
        help_text=BillingSettings._meta.get_field("round_to_whole_krona").help_text,
    )
    invoice_voucher_series = forms.CharField(label=_("Voucher series for invoices"), max_length=10)
    payment_voucher_series = forms.CharField(label=_("Voucher series for payments"), max_length=10)

    def __init__(
        self,
        *args: Any,
        receivables_accounts: Any,
        rounding_accounts: Any,
        billing_settings: BillingSettings,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", _initial(billing_settings, list(self.base_fields)))
        super().__init__(*args, **kwargs)
        self.fields["receivables_account"].queryset = receivables_accounts
        self.fields["rounding_account"].queryset = rounding_accounts


class ProductImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A header row naming the columns (%(columns)s; code, name, unit_price and vat_code are "
            "required), separated by semicolons or commas, UTF-8."
        )
        % {"columns": ";".join(PRODUCT_CSV_COLUMNS)},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > CSV_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB."), params={"mb": CSV_MAX_BYTES // (1024 * 1024)}
            )
        return file


class BillingProfileForm(forms.Form):
    legal_name = forms.CharField(label=_("Legal name"), max_length=200)
    organisation_number = forms.CharField(
        label=_("Organisation number"),
        max_length=20,
        required=False,
        help_text=_("Swedish organisation or personal identity number, NNNNNN-NNNN."),
    )
    vat_number = forms.CharField(
        label=_("VAT number"), max_length=20, required=False, help_text=_("E.g. SE556036079301.")
    )
    street = forms.CharField(label=_("Billing address"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.CharField(
        label=_("Country"), max_length=2, initial="SE", help_text=_("Two letters, e.g. SE.")
    )
    billing_email = forms.CharField(label=_("Billing e-mail"), max_length=254, required=False)
    delivery = forms.ChoiceField(label=_("Invoice delivery"), choices=DeliveryMethod.choices)
    peppol_id = forms.CharField(
        label=_("Peppol participant id"),
        max_length=50,
        required=False,
        help_text=BillingProfile._meta.get_field("peppol_id").help_text,
    )
    buyer_reference = forms.CharField(label=_("Buyer reference"), max_length=100, required=False)
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365)
    credit_limit_amount = forms.DecimalField(
        label=_("Credit limit"), required=False, help_text=_("Empty: no limit."), **MONEY
    )
    language = forms.ChoiceField(
        label=_("Invoice language"), choices=[("sv", _("Swedish")), ("en", _("English"))]
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="SEK")
    default_vat_code = forms.ModelChoiceField(
        label=_("VAT code override"),
        queryset=VatCode.objects.none(),
        required=False,
        help_text=BillingProfile._meta.get_field("default_vat_code").help_text,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self, *args: Any, vat_codes: Any, profile: BillingProfile | None = None, **kwargs: Any
    ) -> None:
        if profile is not None:
            kwargs.setdefault("initial", _initial(profile, list(self.base_fields)))
        super().__init__(*args, **kwargs)
        self.fields["default_vat_code"].queryset = vat_codes
