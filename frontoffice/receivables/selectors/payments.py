"""Payments as the desk lists them, scoped with ``visible_to``; rows carry what the list shows."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from frontoffice.billing.models import Invoice
from frontoffice.core.scoping import get_visible_or_404, user_scope, visible_to
from frontoffice.receivables.models import BankImport, Payment, PaymentAllocation
from frontoffice.receivables.services.common import le_id

ALLOCATION_STATES = ("unallocated", "partly", "allocated")


def payment_list(
    *,
    user: Any,
    legal_entity: Any = None,
    q: str = "",
    state: str = "",
    source: str = "",
    party: Any = None,
    bank_import: Any = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
) -> QuerySet[Payment]:
    """Payments the user can see, newest first. ``state``: ``unallocated`` (nothing applied),
    ``partly`` (some money still unallocated), ``allocated`` (all applied); ``q`` searches
    payer, reference, note and customer name (and an exact amount)."""
    qs = visible_to(Payment.objects.all(), user).select_related("party", "voucher__series", "legal_entity")
    if legal_entity not in (None, ""):
        qs = qs.filter(legal_entity_id=le_id(legal_entity))
    if state == "unallocated":
        qs = qs.filter(unallocated_amount__gt=0)
    elif state == "partly":
        qs = qs.filter(unallocated_amount__gt=0).exclude(unallocated_amount=F("amount"))
    elif state == "allocated":
        qs = qs.filter(unallocated_amount=0)
    if source:
        qs = qs.filter(source=source)
    if party not in (None, ""):
        qs = qs.filter(party_id=getattr(party, "pk", party))
    if bank_import not in (None, ""):
        qs = qs.filter(bank_import_id=getattr(bank_import, "pk", bank_import))
    if date_from:
        qs = qs.filter(paid_on__gte=date_from)
    if date_to:
        qs = qs.filter(paid_on__lte=date_to)
    if amount_min is not None:
        qs = qs.filter(amount__gte=amount_min)
    if amount_max is not None:
        qs = qs.filter(amount__lte=amount_max)
    text = " ".join((q or "").split())
    if text:
        match = (
            Q(payer_name__icontains=text)
            | Q(reference__icontains=text)
            | Q(note__icontains=text)
            | Q(party__display_name__icontains=text)
        )
        digits = text.replace(" ", "").replace(",", ".")
        with contextlib.suppress(ArithmeticError):
            match |= Q(amount=Decimal(digits))
        qs = qs.filter(match)
    return qs.order_by("-paid_on", "-pk")


def payment_get(*, user: Any, pk: Any) -> Payment:
    """One payment with its allocations (and their invoices and vouchers); 404 outside scope."""
    allocations = PaymentAllocation.objects.select_related(
        "invoice__series", "voucher__series", "reversal_voucher__series", "created_by", "reversed_by"
    ).order_by("pk")
    qs = Payment.objects.select_related(
        "party", "voucher__series", "bank_account", "bank_import", "created_by", "legal_entity"
    ).prefetch_related(Prefetch("allocations", queryset=allocations))
    return get_visible_or_404(qs, user, pk=pk)


def payment_by_idempotency_key(*, user: Any, legal_entity: Any, key: str) -> Payment | None:
    return (
        visible_to(Payment.objects.all(), user)
        .filter(legal_entity_id=le_id(legal_entity), idempotency_key=key)
        .first()
    )


def allocatable_invoices(
    *, user: Any, legal_entity: Any, party: Any = None, q: str = ""
) -> QuerySet[Invoice]:
    """Issued invoices with money open that a payment can be allocated to, oldest due first."""
    qs = (
        visible_to(Invoice.objects.all(), user)
        .filter(
            legal_entity_id=le_id(legal_entity),
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            open_amount__gt=0,
        )
        .select_related("series", "party")
    )
    if party not in (None, ""):
        qs = qs.filter(party_id=getattr(party, "pk", party))
    text = " ".join((q or "").split())
    if text:
        match = (
            Q(party__display_name__icontains=text) | Q(buyer_name__icontains=text) | Q(payment_reference=text)
        )
        number = text.rsplit("-", 1)[-1]
        if number.isdigit():
            match |= Q(number=int(number))
        qs = qs.filter(match)
    return qs.order_by("due_on", "pk")


def bank_import_list(*, user: Any, legal_entity: Any = None) -> QuerySet[BankImport]:
    qs = visible_to(BankImport.objects.all(), user).select_related("imported_by")
    if legal_entity not in (None, ""):
        qs = qs.filter(legal_entity_id=le_id(legal_entity))
    return qs.order_by("-created_at", "-pk")


def working_legal_entity(*, user: Any, legal_entity: Any = None) -> Any:
    """The legal entity a user works in: their own, or the one an organisation-wide user
    picked (validated through ``visible_to``); 404 for one they cannot see."""
    from django.http import Http404

    from frontoffice.org.models import LegalEntity

    if legal_entity in (None, ""):
        entity_id = user_scope(user).legal_entity_id
        if entity_id is None:
            first = visible_to(LegalEntity.objects.order_by("pk"), user).first()
            if first is None:
                raise Http404
            return first
    else:
        try:
            entity_id = int(getattr(legal_entity, "pk", legal_entity))
        except (TypeError, ValueError) as exc:
            raise Http404 from exc
    return get_visible_or_404(LegalEntity.objects.all(), user, pk=entity_id)
