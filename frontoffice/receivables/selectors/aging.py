"""Receivables aging and days sales outstanding, computed in SQL and scoped with ``visible_to``.

- Aging: the open amounts of issued invoices and credit notes (credit notes negative) issued
  on or before ``as_of``, per customer, in the buckets not due (due on or after ``as_of``),
  1-30, 31-60, 61-90 and over 90 days past due. ONE aggregate query (conditional sums grouped
  by customer) that filters on (legal entity, status, due date) like the
  ``billing_invoice_aging_idx`` index; totals are summed from the customer rows in Python.
  The open amount is the current one: payments registered after ``as_of`` are already
  subtracted (an aging "as it was on" a past date would need the allocation history).
- DSO over N days = receivables open on ``as_of`` / credit sales (invoices minus credit notes,
  incl. VAT) issued in the N days ending on ``as_of`` * N, to one decimal; None without sales.

A sales rep's scope reaches their own customers' invoices (billing's ``CUSTOMER_SCOPE``), so
their aging covers exactly those customers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Sum
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext_lazy as _

from frontoffice.billing.models import Invoice
from frontoffice.core.scoping import visible_to
from frontoffice.parties.models import Party
from frontoffice.receivables.services.common import ZERO, le_id

BUCKETS: list[tuple[str, Any]] = [
    ("not_due", _("Not due")),
    ("days_1_30", _("1-30 days")),
    ("days_31_60", _("31-60 days")),
    ("days_61_90", _("61-90 days")),
    ("over_90", _("Over 90 days")),
]
BUCKET_KEYS = [key for key, _label in BUCKETS]
CENT = Decimal("0.01")


@dataclass
class AgingRow:
    party_id: int | None
    party_name: str
    not_due: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    over_90: Decimal = ZERO
    count: int = 0

    @property
    def total(self) -> Decimal:
        return sum((getattr(self, key) for key in BUCKET_KEYS), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.not_due

    def cells(self) -> list[tuple[str, Decimal]]:
        return [(key, getattr(self, key)) for key in BUCKET_KEYS]


@dataclass
class Aging:
    as_of: datetime.date
    rows: list[AgingRow] = field(default_factory=list)
    totals: AgingRow = field(default_factory=lambda: AgingRow(None, str(_("Total"))))


def bucket_q(bucket: str, as_of: datetime.date) -> Q:
    """The due dates of ``bucket`` on ``as_of`` (days past due = ``as_of`` - due date)."""

    def ago(days: int) -> datetime.date:
        return as_of - datetime.timedelta(days=days)

    if bucket == "not_due":
        return Q(due_on__gte=as_of) | Q(due_on__isnull=True)
    if bucket == "days_1_30":
        return Q(due_on__lte=ago(1), due_on__gte=ago(30))
    if bucket == "days_31_60":
        return Q(due_on__lte=ago(31), due_on__gte=ago(60))
    if bucket == "days_61_90":
        return Q(due_on__lte=ago(61), due_on__gte=ago(90))
    if bucket == "over_90":
        return Q(due_on__lt=ago(90))
    raise ValueError(f"unknown aging bucket {bucket!r}")


def open_items(*, user: Any, legal_entity: Any, as_of: datetime.date) -> QuerySet[Invoice]:
    """Issued invoices and credit notes with an open amount, issued on or before ``as_of``."""
    return (
        visible_to(Invoice.objects.all(), user)
        .filter(legal_entity_id=le_id(legal_entity), status=Invoice.Status.ISSUED, issue_on__lte=as_of)
        .exclude(open_amount=0)
    )


def _cents(value: Any) -> Decimal:
    return (Decimal(int(value or 0)) / 100).quantize(CENT)


def receivables_aging(*, user: Any, legal_entity: Any, as_of: datetime.date, party: Any = None) -> Aging:
    """The aging per customer (sorted by name) and in total; one query.

    The invoices are aggregated per customer id (a hash aggregate, no sort of the invoice
    rows) in whole öre (``ROUND(open_amount * 100)`` as a 64-bit integer: exact, and much
    cheaper to add up than numerics; SQLite would otherwise add decimals as floats), and only
    the customer rows are joined to their names and sorted.
    """
    qs = open_items(user=user, legal_entity=legal_entity, as_of=as_of)
    if party is not None:
        qs = qs.filter(party_id=getattr(party, "pk", party))
    cents = Cast(Round(F("open_amount") * 100), BigIntegerField())
    sums = {key: Sum(cents, filter=bucket_q(key, as_of)) for key in BUCKET_KEYS}
    inner = qs.order_by().values("party_id").annotate(aging_count=Count("*"), **sums)
    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # the user sees nothing
        return Aging(as_of=as_of)
    q = connection.ops.quote_name
    columns = ", ".join(f"a.{q(key)}" for key in BUCKET_KEYS)
    sql = (
        f"SELECT a.{q('party_id')}, p.{q('display_name')}, a.{q('aging_count')}, {columns} "  # noqa: S608 - names from the models
        f"FROM ({inner_sql}) a JOIN {q(Party._meta.db_table)} p ON p.{q('id')} = a.{q('party_id')} "
        f"ORDER BY p.{q('display_name')}, a.{q('party_id')}"
    )
    aging = Aging(as_of=as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    totals = dict.fromkeys(BUCKET_KEYS, 0)
    count = 0
    for party_id, name, row_count, *amounts in rows:
        row = AgingRow(party_id, name, count=row_count)
        for key, amount in zip(BUCKET_KEYS, amounts, strict=True):
            setattr(row, key, _cents(amount))
            totals[key] += int(amount or 0)
        count += row_count
        aging.rows.append(row)
    for key in BUCKET_KEYS:
        setattr(aging.totals, key, _cents(totals[key]))
    aging.totals.count = count
    return aging


def aging_invoices(
    *, user: Any, legal_entity: Any, as_of: datetime.date, party: Any = None, bucket: str | None = None
) -> QuerySet[Invoice]:
    """The open items behind an aging cell: one customer and/or one bucket, oldest due first."""
    qs = open_items(user=user, legal_entity=legal_entity, as_of=as_of).select_related("series", "party")
    if party is not None:
        qs = qs.filter(party_id=getattr(party, "pk", party))
    if bucket:
        qs = qs.filter(bucket_q(bucket, as_of))
    return qs.order_by("due_on", "issue_on", "pk")


@dataclass(frozen=True)
class Dso:
    as_of: datetime.date
    days: int
    receivables: Decimal
    credit_sales: Decimal

    @property
    def date_from(self) -> datetime.date:
        return self.as_of - datetime.timedelta(days=self.days - 1)

    @property
    def dso(self) -> Decimal | None:
        if self.credit_sales <= ZERO:
            return None
        value = self.receivables / self.credit_sales * self.days
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def days_sales_outstanding(*, user: Any, legal_entity: Any, as_of: datetime.date, days: int = 90) -> Dso:
    """DSO over the ``days`` days ending on ``as_of``: two aggregates, the open items (read from
    the open-items index) and the sales of the window (read by issue date)."""
    days = max(1, min(int(days), 3650))
    date_from = as_of - datetime.timedelta(days=days - 1)
    cents = Cast(Round(F("open_amount") * 100), BigIntegerField())
    total_cents = Cast(Round(F("total_amount") * 100), BigIntegerField())
    receivables = open_items(user=user, legal_entity=legal_entity, as_of=as_of).aggregate(total=Sum(cents))
    sales = (
        visible_to(Invoice.objects.all(), user)
        .filter(legal_entity_id=le_id(legal_entity), issue_on__gte=date_from, issue_on__lte=as_of)
        .exclude(status=Invoice.Status.DRAFT)
        .aggregate(
            invoiced=Sum(total_cents, filter=Q(kind=Invoice.Kind.INVOICE)),
            credited=Sum(total_cents, filter=Q(kind=Invoice.Kind.CREDIT_NOTE)),
        )
    )
    return Dso(
        as_of=as_of,
        days=days,
        receivables=_cents(receivables["total"]),
        credit_sales=_cents(sales["invoiced"]) - _cents(sales["credited"]),
    )
