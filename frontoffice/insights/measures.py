"""The measures of PRODUCT.md, defined once.

Every measure names its source rows (one or more ``Source``: model, the path to the person
it is attributed to, the date that places a row in a period, a filter, a value) and how the
rows fold into one figure (``kind``):

- ``count``: the number of rows;
- ``sum``: the sum of the value (money is summed in whole öre, so it stays exact);
- ``ratio``: ``100 x rows matching numerator / rows`` (a percentage);
- ``mean``: ``sum of value / rows``;
- ``per_working_day``: ``rows / (working days Monday-Friday x people with rows)``;
- ``median``: the median of the value, computed in SQL (``percentile_cont`` on PostgreSQL, a
  window-function middle-row pick on SQLite); medians are not additive, so they are always
  computed live from the source rows, never from daily facts;
- ``live``: a figure with its own selector (DSO, from receivables), company level only.

An organisation unit resolves to people through their staff profiles: a person is the user
itself; a team its members (``Staff.team``); a location the staff whose home location it is;
a region the staff whose home region it is; a company (legal entity) its staff. A row counts
for a unit when the person it is attributed to belongs to the unit today.

Source apps are imported at call time; a measure whose app or model is missing reports
"not available" (``Figure.available`` is False) instead of failing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import (
    Aggregate,
    BigIntegerField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Round, RowNumber, TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# ---------------------------------------------------------------------------------------------
# SQL helpers


class MinutesBetween(Func):
    """Minutes from the first datetime expression to the second (float)."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler: Any, conn: Any, **extra: Any) -> Any:  # PostgreSQL
        (a_sql, a_params), (b_sql, b_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"(EXTRACT(EPOCH FROM ({b_sql} - {a_sql})) / 60.0)", [*b_params, *a_params]

    def as_sqlite(self, compiler: Any, conn: Any, **extra: Any) -> Any:
        (a_sql, a_params), (b_sql, b_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"((julianday({b_sql}) - julianday({a_sql})) * 1440.0)", [*b_params, *a_params]


class DaysBetween(Func):
    """Whole days from the first date expression to the second."""

    output_field = IntegerField()
    arity = 2

    def as_sql(self, compiler: Any, conn: Any, **extra: Any) -> Any:  # PostgreSQL: date - date
        (a_sql, a_params), (b_sql, b_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"({b_sql} - {a_sql})", [*b_params, *a_params]

    def as_sqlite(self, compiler: Any, conn: Any, **extra: Any) -> Any:
        (a_sql, a_params), (b_sql, b_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"CAST(julianday({b_sql}) - julianday({a_sql}) AS INTEGER)", [*b_params, *a_params]


def cents(path: str) -> Any:
    """A money column in whole öre, so sums are exact on every database."""
    return Cast(Round(F(path) * 100), BigIntegerField())


def sql_median(qs: QuerySet, value: Any) -> float | None:
    """The median of ``value`` over ``qs``, computed by the database.

    PostgreSQL: ``percentile_cont(0.5) WITHIN GROUP (ORDER BY value)``. SQLite: number the
    rows by value with a window function and keep the one or two middle rows.
    """
    return sql_medians(qs, value, {"all": None})["all"][0]


def sql_medians(qs: QuerySet, value: Any, groups: dict[str, Q | None]) -> dict[str, tuple[float | None, int]]:
    """Per group (a filter on ``qs``, ``None`` for every row): the median of ``value`` and the
    number of rows with a value. PostgreSQL answers every group in one query (an aggregate
    with a ``FILTER`` clause per group); SQLite one window query per group."""
    qs = qs.order_by().annotate(_v=value).filter(_v__isnull=False)
    if connection.vendor == "postgresql":
        aggregates: dict[str, Any] = {}
        for i, where in enumerate(groups.values()):
            aggregates[f"m{i}"] = PercentileCont(F("_v"), filter=where)
            aggregates[f"n{i}"] = Count("_v", filter=where)
        row = qs.aggregate(**aggregates)
        return {name: (row[f"m{i}"], row[f"n{i}"] or 0) for i, name in enumerate(groups)}
    out: dict[str, tuple[float | None, int]] = {}
    for name, where in groups.items():
        ranked = (qs.filter(where) if where is not None else qs).annotate(
            _rn=Window(RowNumber(), order_by=F("_v").asc()), _n=Window(Count("*"))
        )
        middle = ranked.filter(
            _rn__gte=Cast((F("_n") + 1) / 2, IntegerField()), _rn__lte=Cast((F("_n") + 2) / 2, IntegerField())
        )
        rows = list(middle.values_list("_v", "_n"))
        if not rows:
            out[name] = (None, 0)
            continue
        out[name] = (sum(float(v) for v, _n in rows) / len(rows), rows[0][1])
    return out


class PercentileCont(Aggregate):
    """``percentile_cont(0.5)``: the median (PostgreSQL), with an optional ``filter=``."""

    function = "percentile_cont"
    output_field = FloatField()
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


# ---------------------------------------------------------------------------------------------
# Definitions


class Unit:
    """Units a measure is expressed in."""

    MINUTES = "minutes"
    PERCENT = "percent"
    COUNT = "count"
    SEK = "SEK"
    DAYS = "days"
    SCORE = "score"


UNIT_LABELS = {
    Unit.MINUTES: _("minutes"),
    Unit.PERCENT: _("percent"),
    Unit.COUNT: _("count"),
    Unit.SEK: _("SEK"),
    Unit.DAYS: _("days"),
    Unit.SCORE: _("score"),
}
DESK_LABELS = {"sales": _("Sales desk"), "reception": _("Reception desk"), "finance": _("Finance desk")}
GROUP_LABELS = {"productivity": _("Productivity"), "professionalism": _("Professionalism and cordiality")}
KINDS = ("count", "sum", "ratio", "mean", "per_working_day", "median", "live")
ADDITIVE = ("count", "sum", "ratio", "mean", "per_working_day")


@dataclass(frozen=True)
class Source:
    """One kind of source row of a measure."""

    model: str  # "app_label.Model"
    person: str  # path to the user the row is attributed to
    date: str  # path to the date or datetime that places the row in a period
    filter: Callable[[], Q] = lambda: Q()
    value: Callable[[], Any] | None = None  # expression for sum/mean/median
    numerator: Callable[[], Q] | None = None  # ratio: the rows that count
    annotations: Callable[[], dict[str, Any]] | None = None
    is_datetime: bool = True
    drilldown: str = ""  # URL of the source app's list, with {person} / {start} / {end}

    @property
    def app_label(self) -> str:
        return self.model.split(".")[0]

    def model_class(self) -> Any:
        try:
            return apps.get_model(self.model)
        except (LookupError, ValueError):
            return None

    def rows(self, start: datetime.date, end: datetime.date, people: Any = None) -> QuerySet | None:
        """The rows of [start, end) attributed to ``people`` (a queryset/list of user ids)."""
        model = self.model_class()
        if model is None:
            return None
        qs = model._default_manager.all()
        if self.annotations:
            qs = qs.annotate(**self.annotations())
        qs = qs.filter(self.filter()).filter(**{f"{self.person}__isnull": False})
        if self.is_datetime:
            qs = qs.filter(**{f"{self.date}__gte": day_start(start), f"{self.date}__lt": day_start(end)})
        else:
            qs = qs.filter(**{f"{self.date}__gte": start, f"{self.date}__lt": end})
        if people is not None:
            qs = qs.filter(**{f"{self.person}__in": people})
        return qs

    def day_expression(self) -> Any:
        if self.is_datetime:
            return TruncDate(self.date, tzinfo=timezone.get_current_timezone())
        return F(self.date)


@dataclass(frozen=True)
class Measure:
    key: str
    name: Any
    description: Any
    unit: str
    direction: str  # "higher" or "lower" is better
    target: Decimal | None
    desk: str
    group: str  # productivity / professionalism
    kind: str
    sources: tuple[Source, ...] = ()
    live: Callable[..., Decimal | None] | None = None  # kind == "live"
    company_only: bool = False
    notes: Any = ""
    places: int = 1  # decimals shown

    @property
    def from_facts(self) -> bool:
        return self.kind in ADDITIVE

    def available(self) -> bool:
        if self.kind == "live":
            return self.live is not None
        return any(s.model_class() is not None for s in self.sources)

    def better(self, value: Decimal | None, target: Decimal | None) -> bool | None:
        if value is None or target is None:
            return None
        return value >= target if self.direction == "higher" else value <= target


def _q(**kwargs: Any) -> Callable[[], Q]:
    return lambda: Q(**kwargs)


def _dso(*, unit: OrgUnit, start: datetime.date, end: datetime.date, user: Any = None) -> Decimal | None:
    if unit.kind != "company" or user is None:
        return None
    try:
        from frontoffice.receivables.selectors.aging import days_sales_outstanding
    except ImportError:
        return None
    days = max(1, (end - start).days)
    return days_sales_outstanding(
        user=user, legal_entity=unit.obj, as_of=end - datetime.timedelta(days=1), days=days
    ).dso


def _training_on_time_annotations() -> dict[str, Any]:
    return {"_completed_on": TruncDate("completed_at", tzinfo=timezone.get_current_timezone())}


WON = "won"
LOST = "lost"

MEASURES: tuple[Measure, ...] = (
    Measure(
        key="lead_response_time",
        name=_("Lead response time"),
        description=_("Median time from a lead's creation to its first outbound contact."),
        unit=Unit.MINUTES,
        direction="lower",
        target=Decimal("60"),
        desk="sales",
        group="productivity",
        kind="median",
        sources=(
            Source(
                "leads.Lead",
                person="owner",
                date="created_at",
                filter=_q(first_contact_at__isnull=False),
                value=lambda: MinutesBetween(F("created_at"), F("first_contact_at")),
                drilldown="/leads/?owner={person}",
            ),
        ),
        notes=_("Leads created in the period and contacted; by the lead's owner."),
    ),
    Measure(
        key="activities_per_day",
        name=_("Activities per working day"),
        description=_("Calls, e-mails, meetings and tasks done per rep and working day (Monday-Friday)."),
        unit=Unit.COUNT,
        direction="higher",
        target=Decimal("8"),
        desk="sales",
        group="productivity",
        kind="per_working_day",
        sources=(
            Source(
                "activities.Activity",
                person="owner",
                date="done_at",
                filter=_q(done_at__isnull=False),
                drilldown="/activities/?owner={person}",
            ),
        ),
        notes=_("Divided by the working days of the period times the people with activities."),
    ),
    Measure(
        key="qualification_rate",
        name=_("Qualification rate"),
        description=_("Share of the leads created in the period that were qualified or converted."),
        unit=Unit.PERCENT,
        direction="higher",
        target=Decimal("30"),
        desk="sales",
        group="productivity",
        kind="ratio",
        sources=(
            Source(
                "leads.Lead",
                person="owner",
                date="created_at",
                numerator=_q(stage__in=["qualified", "converted"]),
                drilldown="/leads/?owner={person}",
            ),
        ),
    ),
    Measure(
        key="win_rate",
        name=_("Win rate"),
        description=_("Share of the deals closed in the period that were won."),
        unit=Unit.PERCENT,
        direction="higher",
        target=Decimal("35"),
        desk="sales",
        group="productivity",
        kind="ratio",
        sources=(
            Source(
                "sales.Opportunity",
                person="owner",
                date="closed_on",
                is_datetime=False,
                filter=_q(stage__kind__in=[WON, LOST], closed_on__isnull=False),
                numerator=_q(stage__kind=WON),
            ),
        ),
    ),
    Measure(
        key="sales_cycle_length",
        name=_("Sales cycle length"),
        description=_("Mean days from opening to closing of the deals won in the period."),
        unit=Unit.DAYS,
        direction="lower",
        target=Decimal("45"),
        desk="sales",
        group="productivity",
        kind="mean",
        sources=(
            Source(
                "sales.Opportunity",
                person="owner",
                date="closed_on",
                is_datetime=False,
                filter=_q(stage__kind=WON, closed_on__isnull=False),
                value=lambda: DaysBetween(F("opened_on"), F("closed_on")),
            ),
        ),
    ),
    Measure(
        key="revenue",
        name=_("Revenue"),
        description=_("Amount of the deals won in the period."),
        unit=Unit.SEK,
        direction="higher",
        target=None,
        desk="sales",
        group="productivity",
        kind="sum",
        places=2,
        sources=(
            Source(
                "sales.Opportunity",
                person="owner",
                date="closed_on",
                is_datetime=False,
                filter=_q(stage__kind=WON, closed_on__isnull=False),
                value=lambda: cents("amount"),
            ),
        ),
    ),
    Measure(
        key="visits_handled",
        name=_("Visits handled"),
        description=_("Visits checked in at the reception desk."),
        unit=Unit.COUNT,
        direction="higher",
        target=None,
        desk="reception",
        group="productivity",
        kind="count",
        sources=(Source("reception.Visit", person="receptionist", date="arrived_at"),),
    ),
    Measure(
        key="waiting_time",
        name=_("Waiting time"),
        description=_("Mean minutes from check-in to being called in."),
        unit=Unit.MINUTES,
        direction="lower",
        target=Decimal("10"),
        desk="reception",
        group="productivity",
        kind="mean",
        sources=(
            Source(
                "reception.Visit",
                person="receptionist",
                date="arrived_at",
                filter=_q(called_in_at__isnull=False),
                value=lambda: MinutesBetween(F("arrived_at"), F("called_in_at")),
            ),
        ),
    ),
    Measure(
        key="no_show_rate",
        name=_("No-show rate"),
        description=_(
            "Share of the appointments of the period (not cancelled) where the patient did not come."
        ),
        unit=Unit.PERCENT,
        direction="lower",
        target=Decimal("5"),
        desk="reception",
        group="productivity",
        kind="ratio",
        sources=(
            Source(
                "appointments.Appointment",
                person="booked_by",
                date="start_at",
                filter=lambda: ~Q(status__in=["cancelled", "booked"]),
                numerator=_q(status="no_show"),
            ),
        ),
        notes=_("Attributed to the person who booked the appointment."),
    ),
    Measure(
        key="invoices_issued",
        name=_("Invoices issued"),
        description=_("Invoices (not credit notes) issued in the period."),
        unit=Unit.COUNT,
        direction="higher",
        target=None,
        desk="finance",
        group="productivity",
        kind="count",
        sources=(
            Source(
                "billing.Invoice",
                person="issued_by",
                date="issued_at",
                filter=lambda: Q(kind="invoice") & ~Q(status="draft"),
            ),
        ),
    ),
    Measure(
        key="questions_resolved",
        name=_("Invoice questions resolved"),
        description=_("Questions about invoice lines resolved in the period."),
        unit=Unit.COUNT,
        direction="higher",
        target=None,
        desk="finance",
        group="productivity",
        kind="count",
        sources=(Source("billing.InvoiceQuestion", person="resolved_by", date="resolved_at"),),
    ),
    Measure(
        key="question_resolution_time",
        name=_("Time to resolve a question"),
        description=_("Median working minutes from an invoice question being asked to its resolution."),
        unit=Unit.MINUTES,
        direction="lower",
        target=Decimal("480"),
        desk="finance",
        group="productivity",
        kind="median",
        sources=(
            Source(
                "billing.InvoiceQuestion",
                person="resolved_by",
                date="resolved_at",
                filter=_q(resolution_minutes__isnull=False),
                value=lambda: F("resolution_minutes"),
            ),
        ),
    ),
    Measure(
        key="dso",
        name=_("Days sales outstanding"),
        description=_(
            "Open receivables at the end of the period divided by the credit sales of the period, times its days."
        ),
        unit=Unit.DAYS,
        direction="lower",
        target=Decimal("35"),
        desk="finance",
        group="productivity",
        kind="live",
        live=_dso,
        company_only=True,
        notes=_("From the receivables DSO selector; company level only."),
    ),
    Measure(
        key="csat",
        name=_("Customer satisfaction"),
        description=_(
            "Mean customer rating 1-5 of visits, meetings, resolved invoice questions and CSAT surveys."
        ),
        unit=Unit.SCORE,
        direction="higher",
        target=Decimal("4.2"),
        desk="all",
        group="professionalism",
        kind="mean",
        places=2,
        sources=(
            Source(
                "reception.VisitFeedback",
                person="receptionist",
                date="answered_at",
                filter=_q(rating__isnull=False),
                value=lambda: F("rating"),
            ),
            Source(
                "activities.MeetingFeedback",
                person="meeting__organiser",
                date="answered_at",
                filter=_q(rating__isnull=False),
                value=lambda: F("rating"),
            ),
            Source(
                "billing.InvoiceQuestion",
                person="resolved_by",
                date="rated_at",
                filter=_q(rating__isnull=False),
                value=lambda: F("rating"),
            ),
            Source(
                "surveys.SurveyRequest",
                person="staff_user",
                date="answered_at",
                filter=_q(kind="csat", score__isnull=False),
                value=lambda: F("score"),
            ),
        ),
        notes=_(
            "Ratings attributed to the receptionist, the meeting's organiser or the person who resolved; "
            "CSAT survey answers to the staff member of the surveyed contact."
        ),
    ),
    Measure(
        key="nps",
        name=_("Net promoter score"),
        description=_(
            "Percent of NPS survey answers that are promoters (9-10) minus percent detractors (0-6)."
        ),
        unit=Unit.SCORE,
        direction="higher",
        target=Decimal("30"),
        desk="all",
        group="professionalism",
        kind="mean",
        places=1,
        sources=(
            Source(
                "surveys.SurveyRequest",
                person="staff_user",
                date="answered_at",
                filter=_q(kind="nps", score__isnull=False),
                # +100 a promoter, 0 a passive, -100 a detractor: the mean is the NPS.
                value=lambda: Case(
                    When(score__gte=9, then=Value(100)),
                    When(score__lte=6, then=Value(-100)),
                    default=Value(0),
                    output_field=IntegerField(),
                ),
            ),
        ),
        notes=_("Answers attributed to the staff member of the surveyed contact."),
    ),
    Measure(
        key="complaints",
        name=_("Complaints"),
        description=_("Complaints registered in the period."),
        unit=Unit.COUNT,
        direction="lower",
        target=Decimal("0"),
        desk="all",
        group="professionalism",
        kind="count",
        sources=(Source("surveys.Complaint", person="owner", date="created_at"),),
        notes=_("The complaints of every desk (reception's included), attributed to the owner."),
    ),
    Measure(
        key="observation_score",
        name=_("Observation score"),
        description=_("Mean score (percent of the rubric) of the observations made in the period."),
        unit=Unit.SCORE,
        direction="higher",
        target=Decimal("80"),
        desk="all",
        group="professionalism",
        kind="mean",
        sources=(
            Source(
                "training.Observation",
                person="person__user",
                date="observed_at",
                value=lambda: F("score_percent"),
            ),
        ),
    ),
    Measure(
        key="posting_compliance",
        name=_("Posting compliance"),
        description=_("Share of the vouchers posted in the period that were accepted the first time."),
        unit=Unit.PERCENT,
        direction="higher",
        target=Decimal("95"),
        desk="finance",
        group="professionalism",
        kind="ratio",
        sources=(
            Source(
                "finance.JournalEntry",
                person="posted_by",
                date="date",
                is_datetime=False,
                filter=_q(status="posted"),
                numerator=_q(rejection_count=0),
            ),
        ),
        notes=_("The same definition as the finance posting-compliance report."),
    ),
    Measure(
        key="training_on_time",
        name=_("Training on time"),
        description=_("Share of the training assignments due in the period completed by their due date."),
        unit=Unit.PERCENT,
        direction="higher",
        target=Decimal("90"),
        desk="all",
        group="professionalism",
        kind="ratio",
        sources=(
            Source(
                "training.Assignment",
                person="person__user",
                date="due_on",
                is_datetime=False,
                filter=_q(cancelled_at__isnull=True),
                annotations=_training_on_time_annotations,
                numerator=lambda: Q(_completed_on__isnull=False, _completed_on__lte=F("due_on")),
            ),
        ),
    ),
)

BY_KEY: dict[str, Measure] = {m.key: m for m in MEASURES}
MEASURE_KEYS: tuple[str, ...] = tuple(BY_KEY)


def get_measure(key: str) -> Measure:
    return BY_KEY[key]


def measures_for_desk(desk: str | None) -> list[Measure]:
    if not desk:
        return list(MEASURES)
    return [m for m in MEASURES if m.desk in (desk, "all")]


# ---------------------------------------------------------------------------------------------
# Units and periods


def day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def working_days(start: datetime.date, end: datetime.date) -> int:
    days = (end - start).days
    full, rest = divmod(max(days, 0), 7)
    count = full * 5
    for i in range(rest):
        if (start + datetime.timedelta(days=full * 7 + i)).weekday() < 5:
            count += 1
    return count


UNIT_KINDS = ("person", "team", "location", "region", "company")


@dataclass(frozen=True)
class OrgUnit:
    kind: str  # person / team / location / region / company
    obj: Any

    @property
    def pk(self) -> int:
        return self.obj.pk

    @property
    def label(self) -> str:
        if self.kind == "person":
            return self.obj.get_full_name() or self.obj.get_username()
        return str(self.obj)

    def people(self) -> Any:
        """User ids of the unit (a subquery for persons' units)."""
        from frontoffice.org.models import Staff

        if self.kind == "person":
            return [self.obj.pk]
        field_name = {
            "team": "team",
            "location": "home_location",
            "region": "home_region",
            "company": "legal_entity",
        }[self.kind]
        return Staff.objects.filter(**{field_name: self.obj.pk}).values("user_id")


@dataclass
class Figure:
    measure: Measure
    value: Decimal | None
    numerator: int = 0
    denominator: int = 0
    total: Decimal = Decimal(0)
    available: bool = True
    applicable: bool = True

    @property
    def target(self) -> Decimal | None:
        return self.measure.target

    @property
    def meets_target(self) -> bool | None:
        return self.measure.better(self.value, self.measure.target)


def quantize(measure: Measure, value: Any) -> Decimal | None:
    if value is None:
        return None
    step = Decimal(1).scaleb(-measure.places)
    return Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)


def fold(
    measure: Measure, *, numerator: int, denominator: int, total: Any, people: int, workdays: int
) -> Decimal | None:
    """One figure from additive parts (the same arithmetic for live rows and daily facts)."""
    kind = measure.kind
    total = Decimal(total or 0)
    if kind == "count":
        return Decimal(denominator)
    if kind == "sum":
        return quantize(measure, total / 100 if measure.unit == Unit.SEK else total)
    if not denominator:
        return None
    if kind == "ratio":
        return quantize(measure, Decimal(numerator) * 100 / Decimal(denominator))
    if kind == "mean":
        return quantize(measure, total / Decimal(denominator))
    if kind == "per_working_day":
        if not workdays or not people:
            return None
        return quantize(measure, Decimal(denominator) / Decimal(workdays * people))
    raise ValueError(kind)


def _parts(source: Source, qs: QuerySet) -> dict[str, Any]:
    aggregates: dict[str, Any] = {"n": Count("pk")}
    if source.numerator is not None:
        aggregates["num"] = Count("pk", filter=source.numerator())
    if source.value is not None:
        aggregates["total"] = Sum(source.value())
    return aggregates


def compute(
    measure: Measure, unit: OrgUnit, start: datetime.date, end: datetime.date, *, user: Any = None
) -> Figure:
    """The figure of ``measure`` for ``unit`` over [start, end), straight from the source rows."""
    if not measure.available():
        return Figure(measure, None, available=False)
    if measure.kind == "live":
        if measure.company_only and unit.kind != "company":
            return Figure(measure, None, applicable=False)
        assert measure.live is not None
        return Figure(measure, measure.live(unit=unit, start=start, end=end, user=user))
    people = unit.people()
    if measure.kind == "median":
        source = measure.sources[0]
        qs = source.rows(start, end, people)
        if qs is None:
            return Figure(measure, None)
        value, rows = sql_medians(qs, source.value(), {"all": None})["all"]
        return Figure(measure, quantize(measure, value), denominator=rows)
    num = den = persons = 0
    total = Decimal(0)
    persons_seen: set[int] = set()
    for source in measure.sources:
        qs = source.rows(start, end, people)
        if qs is None:
            continue
        agg = qs.order_by().aggregate(**_parts(source, qs))
        den += agg["n"] or 0
        num += agg.get("num") or 0
        total += Decimal(str(agg.get("total") or 0))
        if measure.kind == "per_working_day":
            persons_seen.update(qs.order_by().values_list(source.person, flat=True).distinct())
    persons = len(persons_seen)
    value = fold(
        measure,
        numerator=num,
        denominator=den,
        total=total,
        people=persons,
        workdays=working_days(start, end),
    )
    return Figure(measure, value, numerator=num, denominator=den, total=total)


def daily_parts(
    measure: Measure,
    days: Sequence[datetime.date] | None = None,
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> dict[tuple[datetime.date, int], dict[str, Any]]:
    """Per (day, user id): numerator, denominator and total of an additive measure.

    Either a list of ``days`` or a range [start, end) (both None: all history).
    """
    out: dict[tuple[datetime.date, int], dict[str, Any]] = {}
    for source in measure.sources:
        model = source.model_class()
        if model is None:
            continue
        if days is not None:
            if not days:
                continue
            lo, hi = min(days), max(days) + datetime.timedelta(days=1)
        else:
            lo = start or datetime.date(1900, 1, 1)
            hi = end or datetime.date(9999, 1, 1)
        qs = source.rows(lo, hi)
        assert qs is not None
        grouped = (
            qs.order_by()
            .annotate(_day=source.day_expression())
            .values("_day", source.person)
            .annotate(**_parts(source, qs))
        )
        wanted = set(days) if days is not None else None
        for row in grouped:
            day = row["_day"]
            if isinstance(day, datetime.datetime):
                day = day.date()
            if wanted is not None and day not in wanted:
                continue
            key = (day, row[source.person])
            acc = out.setdefault(key, {"numerator": 0, "denominator": 0, "total": Decimal(0)})
            acc["numerator"] += row.get("num") or 0
            acc["denominator"] += row["n"] or 0
            acc["total"] += Decimal(str(row.get("total") or 0))
    return out


def periods(kind: str, count: int, today: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """The last ``count`` weeks (Monday-based) or months, oldest first, the current one last."""
    out: list[tuple[datetime.date, datetime.date]] = []
    if kind == "week":
        monday = today - datetime.timedelta(days=today.weekday())
        for i in range(count - 1, -1, -1):
            s = monday - datetime.timedelta(weeks=i)
            out.append((s, s + datetime.timedelta(days=7)))
        return out
    first = today.replace(day=1)
    starts = []
    y, m = first.year, first.month
    for _i in range(count):
        starts.append(datetime.date(y, m, 1))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    for s in reversed(starts):
        e = datetime.date(s.year + (s.month == 12), 1 if s.month == 12 else s.month + 1, 1)
        out.append((s, e))
    return out


def text(value: Any) -> str:
    return str(value) if isinstance(value, Promise | str) else repr(value)


__all__ = [
    "MEASURES",
    "MEASURE_KEYS",
    "Figure",
    "Measure",
    "OrgUnit",
    "Source",
    "compute",
    "daily_parts",
    "fold",
    "get_measure",
    "periods",
    "working_days",
]
