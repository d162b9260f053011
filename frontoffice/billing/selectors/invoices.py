"""Reading invoices and credit notes: the list with its filters and exports, one document with
everything its page shows, and the choices the draft editor offers.

Invariants:

- every query starts from ``visible_to(user)`` (``CUSTOMER_SCOPE``): a clerk reads their legal
  entity's invoices, a regional manager those of their regions' customers, a sales rep those
  of their own customers; anything else is absent from lists and exports and a 404 by id;
- the list selects its related rows in the same query, so a page's number of queries does not
  grow with its rows;
- amounts are Decimal in öre; a document's VAT breakdown is recomputed from its lines exactly
  as it was when it was issued (``billing.services.totals``; credit notes on the running sum).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from frontoffice.billing.models import BillingProfile, Invoice, InvoiceLine, Product, VatCode
from frontoffice.billing.services.crediting import credit_note_lines_left, credit_note_vat_breakdown
from frontoffice.billing.services.invoicing import lines_totals
from frontoffice.billing.services.totals import Totals, totals_from_groups
from frontoffice.core.scoping import get_visible_or_404, visible_to

# "F2026-00042", "F2026-42", "2026-42": a printed invoice number.
_REFERENCE = re.compile(r"^(?P<prefix>[A-Za-z]*)(?P<year>\d{4})-(?P<number>\d{1,9})$")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def invoice_list(
    *,
    user: Any,
    legal_entity: Any = None,
    status: str = "",
    kind: str = "",
    party: Any = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    query: str = "",
) -> QuerySet[Invoice]:
    """Invoices and credit notes visible to ``user``, drafts first, then newest first.

    ``status`` and ``kind`` are the model's values; ``party`` a customer (or id); the dates
    bound the invoice date, inclusive; ``query`` is an invoice number (``F2026-00042``, or
    just ``42``), an OCR reference or part of the customer's name.
    """
    qs = visible_to(Invoice.objects.all(), user).select_related(
        "series", "party", "legal_entity", "credits__series"
    )
    if legal_entity not in (None, ""):
        qs = qs.filter(legal_entity_id=_pk(legal_entity))
    if status in Invoice.Status.values:
        qs = qs.filter(status=status)
    if kind in Invoice.Kind.values:
        qs = qs.filter(kind=kind)
    if party not in (None, ""):
        qs = qs.filter(party_id=_pk(party))
    if date_from:
        qs = qs.filter(issue_on__gte=date_from)
    if date_to:
        qs = qs.filter(issue_on__lte=date_to)
    query = " ".join((query or "").split())
    if query:
        qs = qs.filter(_search(query))
    return qs.order_by(F("issue_on").desc(nulls_first=True), F("number").desc(nulls_first=True), "-id")


def _search(query: str) -> Q:
    match = _REFERENCE.match(query)
    if match:
        q = Q(year=int(match["year"]), number=int(match["number"]))
        if match["prefix"]:
            q &= Q(series__prefix__iexact=match["prefix"])
        return q
    if query.isdigit():
        q = Q(payment_reference=query)
        if len(query) <= 9:
            q |= Q(number=int(query))
        return q
    return Q(buyer_name__icontains=query) | Q(party__display_name__icontains=query)


def invoice_get(*, user: Any, pk: Any) -> Invoice:
    """One invoice or credit note with its lines, voucher, credited invoice and credit notes;
    404 outside the user's scope."""
    qs = Invoice.objects.select_related(
        "series",
        "party",
        "profile",
        "legal_entity",
        "voucher__series",
        "credits__series",
        "created_by",
        "issued_by",
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=InvoiceLine.objects.select_related(
                "product", "vat_code", "revenue_account", "credits_line"
            ).order_by("line_no"),
        ),
        Prefetch("credit_notes", queryset=Invoice.objects.select_related("series").order_by("pk")),
    )
    return get_visible_or_404(qs, user, pk=pk)


def invoice_line_get(*, invoice: Invoice, pk: Any) -> InvoiceLine:
    """A line of ``invoice`` (already looked up within the user's scope), or 404."""
    from django.http import Http404

    try:
        return InvoiceLine.objects.select_related("invoice").get(invoice=invoice, pk=int(pk))
    except (InvoiceLine.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def invoice_by_idempotency_key(*, user: Any, legal_entity: Any, key: str) -> Invoice | None:
    """The visible document an earlier call with this idempotency key issued, if any."""
    return (
        visible_to(Invoice.objects.all(), user)
        .filter(legal_entity_id=_pk(legal_entity), idempotency_key=key)
        .first()
    )


def invoice_document_totals(invoice: Invoice, *, round_to_whole_krona: bool = False) -> Totals:
    """Net, VAT per rate, rounding and total as the document states them: drafts from their
    lines now; issued invoices with their stored rounding; credit notes on the running sum."""
    if invoice.kind == Invoice.Kind.CREDIT_NOTE and invoice.status != Invoice.Status.DRAFT:
        return credit_note_vat_breakdown(invoice)
    totals = lines_totals(invoice.lines.all(), round_to_whole_krona=round_to_whole_krona)
    if invoice.status == Invoice.Status.DRAFT:
        return totals
    return totals_from_groups(totals.vat, rounding_amount=invoice.rounding_amount)


def invoice_credit_choices(invoice: Invoice) -> list[tuple[InvoiceLine, Any]]:
    """The invoice's lines with the quantity that can still be credited."""
    return credit_note_lines_left(invoice)


# ---------------------------------------------------------------- choices for the editor


def invoice_customer_choices(*, user: Any, legal_entity: Any = None) -> QuerySet[BillingProfile]:
    """Active billing profiles the user can see: the customers a draft may be for."""
    qs = visible_to(BillingProfile.objects.filter(active=True), user).select_related("party", "legal_entity")
    if legal_entity not in (None, ""):
        qs = qs.filter(legal_entity_id=_pk(legal_entity))
    return qs.order_by("legal_name", "pk")


def invoice_product_choices(*, legal_entity: Any) -> QuerySet[Product]:
    return Product.objects.filter(legal_entity_id=_pk(legal_entity), active=True).order_by("code")


def invoice_vat_code_choices(*, legal_entity: Any) -> QuerySet[VatCode]:
    return VatCode.objects.filter(legal_entity_id=_pk(legal_entity), active=True).order_by("-rate", "code")


# ---------------------------------------------------------------- exports


def invoice_export_rows(queryset: QuerySet[Invoice]) -> Iterator[Invoice]:
    """The list's rows for an export, fetched in chunks (the list is already scoped)."""
    return queryset.iterator(chunk_size=1000)
