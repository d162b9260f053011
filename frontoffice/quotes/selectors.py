"""Reads of quotes for people: every selector starts from ``visible_to`` (a quote follows its
owner, region and legal entity); lists load what their rows show in a constant number of
queries; an out-of-scope quote is a 404."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet

from frontoffice.billing.models import Product, VatCode
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.parties.models import Party
from frontoffice.quotes.models import Quote, QuoteLine, QuoteLink


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def quote_list(
    *,
    user: Any,
    status: str = "",
    party: Any = None,
    owner: Any = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    query: str = "",
) -> QuerySet[Quote]:
    """Quotes ``user`` may see, newest first, filtered by status, customer, owner, quote date
    and a search over number, customer and owner."""
    qs = visible_to(Quote.objects.all(), user).select_related("party", "owner", "legal_entity")
    if status in Quote.Status.values:
        qs = qs.filter(status=status)
    if party not in (None, ""):
        qs = qs.filter(party_id=_pk(party))
    if owner not in (None, ""):
        qs = qs.filter(owner_id=_pk(owner))
    if date_from:
        qs = qs.filter(issue_on__gte=date_from)
    if date_to:
        qs = qs.filter(issue_on__lte=date_to)
    for word in (query or "").split()[:5]:
        condition = (
            Q(party__display_name__icontains=word)
            | Q(owner__first_name__icontains=word)
            | Q(owner__last_name__icontains=word)
            | Q(intro__icontains=word)
        )
        digits = word.upper().removeprefix("Q").split("-")[-1]
        if digits.isdigit():
            condition |= Q(number=int(digits))
        qs = qs.filter(condition)
    return qs.order_by("-issue_on", "-year", "-number")


def quote_get(*, user: Any, pk: Any) -> Quote:
    """One quote in scope, else 404."""
    return get_visible_or_404(
        Quote.objects.select_related("party", "owner", "legal_entity", "sent_by", "created_by", "invoice"),
        user,
        pk=pk,
    )


def quote_lines(quote: Quote) -> list[QuoteLine]:
    return list(quote.lines.select_related("product", "vat_code").order_by("line_no"))


def quote_line_get(*, quote: Quote, pk: Any) -> QuoteLine:
    from django.http import Http404

    try:
        return quote.lines.select_related("product", "vat_code").get(pk=pk)
    except (QuoteLine.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def quote_links(*, user: Any, quote: Quote) -> QuerySet[QuoteLink]:
    return visible_to(QuoteLink.objects.filter(quote=quote), user).select_related("created_by", "revoked_by")


def quotes_for_party(*, user: Any, party: Any, limit: int = 5) -> list[Quote]:
    """The customer's most recent quotes ``user`` may see (one query)."""
    return list(
        visible_to(Quote.objects.filter(party_id=_pk(party)), user)
        .select_related("owner")
        .order_by("-issue_on", "-number")[:limit]
    )


def quotes_for_opportunity(*, user: Any, opportunity: Any) -> list[Quote]:
    if not any(f.name == "opportunity" for f in Quote._meta.get_fields()):
        return []
    return list(
        visible_to(Quote.objects.filter(opportunity_id=_pk(opportunity)), user)
        .select_related("owner")
        .order_by("-issue_on", "-number")
    )


def quote_customer_choices(*, user: Any) -> QuerySet[Party]:
    return visible_to(Party.objects.filter(merged_into__isnull=True, erased_at__isnull=True), user).order_by(
        "display_name"
    )


def quote_product_choices(*, legal_entity: Any) -> QuerySet[Product]:
    return Product.objects.filter(legal_entity_id=_pk(legal_entity), active=True).order_by("code")


def quote_vat_code_choices(*, legal_entity: Any) -> QuerySet[VatCode]:
    return VatCode.objects.filter(legal_entity_id=_pk(legal_entity), active=True).order_by("-rate", "code")
