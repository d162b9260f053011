"""Reading vouchers: the voucher list with its filters, one voucher with everything shown
on its page, and the choices the voucher entry form offers.

Invariants:
- every query starts from ``visible_to(user)``: a voucher of another legal entity is never
  listed, and looking one up by id answers 404 (``get_visible_or_404``);
- the list selects its related rows in the same query, so the number of queries of a list
  page does not grow with the number of vouchers;
- amounts are Decimal, quantized to öre (never float).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from frontoffice.core.money import quantize
from frontoffice.core.scoping import get_visible_or_404, user_scope, visible_to
from frontoffice.finance.models import (
    AccountType,
    Attachment,
    DimensionObject,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    PostingRejection,
    VoucherSeries,
)


def _entity_id(legal_entity: Any) -> int | None:
    if legal_entity in (None, ""):
        return None
    return int(getattr(legal_entity, "pk", legal_entity))


def voucher_list(
    *,
    user: Any,
    legal_entity: Any = None,
    series: str = "",
    status: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    account: str = "",
    text: str = "",
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    number: int | None = None,
) -> QuerySet[JournalEntry]:
    """The user's vouchers, newest first, narrowed by the given filters.

    ``account`` is an account number: vouchers with at least one line on it. ``amount_min``
    and ``amount_max`` compare with the voucher total (the debit sum).
    """
    qs = visible_to(JournalEntry.objects.all(), user).select_related("series", "legal_entity")
    entity_id = _entity_id(legal_entity)
    if entity_id is not None:
        qs = qs.filter(legal_entity_id=entity_id)
    if series:
        qs = qs.filter(series__code=series)
    if status:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    if account:
        qs = qs.filter(
            Exists(JournalLine.objects.filter(entry_id=OuterRef("pk"), account__number=account.strip()))
        )
    if text:
        qs = qs.filter(text__icontains=text.strip())
    if amount_min is not None:
        qs = qs.filter(total_amount__gte=amount_min)
    if amount_max is not None:
        qs = qs.filter(total_amount__lte=amount_max)
    if number is not None:
        qs = qs.filter(number=number)
    return qs.order_by("-date", "-id")


def voucher_prefetches() -> list[Prefetch]:
    """Lines (with accounts and dimensions), attachments and reversals, in constant queries."""
    return [
        Prefetch(
            "lines",
            queryset=JournalLine.objects.select_related(
                "account", "cost_centre", "project", "region"
            ).order_by("line_no"),
        ),
        Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by").order_by("pk")),
        Prefetch("reversals", queryset=JournalEntry.objects.select_related("series").order_by("pk")),
    ]


def voucher_by_idempotency_key(*, user: Any, legal_entity: Any, key: str) -> JournalEntry | None:
    """The visible voucher an earlier call with this idempotency key created, if any."""
    return (
        visible_to(JournalEntry.objects.all(), user)
        .filter(legal_entity_id=_entity_id(legal_entity), idempotency_key=key)
        .first()
    )


def voucher_get(*, user: Any, pk: Any) -> JournalEntry:
    """One voucher with its lines (accounts, dimensions), attachments, reversal links and
    rejected posting attempts; 404 outside the user's scope."""
    qs = JournalEntry.objects.select_related(
        "series",
        "legal_entity",
        "fiscal_year",
        "period",
        "reverses__series",
        "created_by",
        "submitted_by",
        "approved_by",
        "posted_by",
        "source_type",
    ).prefetch_related(
        *voucher_prefetches(),
        Prefetch("rejections", queryset=PostingRejection.objects.select_related("actor").order_by("-at")),
    )
    return get_visible_or_404(qs, user, pk=pk)


@dataclass(frozen=True)
class VoucherTotals:
    debit: Decimal
    credit: Decimal

    @property
    def difference(self) -> Decimal:
        return self.debit - self.credit


def voucher_totals(entry: JournalEntry) -> VoucherTotals:
    """Debit and credit sums of the (prefetched) lines; each line is already in öre."""
    debit = sum((line.amount for line in entry.lines.all() if line.side == "D"), Decimal("0.00"))
    credit = sum((line.amount for line in entry.lines.all() if line.side == "C"), Decimal("0.00"))
    return VoucherTotals(quantize(debit), quantize(credit))


def entry_legal_entity(*, user: Any, legal_entity: Any = None) -> Any:
    """The legal entity a user enters vouchers in: their own, or the one an
    organisation-wide user picked (validated through ``visible_to``); 404 for one they
    cannot see or a malformed id."""
    from frontoffice.org.models import LegalEntity

    if legal_entity in (None, ""):
        entity_id = user_scope(user).legal_entity_id
    else:
        try:
            entity_id = int(getattr(legal_entity, "pk", legal_entity))
        except (TypeError, ValueError) as exc:
            raise Http404 from exc
    if entity_id is None:
        raise Http404
    return get_visible_or_404(LegalEntity.objects.all(), user, pk=entity_id)


def voucher_series_choices(*, user: Any, legal_entity: Any = None) -> list[VoucherSeries]:
    """The visible voucher series, of one legal entity when given."""
    qs = visible_to(VoucherSeries.objects.all(), user)
    entity_id = _entity_id(legal_entity)
    if entity_id is not None:
        qs = qs.filter(legal_entity_id=entity_id)
    return list(qs.order_by("code", "legal_entity_id"))


def active_accounts(*, user: Any, legal_entity: Any) -> list[LedgerAccount]:
    """Active accounts for the entry form's account list (control accounts included: the
    standards, not the form, decide what may be posted)."""
    return list(
        visible_to(LedgerAccount.objects.all(), user)
        .filter(legal_entity_id=_entity_id(legal_entity), active=True)
        .order_by("number")
    )


def dimension_codes(*, user: Any, legal_entity: Any) -> dict[str, list[DimensionObject]]:
    """Active dimension objects per kind (``cost_centre``, ``project``, ``region``)."""
    out: dict[str, list[DimensionObject]] = {"cost_centre": [], "project": [], "region": []}
    for obj in (
        visible_to(DimensionObject.objects.all(), user)
        .filter(legal_entity_id=_entity_id(legal_entity), active=True)
        .order_by("kind", "code")
    ):
        out.setdefault(obj.kind, []).append(obj)
    return out


def account_list(
    *,
    user: Any,
    legal_entity: Any = None,
    type: str = "",
    active: bool | None = None,
    query: str = "",
) -> QuerySet[LedgerAccount]:
    """The chart of accounts the user may see, by number; ``query`` matches number or names."""
    qs = visible_to(LedgerAccount.objects.all(), user).select_related("legal_entity")
    entity_id = _entity_id(legal_entity)
    if entity_id is not None:
        qs = qs.filter(legal_entity_id=entity_id)
    if type:
        qs = qs.filter(type=type)
    if active is not None:
        qs = qs.filter(active=active)
    if query:
        query = query.strip()
        qs = qs.filter(
            Q(number__startswith=query) | Q(name_sv__icontains=query) | Q(name_en__icontains=query)
        )
    return qs.order_by("legal_entity_id", "number")


def account_get(*, user: Any, pk: Any) -> LedgerAccount:
    return get_visible_or_404(LedgerAccount.objects.select_related("legal_entity"), user, pk=pk)


ACCOUNT_TYPES = [t.value for t in AccountType]
