"""How billing plugs into navigation (each area's views own the URL names reversed here) and
into the customers' personal-data export and erasure (billing profiles)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from frontoffice.billing.views import invoices as invoice_views
from frontoffice.core.registry import NavItem, PersonalDataHandler, register_nav, register_personal_data


def _has_url(urlpatterns: list, name: str) -> bool:
    """Whether an area's views define ``name``: the navigation reverses every entry on every
    page, so an entry appears only once its page exists."""
    return any(getattr(pattern, "name", None) == name for pattern in urlpatterns)


if _has_url(invoice_views.urlpatterns, "invoice-list"):
    register_nav(NavItem("invoices", _("Invoices"), "billing:invoice-list", "billing.view_invoice", order=35))
register_nav(NavItem("products", _("Products"), "billing:product-list", "billing.view_product", order=60))
register_nav(
    NavItem(
        "billing-settings",
        _("Billing settings"),
        "billing:settings",
        "billing.manage_billing",
        order=55,
        section="settings",
    )
)


# ------------------------------------------------------------------------ personal data

PROFILE_EXPORT_FIELDS = [
    "legal_name",
    "organisation_number",
    "vat_number",
    "street",
    "postal_code",
    "city",
    "country",
    "billing_email",
    "payment_terms_days",
    "credit_limit_amount",
    "delivery",
    "peppol_id",
    "buyer_reference",
    "language",
    "currency",
    "active",
]


def _export_profiles(party: Any) -> list[dict[str, Any]]:
    from frontoffice.billing.models import BillingProfile
    from frontoffice.core.audit import snapshot

    return [
        {"legal_entity": str(p.legal_entity), **snapshot(p, PROFILE_EXPORT_FIELDS)}
        for p in BillingProfile.objects.filter(party=party).select_related("legal_entity").order_by("pk")
    ]


def _erase_profiles(party: Any, actor: Any) -> int:
    from frontoffice.billing.models import BillingProfile

    # The profile row stays (issued invoices point at it) but no longer says who the customer
    # is; each invoice keeps its own copy of the buyer as billed, as bookkeeping law requires.
    return BillingProfile.objects.filter(party=party).update(
        legal_name="—",
        organisation_number="",
        vat_number="",
        street="",
        postal_code="",
        city="",
        billing_email="",
        peppol_id="",
        buyer_reference="",
        active=False,
    )


def _count_profiles(party: Any) -> int:
    from frontoffice.billing.models import BillingProfile

    return BillingProfile.objects.filter(party=party).count()


register_personal_data(
    PersonalDataHandler(
        key="billing_profiles",
        label=_("Billing profiles"),
        export=_export_profiles,
        erase=_erase_profiles,
        count=_count_profiles,
        kept_reason=_(
            "Kept, deactivated, without name, numbers, address and e-mail: issued invoices refer "
            "to the profile and keep their own copy of the buyer, as the Accounting Act requires."
        ),
    )
)
