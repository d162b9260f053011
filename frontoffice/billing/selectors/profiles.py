"""Read path of billing profiles. Profiles follow their customer's scope (``CUSTOMER_SCOPE``):
a sales rep sees the profiles of their own customers, managers those of their regions, finance
every profile of its legal entity. Out-of-scope profiles are 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from frontoffice.billing.models import BillingProfile, BillingSettings, DeliveryMethod
from frontoffice.billing.services.catalogue import normalise_postal_code
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.parties.models import Party


def billing_profile_list(
    *, user: Any, legal_entity: Any = None, query: str = "", party: Any = None
) -> QuerySet[BillingProfile]:
    """Profiles visible to ``user``, by legal name. ``query`` matches the legal name, the
    organisation number or the VAT number; ``party`` narrows to one customer (an id)."""
    qs = visible_to(BillingProfile.objects.all(), user)
    if legal_entity is not None:
        qs = qs.filter(legal_entity=legal_entity)
    if party is not None:
        qs = qs.filter(party=party)
    query = (query or "").strip()
    if query:
        qs = qs.filter(
            Q(legal_name__icontains=query)
            | Q(organisation_number__startswith=query)
            | Q(vat_number__icontains=query)
        )
    return qs.select_related("party", "default_vat_code").order_by("legal_name", "id")


def billing_profile_get(*, user: Any, pk: Any) -> BillingProfile:
    qs = BillingProfile.objects.select_related("party", "legal_entity", "default_vat_code", "created_by")
    return get_visible_or_404(qs, user, pk=pk)


def billing_profile_for_party(*, user: Any, party: Party) -> BillingProfile | None:
    """The profile of ``party`` with its own legal entity, if the user may see it."""
    return (
        billing_profile_list(user=user, party=party.pk).filter(legal_entity_id=party.legal_entity_id).first()
    )


def billing_profile_initial(*, user: Any, party: Party) -> dict[str, Any]:
    """Form values for a new profile, taken from the customer and the billing settings.

    A Swedish organisation's VAT number is derived from its organisation number (SE…01);
    invoices go by e-mail when the customer has an address, else by letter.
    """
    settings = BillingSettings.objects.filter(legal_entity_id=party.legal_entity_id).first()
    country = (party.country or "SE").upper()
    organisation = party.kind == Party.Kind.ORGANISATION
    orgnr = party.organisation_number or ""
    digits = orgnr.replace("-", "")
    return {
        "legal_name": (party.organisation_name if organisation else "") or party.display_name,
        "organisation_number": orgnr,
        "vat_number": f"SE{digits}01" if organisation and country == "SE" and len(digits) == 10 else "",
        "street": party.street,
        "postal_code": normalise_postal_code(party.postal_code, country, "postal_code", {}),
        "city": party.city,
        "country": country,
        "billing_email": party.email,
        "payment_terms_days": settings.default_payment_terms_days if settings else 30,
        "delivery": DeliveryMethod.EMAIL if party.email else DeliveryMethod.LETTER,
        "language": party.language if party.language in ("sv", "en") else "sv",
        "currency": "SEK",
    }
