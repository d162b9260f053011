"""Reading recurring invoices: the list (filters, search), one with its run history.

Every query starts from ``visible_to`` (``CUSTOMER_SCOPE``, like invoices); a list page runs
a constant number of queries whatever its rows."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet

from frontoffice.billing.models import RecurringInvoice, RecurringRun
from frontoffice.core.scoping import get_visible_or_404, visible_to

ACTIVE, PAUSED, ENDED = "active", "paused", "ended"
STATES = (ACTIVE, PAUSED, ENDED)


def recurring_list(
    *, user: Any, state: str = "", query: str = "", party: Any = None
) -> QuerySet[RecurringInvoice]:
    """Recurring invoices visible to ``user``: ``state`` active (runs again), paused, or ended
    (its next date is past its last invoice date); ``query`` matches the customer or description."""
    qs = visible_to(RecurringInvoice.objects.all(), user).select_related("party", "created_by")
    ended = Q(end_on__isnull=False, end_on__lt=F("next_run_on"))
    if state == ACTIVE:
        qs = qs.filter(active=True).exclude(ended)
    elif state == PAUSED:
        qs = qs.filter(active=False)
    elif state == ENDED:
        qs = qs.filter(ended)
    if party not in (None, ""):
        qs = qs.filter(party_id=getattr(party, "pk", party))
    for word in (query or "").split()[:5]:
        qs = qs.filter(Q(party__display_name__icontains=word) | Q(description__icontains=word))
    return qs.annotate(run_count=Count("runs")).order_by("next_run_on", "pk")


def recurring_get(*, user: Any, pk: Any) -> RecurringInvoice:
    """One recurring invoice with its runs (and their invoices); 404 outside the scope."""
    qs = RecurringInvoice.objects.select_related("party", "legal_entity", "created_by").prefetch_related(
        Prefetch(
            "runs",
            queryset=RecurringRun.objects.select_related("invoice__series").order_by("-period_key"),
        )
    )
    return get_visible_or_404(qs, user, pk=pk)


def recurring_state(recurring: RecurringInvoice) -> str:
    if not recurring.active:
        return PAUSED
    if recurring.end_on is not None and recurring.next_run_on > recurring.end_on:
        return ENDED
    return ACTIVE


def recurring_lines_display(recurring: RecurringInvoice) -> list[dict[str, str]]:
    """The template lines with every key present and product lines named (one query)."""
    from frontoffice.billing.models import Product

    ids = [line["product"] for line in recurring.lines if str(line.get("product", "")).isdigit()]
    names = {
        str(pk): f"{code} {name}"
        for pk, code, name in Product.objects.filter(
            legal_entity_id=recurring.legal_entity_id, pk__in=ids
        ).values_list("pk", "code", "name")
    }
    keys = ("description", "quantity", "unit_price", "discount_percent", "vat_code")
    return [
        {
            **{key: str(line.get(key, "") or "") for key in keys},
            "product": names.get(str(line.get("product", "")), ""),
        }
        for line in recurring.lines
    ]
