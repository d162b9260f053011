"""Repeat customers: purchase history, reorder rhythm and cross-sell suggestions (read only).

Everything here is computed in SQL from issued billing invoices; the app stores nothing.

Invariants:

- A purchase is an issued invoice (``kind=invoice``, any status but draft) whose net amount
  is not wholly credited: credit notes (issued, ``credits`` → the invoice) net out. Per line,
  a line counts with its net less what credit note lines (``credits_line``) gave back; a line
  credited in full is no purchase of its product.
- Amounts are summed in whole öre as integers (exact on SQLite too), then quantized.
- Scope: a user sees the history of customers visible to them (``Party.visible_to``), built
  from invoices visible to them (``Invoice.visible_to``). Co-purchase statistics behind the
  suggestions are counts over the whole legal entity (no customer is named, and a pair needs
  at least ``MIN_SUPPORT`` other customers), so a rep with few customers still gets useful
  suggestions; suggestions are only made *for* customers in the user's scope.
- The reorder rule (``docs/repeat-customers.md``): with at least ``MIN_PURCHASE_DATES``
  purchase dates, typical interval = median gap between consecutive purchase dates (rounded
  half up to whole days), next expected = last purchase + typical interval; due from
  ``expected - lead`` (lead = min(7 days, half the interval)), overdue after
  ``expected + tolerance`` (tolerance = 25 % of the interval, rounded up).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BigIntegerField,
    DecimalField,
    F,
    Max,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, ExtractQuarter, ExtractYear, Round
from django.utils.translation import gettext_lazy as _

from frontoffice.billing.models import Invoice, InvoiceLine, Product
from frontoffice.core.money import CENT
from frontoffice.core.scoping import ScopeLevel, get_visible_or_404, user_scope, visible_to
from frontoffice.parties.models import Party

PERMISSION = "sales.view_opportunity"

MIN_PURCHASE_DATES = 3
LEAD_DAYS = 7
TOLERANCE_PERCENT = 25
MIN_SUPPORT = 2  # other customers who bought both products before a pair is suggested
SUGGESTIONS_PER_CUSTOMER = 3

OVERDUE = "overdue"
DUE = "due"
NOT_DUE = "not_due"
TOO_FEW = "too_few"
STATUS_LABELS = {
    OVERDUE: _("Overdue"),
    DUE: _("Due"),
    NOT_DUE: _("Not yet due"),
    TOO_FEW: _("Too little history"),
}
HIGH, MEDIUM, LOW = "high", "medium", "low"
CONFIDENCE_LABELS = {HIGH: _("High"), MEDIUM: _("Medium"), LOW: _("Low")}

_EPOCH = datetime.date(2000, 1, 1)
_ZERO = Decimal("0.00")
_ISSUED = [Invoice.Status.ISSUED, Invoice.Status.PAID, Invoice.Status.CREDITED]


# --- building blocks -------------------------------------------------------------------------


def _money() -> DecimalField:
    return DecimalField(max_digits=14, decimal_places=2)


def _credited_invoice_net() -> Coalesce:
    """What issued credit notes gave back of an invoice's net amount."""
    notes = (
        Invoice.objects.filter(credits=OuterRef("pk"), kind=Invoice.Kind.CREDIT_NOTE, status__in=_ISSUED)
        .order_by()
        .values("credits")
        .annotate(total=Sum("net_amount"))
        .values("total")
    )
    return Coalesce(Subquery(notes, output_field=_money()), Value(_ZERO), output_field=_money())


def _credited_line(column: str) -> Coalesce:
    """What issued credit note lines gave back of a line's ``column`` (net_amount or quantity)."""
    credits = (
        InvoiceLine.objects.filter(
            credits_line=OuterRef("pk"),
            invoice__kind=Invoice.Kind.CREDIT_NOTE,
            invoice__status__in=_ISSUED,
        )
        .order_by()
        .values("credits_line")
        .annotate(total=Sum(column))
        .values("total")
    )
    out = _money() if column == "net_amount" else DecimalField(max_digits=12, decimal_places=3)
    return Coalesce(Subquery(credits, output_field=out), Value(Decimal("0")), output_field=out)


def purchase_invoices(*, user: Any) -> QuerySet[Invoice]:
    """Issued invoices of customers visible to ``user`` that are not wholly credited, each
    annotated with ``credited_amount`` and ``kept_amount`` (net less credits)."""
    parties = visible_to(Party.objects.all(), user).values("pk")
    return (
        visible_to(Invoice.objects.all(), user)
        .filter(kind=Invoice.Kind.INVOICE, status__in=_ISSUED, party__in=parties)
        .annotate(credited_amount=_credited_invoice_net())
        .annotate(kept_amount=F("net_amount") - F("credited_amount"))
        .filter(kept_amount__gt=0)
    )


def purchase_lines(*, user: Any) -> QuerySet[InvoiceLine]:
    """Lines of ``purchase_invoices`` with ``kept_amount``/``kept_quantity`` (less credits),
    only lines not wholly credited."""
    return (
        InvoiceLine.objects.filter(invoice__in=purchase_invoices(user=user).values("pk"))
        .annotate(
            kept_amount=F("net_amount") - _credited_line("net_amount"),
            kept_quantity=F("quantity") - _credited_line("quantity"),
        )
        .filter(kept_amount__gt=0)
    )


def _entity_pairs(legal_entity_ids: Any) -> QuerySet[InvoiceLine]:
    """(customer, product) pairs bought (not wholly credited) in these legal entities, unscoped:
    the co-purchase counts behind the suggestions."""
    return (
        InvoiceLine.objects.filter(
            invoice__kind=Invoice.Kind.INVOICE,
            invoice__status__in=_ISSUED,
            invoice__legal_entity_id__in=legal_entity_ids,
            product__isnull=False,
        )
        .alias(kept=F("net_amount") - _credited_line("net_amount"))
        .filter(kept__gt=0)
        .order_by()
        .values(cp_party=F("invoice__party_id"), cp_product=F("product_id"))
    )


def _day(column: str) -> str:
    """SQL for a date column as a day number (days since 2000-01-01), on either database."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '2000-01-01')"
    return f"CAST(julianday({column}) - julianday('2000-01-01') AS INTEGER)"


def _date(day: int | None) -> datetime.date | None:
    return None if day is None else _EPOCH + datetime.timedelta(days=int(day))


def _sql(queryset: QuerySet) -> tuple[str, tuple[Any, ...]] | None:
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return None


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _cents(value: Any) -> Decimal:
    return (Decimal(int(value or 0)) / 100).quantize(CENT)


# --- reorder rhythm --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rhythm:
    """One customer's (or one customer's product group's) purchase rhythm on ``today``."""

    party_id: int
    group_id: int | None
    purchase_dates: int
    first_on: datetime.date
    last_on: datetime.date
    last_invoice_id: int
    intervals: int
    median_gap: Decimal | None  # exact median of the gaps (a half day when the count is even)
    min_gap: int | None
    max_gap: int | None
    today: datetime.date

    @property
    def typical_days(self) -> int | None:
        """The median gap rounded half up to whole days (None below MIN_PURCHASE_DATES)."""
        if self.purchase_dates < MIN_PURCHASE_DATES or self.median_gap is None:
            return None
        return int((self.median_gap * 2 + 1) // 2)

    @property
    def expected_on(self) -> datetime.date | None:
        days = self.typical_days
        return None if days is None else self.last_on + datetime.timedelta(days=days)

    @property
    def lead_days(self) -> int:
        return min(LEAD_DAYS, (self.typical_days or 0) // 2)

    @property
    def tolerance_days(self) -> int:
        days = self.typical_days or 0
        return -(-days * TOLERANCE_PERCENT // 100)  # rounded up

    @property
    def due_from(self) -> datetime.date | None:
        expected = self.expected_on
        return None if expected is None else expected - datetime.timedelta(days=self.lead_days)

    @property
    def overdue_after(self) -> datetime.date | None:
        expected = self.expected_on
        return None if expected is None else expected + datetime.timedelta(days=self.tolerance_days)

    @property
    def status(self) -> str:
        expected = self.expected_on
        if expected is None:
            return TOO_FEW
        if self.today > self.overdue_after:
            return OVERDUE
        if self.today >= self.due_from:
            return DUE
        return NOT_DUE

    @property
    def status_label(self) -> Any:
        return STATUS_LABELS[self.status]

    @property
    def days_overdue(self) -> int:
        expected = self.expected_on
        return max(0, (self.today - expected).days) if expected else 0

    @property
    def spread_days(self) -> int | None:
        """Longest gap less shortest gap: how regular the rhythm is."""
        if self.min_gap is None or self.max_gap is None:
            return None
        return self.max_gap - self.min_gap

    @property
    def confidence(self) -> str | None:
        """high: 4+ intervals and a spread within half the typical interval; low: 2 intervals or a
        spread above the typical interval; medium otherwise."""
        days = self.typical_days
        if days is None:
            return None
        spread = self.spread_days or 0
        if self.intervals >= 4 and spread * 2 <= days:
            return HIGH
        if self.intervals <= 2 or spread > days:
            return LOW
        return MEDIUM

    @property
    def confidence_label(self) -> Any:
        return CONFIDENCE_LABELS.get(self.confidence or "", "")


_RHYTHM_SQL = """
WITH src AS ({inner}),
days AS (
    SELECT r_party AS party_id, r_group AS grp, {day} AS d, MAX(r_invoice) AS invoice_id
    FROM src GROUP BY r_party, r_group, r_on
),
gaps AS (
    SELECT party_id, grp, d, invoice_id,
           d - LAG(d) OVER (PARTITION BY party_id, grp ORDER BY d) AS gap
    FROM days
),
ranked AS (
    SELECT party_id, grp, gap,
           ROW_NUMBER() OVER (PARTITION BY party_id, grp ORDER BY gap) AS rn,
           COUNT(*) OVER (PARTITION BY party_id, grp) AS n
    FROM gaps WHERE gap IS NOT NULL
),
med AS (
    SELECT party_id, grp, SUM(gap) AS msum, COUNT(*) AS mcnt
    FROM ranked WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2
    GROUP BY party_id, grp
),
summary AS (
    SELECT party_id, grp, COUNT(*) AS dates, MIN(d) AS first_d, MAX(d) AS last_d,
           MIN(gap) AS min_gap, MAX(gap) AS max_gap
    FROM gaps GROUP BY party_id, grp
)
SELECT s.party_id, s.grp, s.dates, s.first_d, s.last_d, g.invoice_id,
       m.msum, m.mcnt, s.min_gap, s.max_gap
FROM summary s
JOIN gaps g ON g.party_id = s.party_id AND g.grp = s.grp AND g.d = s.last_d
LEFT JOIN med m ON m.party_id = s.party_id AND m.grp = s.grp
ORDER BY s.party_id, s.grp
"""


def _rhythms(inner: QuerySet, today: datetime.date) -> list[Rhythm]:
    compiled = _sql(inner)
    if compiled is None:
        return []
    inner_sql, params = compiled
    sql = _RHYTHM_SQL.format(inner=inner_sql, day=_day("r_on"))
    out = []
    for party_id, grp, dates, first_d, last_d, invoice_id, msum, mcnt, min_gap, max_gap in _fetch(
        sql, params
    ):
        out.append(
            Rhythm(
                party_id=party_id,
                group_id=grp or None,
                purchase_dates=int(dates),
                first_on=_date(first_d),
                last_on=_date(last_d),
                last_invoice_id=invoice_id,
                intervals=int(dates) - 1,
                median_gap=None if not mcnt else Decimal(int(msum)) / int(mcnt),
                min_gap=None if min_gap is None else int(min_gap),
                max_gap=None if max_gap is None else int(max_gap),
                today=today,
            )
        )
    return out


def _party_filter(qs: QuerySet, prefix: str, parties: Iterable[Any] | None) -> QuerySet:
    if parties is None:
        return qs
    return qs.filter(**{f"{prefix}party_id__in": [getattr(p, "pk", p) for p in parties]})


def _customers(*, user: Any, parties: Iterable[Any] | None, owner: Any, region: Any) -> QuerySet[Invoice]:
    qs = _party_filter(purchase_invoices(user=user), "", parties)
    if owner is not None:
        qs = qs.filter(party__owner_id=getattr(owner, "pk", owner))
    if region is not None:
        qs = qs.filter(party__region_id=getattr(region, "pk", region))
    return qs


def customer_rhythms(
    *,
    user: Any,
    today: datetime.date,
    parties: Iterable[Any] | None = None,
    owner: Any = None,
    region: Any = None,
) -> list[Rhythm]:
    """The overall purchase rhythm of every customer visible to ``user`` who bought anything
    (optionally only ``parties``, or customers of ``owner``/``region``); one query."""
    qs = _customers(user=user, parties=parties, owner=owner, region=region)
    inner = qs.order_by().values(
        r_party=F("party_id"), r_on=F("issue_on"), r_invoice=F("id"), r_group=Value(0)
    )
    return _rhythms(inner, today)


def group_rhythms(*, user: Any, today: datetime.date, parties: Iterable[Any] | None = None) -> list[Rhythm]:
    """The purchase rhythm per (customer, product group): dates on which the customer bought a
    product of the group (lines not wholly credited); one query."""
    qs = _party_filter(purchase_lines(user=user), "invoice__", parties).filter(product__group__isnull=False)
    inner = qs.order_by().values(
        r_party=F("invoice__party_id"),
        r_on=F("invoice__issue_on"),
        r_invoice=F("invoice_id"),
        r_group=F("product__group_id"),
    )
    return _rhythms(inner, today)


# --- cross-sell suggestions -----------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """Product ``product`` is bought by ``together`` of the ``base`` other customers who also buy
    ``because`` (which this customer buys); this customer has never bought ``product``."""

    party_id: int
    product: Any
    because: Any
    together: int
    base: int
    rank: int

    @property
    def share(self) -> Decimal:
        return (Decimal(self.together) * 100 / self.base).quantize(Decimal("1"))

    @property
    def reason(self) -> str:
        return str(
            _("bought by %(together)s of %(base)s customers who also buy %(product)s")
            % {"together": self.together, "base": self.base, "product": self.because.name}
        )


_SUGGEST_SQL = """
WITH cp AS (SELECT DISTINCT cp_party AS party_id, cp_product AS product_id FROM ({pairs}) s),
totals AS (SELECT product_id, COUNT(*) AS buyers FROM cp GROUP BY product_id),
pairs AS (
    SELECT t.party_id AS target, t.product_id AS x, b.product_id AS y, COUNT(*) AS n_xy
    FROM cp t
    JOIN cp a ON a.product_id = t.product_id AND a.party_id <> t.party_id
    JOIN cp b ON b.party_id = a.party_id AND b.product_id <> a.product_id
    WHERE t.party_id IN ({targets})
      AND NOT EXISTS (SELECT 1 FROM cp m WHERE m.party_id = t.party_id AND m.product_id = b.product_id)
    GROUP BY t.party_id, t.product_id, b.product_id
),
scored AS (
    SELECT p.target, p.x, p.y, p.n_xy, tot.buyers - 1 AS n_x,
           ROW_NUMBER() OVER (
               PARTITION BY p.target, p.y
               ORDER BY p.n_xy * 1.0 / (tot.buyers - 1) DESC, p.n_xy DESC, p.x
           ) AS rx
    FROM pairs p
    JOIN totals tot ON tot.product_id = p.x
    JOIN {product_table} pr ON pr.id = p.y
    WHERE p.n_xy >= %s AND pr.active = %s
),
best AS (
    SELECT target, x, y, n_xy, n_x,
           ROW_NUMBER() OVER (PARTITION BY target ORDER BY n_xy * 1.0 / n_x DESC, n_xy DESC, y) AS rnk
    FROM scored WHERE rx = 1
)
SELECT target, x, y, n_xy, n_x, rnk FROM best WHERE rnk <= %s ORDER BY target, rnk
"""


def suggestions_for(
    *,
    user: Any,
    parties: Iterable[Any] | None = None,
    owner: Any = None,
    region: Any = None,
    limit: int = SUGGESTIONS_PER_CUSTOMER,
    min_support: int = MIN_SUPPORT,
) -> dict[int, list[Suggestion]]:
    """Cross-sell suggestions per visible customer (only ``parties`` when given): products
    bought together with this customer's products by other customers of the legal entity
    (item-to-item co-occurrence), that this customer never bought. Ranked by the share of
    the customers buying the product the suggestion comes from who also buy the suggested
    one, then by their number; each product once, explained by its best reason. Two queries.
    """
    targets_qs = (
        _customers(user=user, parties=parties, owner=owner, region=region).order_by().values("party_id")
    )
    compiled_targets = _sql(targets_qs)
    if compiled_targets is None:
        return {}
    targets = _customers(user=user, parties=parties, owner=owner, region=region)
    compiled_pairs = _sql(_entity_pairs(targets.order_by().values("legal_entity_id")))
    if compiled_pairs is None:
        return {}
    pairs_sql, pairs_params = compiled_pairs
    targets_sql, targets_params = compiled_targets
    sql = _SUGGEST_SQL.format(
        pairs=pairs_sql,
        targets=targets_sql,
        product_table=connection.ops.quote_name(Product._meta.db_table),
    )
    rows = _fetch(sql, [*pairs_params, *targets_params, min_support, True, limit])
    if not rows:
        return {}
    product_ids = {r[1] for r in rows} | {r[2] for r in rows}
    products = Product.objects.in_bulk(product_ids)
    out: dict[int, list[Suggestion]] = defaultdict(list)
    for target, x, y, n_xy, n_x, rank in rows:
        out[target].append(
            Suggestion(
                party_id=target,
                product=products[y],
                because=products[x],
                together=int(n_xy),
                base=int(n_x),
                rank=int(rank),
            )
        )
    return dict(out)


# --- purchase history -------------------------------------------------------------------------


@dataclass
class PeriodTotal:
    year: int
    quarter: int | None
    currency: str
    net_amount: Decimal
    invoices: int = 0


@dataclass
class ItemTotal:
    key: Any  # product or product group id (None: lines without one)
    code: str
    name: str
    currency: str
    net_amount: Decimal
    quantity: Decimal | None = None
    last_on: datetime.date | None = None


@dataclass
class PurchaseHistory:
    party: Party
    today: datetime.date
    invoices: QuerySet[Invoice]
    by_year: list[PeriodTotal] = field(default_factory=list)
    by_quarter: list[PeriodTotal] = field(default_factory=list)
    by_group: list[ItemTotal] = field(default_factory=list)
    by_product: list[ItemTotal] = field(default_factory=list)
    rhythm: Rhythm | None = None
    group_rhythms: list[tuple[Any, Rhythm]] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def last_invoice_id(self) -> int | None:
        return self.rhythm.last_invoice_id if self.rhythm else None


def _kept_cents() -> Cast:
    return Cast(Round(F("kept_amount") * 100), BigIntegerField())


def customer_invoices(*, user: Any, party: Any) -> QuerySet[Invoice]:
    """The customer's purchases, newest first, with their lines (kept amounts) prefetched."""
    lines = (
        InvoiceLine.objects.annotate(
            credited_amount=_credited_line("net_amount"),
            kept_amount=F("net_amount") - F("credited_amount"),
        )
        .select_related("product", "product__group")
        .order_by("line_no")
    )
    return (
        purchase_invoices(user=user)
        .filter(party_id=getattr(party, "pk", party))
        .select_related("series")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-issue_on", "-number", "-pk")
    )


def purchase_history(*, user: Any, party_id: int, today: datetime.date) -> PurchaseHistory:
    """Everything the customer bought (visible to ``user``; 404 otherwise): invoices, totals per
    year and quarter, per product group and per product, the rhythm overall and per group,
    and suggestions. A constant number of queries."""
    party = get_visible_or_404(Party.objects.select_related("owner", "region"), user, pk=party_id)
    lines = purchase_lines(user=user).filter(invoice__party_id=party.pk).order_by()
    history = PurchaseHistory(party=party, today=today, invoices=customer_invoices(user=user, party=party))
    periods = (
        lines.values(
            year=ExtractYear("invoice__issue_on"),
            quarter=ExtractQuarter("invoice__issue_on"),
            currency=F("invoice__currency"),
        )
        .annotate(cents=Sum(_kept_cents()))
        .order_by("year", "quarter", "currency")
    )
    years: dict[tuple[int, str], PeriodTotal] = {}
    for row in periods:
        amount = _cents(row["cents"])
        history.by_quarter.append(PeriodTotal(row["year"], row["quarter"], row["currency"], amount))
        total = years.setdefault(
            (row["year"], row["currency"]), PeriodTotal(row["year"], None, row["currency"], _ZERO)
        )
        total.net_amount += amount
    history.by_year = list(years.values())

    groups = (
        lines.values(
            key=F("product__group_id"),
            code=F("product__group__code"),
            name=F("product__group__name"),
            currency=F("invoice__currency"),
        )
        .annotate(cents=Sum(_kept_cents()))
        .order_by("-cents", "name")
    )
    history.by_group = [
        ItemTotal(r["key"], r["code"] or "", r["name"] or "", r["currency"], _cents(r["cents"]))
        for r in groups
    ]
    products = (
        lines.values(
            key=F("product_id"),
            code=F("product__code"),
            name=F("product__name"),
            currency=F("invoice__currency"),
        )
        .annotate(cents=Sum(_kept_cents()), qty=Sum("kept_quantity"))
        .order_by("-cents", "name")
    )
    products = products.annotate(last_on=Max("invoice__issue_on"))
    history.by_product = [
        ItemTotal(
            r["key"],
            r["code"] or "",
            r["name"] or "",
            r["currency"],
            _cents(r["cents"]),
            quantity=Decimal(str(r["qty"] or 0)).quantize(Decimal("0.001")),
            last_on=r["last_on"],
        )
        for r in products
    ]
    overall = customer_rhythms(user=user, today=today, parties=[party])
    history.rhythm = overall[0] if overall else None
    group_names = {g.key: g.name for g in history.by_group}
    history.group_rhythms = [
        (group_names.get(r.group_id, ""), r)
        for r in group_rhythms(user=user, today=today, parties=[party])
        if r.purchase_dates >= MIN_PURCHASE_DATES
    ]
    history.suggestions = suggestions_for(user=user, parties=[party]).get(party.pk, [])
    return history


# --- the rep's worklist -----------------------------------------------------------------------


@dataclass
class WorklistRow:
    party: Party
    rhythm: Rhythm
    suggestions: list[Suggestion]
    quote_url: str | None = None  # set by the view: "new quote from the last order"

    @property
    def kind(self) -> str:
        return "reorder" if self.rhythm.status in (OVERDUE, DUE) else "upsell"


WORKLIST_KINDS = ("overdue", "due", "upsell")


def can_filter_people(user: Any) -> bool:
    """Managers (region scope or broader) may filter the worklist by rep and region."""
    scope = user_scope(user)
    return scope.everything or scope.level not in (None, ScopeLevel.OWN)


def worklist(
    *,
    user: Any,
    today: datetime.date,
    owner: Any = None,
    region: Any = None,
    kind: str | None = None,
) -> list[WorklistRow]:
    """The repeat-customer worklist of ``user``'s visible customers: reorders overdue (longest
    expected first), then due (soonest expected first), then customers with cross-sell
    suggestions (strongest first). Customers with neither are left out. Parties are attached
    by ``attach_parties`` for the rows shown (a page), so the whole list costs two queries."""
    rhythms = customer_rhythms(user=user, today=today, owner=owner, region=region)
    if not rhythms:
        return []
    suggestions = suggestions_for(user=user, owner=owner, region=region)
    rows = []
    for rhythm in rhythms:
        status = rhythm.status
        found = suggestions.get(rhythm.party_id, [])
        if status in (OVERDUE, DUE):
            row_kind = status
        elif found:
            row_kind = "upsell"
        else:
            continue
        if kind and row_kind != kind:
            continue
        rows.append((row_kind, rhythm, found))

    def order(item: tuple[str, Rhythm, list[Suggestion]]) -> tuple[Any, ...]:
        row_kind, rhythm, found = item
        if row_kind == OVERDUE:
            return (0, rhythm.expected_on, 0, rhythm.party_id)
        if row_kind == DUE:
            return (1, rhythm.expected_on, 0, rhythm.party_id)
        best = found[0]
        return (2, _EPOCH, -best.together * 10_000 // best.base, rhythm.party_id)

    rows.sort(key=order)
    return [WorklistRow(party=None, rhythm=r, suggestions=s) for _k, r, s in rows]  # type: ignore[arg-type]


def attach_parties(rows: Sequence[WorklistRow]) -> Sequence[WorklistRow]:
    """Load the parties (with owner and region) of ``rows`` in one query."""
    parties = Party.objects.select_related("owner", "region").in_bulk([r.rhythm.party_id for r in rows])
    for row in rows:
        row.party = parties[row.rhythm.party_id]
    return rows


def worklist_filter_choices(*, user: Any) -> tuple[QuerySet, QuerySet]:
    """Reps and regions a manager may filter by (those owning visible customers)."""
    from django.contrib.auth import get_user_model

    from frontoffice.org.models import Region

    visible = visible_to(Party.objects.all(), user)
    owners = (
        get_user_model().objects.filter(pk__in=visible.values("owner_id")).order_by("first_name", "last_name")
    )
    regions = visible_to(Region.objects.all(), user).order_by("name")
    return owners, regions
