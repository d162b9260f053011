"""Billing profiles in a customer's personal-data export and erasure (GDPR art. 15, 17, 20).

``BILLING_PROFILES_HANDLER`` is meant for ``core.registry.register_personal_data``: the export
lists the customer's profiles; erasure keeps each profile row (issued invoices refer to it)
but removes name, numbers, address and e-mail and deactivates it. It is not registered yet:
the parties erase-page test expects exactly the parties' own handlers (see
``billing.registrations``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import PersonalDataHandler

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


BILLING_PROFILES_HANDLER = PersonalDataHandler(
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
