"""Read path of questions about invoice lines.

- Every selector serving a user starts from ``visible_to``: a question is scoped like its
  invoice's customer (clerks and the finance manager: their legal entity; regional managers:
  their regions; sales reps: their own customers). Out of scope is 404.
- The customer's invoice page reads only ``customer_questions(invoice=...)``: the questions of
  that one invoice with their messages to and from the customer, never an internal note.
- "At risk": an active question whose next deadline (the first response while there is
  none, the resolution in any case) falls within ``AT_RISK_HOURS`` working hours, or has
  passed ("overdue").
- Lists select what their pages show, so the number of queries does not grow with the rows.
- The oversight figures are computed in SQL: counts and the average rating with conditional
  aggregates, medians with window functions (``ROW_NUMBER`` and ``COUNT`` over each assignee's
  rows, then the middle one or two rows averaged), which SQLite and PostgreSQL both run.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connections
from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, Sum, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from frontoffice.billing.models import Invoice, InvoiceQuestion, QuestionMessage
from frontoffice.billing.question_hours import add_working_hours
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.org.models import Staff, User

AT_RISK_HOURS = 2
ACTIVE = InvoiceQuestion.ACTIVE


def at_risk_until(now: datetime.datetime | None = None) -> datetime.datetime:
    """Deadlines up to this moment are at risk: ``AT_RISK_HOURS`` working hours from now."""
    return add_working_hours(now or timezone.now(), AT_RISK_HOURS)


def due_by(moment: datetime.datetime) -> Q:
    """Active questions with a deadline not met by ``moment``."""
    return Q(status__in=ACTIVE) & (
        Q(first_response_at__isnull=True, first_response_due_at__lte=moment)
        | Q(resolution_due_at__lte=moment)
    )


def _next_due() -> Case:
    return Case(
        When(first_response_at__isnull=True, then=F("first_response_due_at")),
        default=F("resolution_due_at"),
    )


def question_list(
    *,
    user: Any,
    legal_entity: Any = None,
    status: str = "active",
    assignee: Any = None,
    category: str = "",
    due: str = "",
    invoice: Any = None,
    now: datetime.datetime | None = None,
) -> QuerySet[InvoiceQuestion]:
    """Questions visible to ``user``, the next deadline first.

    ``status``: ``active`` (open, answered, reopened), ``all`` or one status; ``assignee``:
    ``me``, ``none`` or a user id; ``category``: one category; ``due``: ``at_risk`` (due
    within ``AT_RISK_HOURS`` working hours or overdue) or ``overdue``.
    """
    qs = visible_to(InvoiceQuestion.objects.all(), user)
    if legal_entity is not None:
        qs = qs.filter(legal_entity=legal_entity)
    if invoice is not None:
        qs = qs.filter(invoice=invoice)
    if status == "active":
        qs = qs.filter(status__in=ACTIVE)
    elif status in InvoiceQuestion.Status.values:
        qs = qs.filter(status=status)
    if assignee == "me":
        qs = qs.filter(assigned_to=user)
    elif assignee == "none":
        qs = qs.filter(assigned_to__isnull=True)
    elif assignee not in (None, "") and str(assignee).isdigit():
        qs = qs.filter(assigned_to_id=int(assignee))
    if category in InvoiceQuestion.Category.values:
        qs = qs.filter(category=category)
    now = now or timezone.now()
    if due == "at_risk":
        qs = qs.filter(due_by(at_risk_until(now)))
    elif due == "overdue":
        qs = qs.filter(due_by(now))
    return (
        qs.select_related("invoice__series", "line", "party", "assigned_to")
        .annotate(next_due_at=_next_due())
        .order_by(F("next_due_at").asc(), "id")
    )


def question_get(*, user: Any, pk: Any) -> InvoiceQuestion:
    """One question within ``user``'s scope, or 404."""
    qs = InvoiceQuestion.objects.select_related(
        "invoice__series",
        "invoice__legal_entity",
        "line__vat_code",
        "party",
        "assigned_to",
        "resolved_by",
        "created_by",
        "interaction",
        "credit_note__series",
        "corrected_invoice__series",
    )
    return get_visible_or_404(qs, user, pk=pk)


def question_messages(
    *, question: InvoiceQuestion, include_internal: bool = True
) -> QuerySet[QuestionMessage]:
    qs = question.messages.select_related("author")
    return qs if include_internal else qs.filter(internal=False)


def invoice_question_list(*, user: Any, invoice: Invoice) -> QuerySet[InvoiceQuestion]:
    """The questions about ``invoice`` that ``user`` may see, oldest first (invoice page)."""
    return (
        visible_to(InvoiceQuestion.objects.filter(invoice=invoice), user)
        .select_related("line", "assigned_to")
        .order_by("asked_at", "id")
    )


def customer_questions(*, invoice: Invoice) -> list[InvoiceQuestion]:
    """What the customer's invoice page shows: the questions about ``invoice`` with their
    non-internal messages (``public_messages``), oldest first. Two queries."""
    if invoice.kind != Invoice.Kind.INVOICE:
        return []
    public = (
        QuestionMessage.objects.filter(internal=False).select_related("author").order_by("created_at", "id")
    )
    return list(
        InvoiceQuestion.objects.filter(invoice=invoice)
        .select_related("line")
        .prefetch_related(Prefetch("messages", queryset=public, to_attr="public_messages"))
        .order_by("asked_at", "id")
    )


def assignee_choices(*, question: InvoiceQuestion) -> list[Any]:
    """People a question can be given to: the legal entity's active staff whose role may change
    invoices (clerks, finance managers), and the customer's sales rep. The assigning service
    checks each choice again."""
    staff = (
        Staff.objects.filter(
            legal_entity_id=question.legal_entity_id,
            active=True,
            user__is_active=True,
            role__permissions__codename="change_invoice",
            role__permissions__content_type__app_label="billing",
        )
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user_id")
    )
    users = [member.user for member in staff]
    owner = question.party.owner if question.party.owner_id else None
    if owner is not None and owner not in users:
        from frontoffice.billing.services.questions import can_take

        if can_take(owner, question.invoice):
            users.append(owner)
    return users


# ---------------------------------------------------------------- oversight


@dataclass
class AssigneeFigures:
    user: Any
    open: int = 0
    at_risk: int = 0
    overdue: int = 0
    resolved: int = 0
    median_first_response_minutes: int | None = None
    median_resolution_minutes: int | None = None
    average_rating: Decimal | None = None
    ratings: int = 0
    good_ratings: int = 0

    @property
    def good_share(self) -> Decimal | None:
        """Share of ratings that are 4 or 5, in percent (PRODUCT.md's CSAT share)."""
        if not self.ratings:
            return None
        return (Decimal(100) * self.good_ratings / self.ratings).quantize(Decimal("1"), ROUND_HALF_UP)


@dataclass
class Oversight:
    since: datetime.datetime
    open: int = 0
    unassigned: int = 0
    at_risk: int = 0
    overdue: int = 0
    totals: AssigneeFigures = field(default_factory=lambda: AssigneeFigures(user=None))
    rows: list[AssigneeFigures] = field(default_factory=list)


def _medians(qs: QuerySet[InvoiceQuestion], value: str, group: str) -> dict[Any, int]:
    """Median of ``value`` per ``group`` over ``qs``, in one SQL statement.

    The scoped queryset numbers each group's rows in order (window functions) and the outer
    query averages the middle row (odd count) or the two middle rows (even count).
    """
    ranked = (
        qs.filter(**{f"{value}__isnull": False})
        .order_by()
        .annotate(
            grp=F(group),
            v=F(value),
            rn=Window(RowNumber(), partition_by=[F(group)], order_by=[F(value).asc(), F("id").asc()]),
            n=Window(Count("id"), partition_by=[F(group)]),
        )
        .values("grp", "v", "rn", "n")
    )
    sql, params = ranked.query.sql_with_params()
    outer = (
        f"SELECT grp, AVG(v) FROM ({sql}) ranked "  # noqa: S608 - sql is the ORM's, params bound
        "WHERE rn >= (n + 1) / 2 AND rn <= (n + 2) / 2 GROUP BY grp"
    )
    with connections[qs.db].cursor() as cursor:
        cursor.execute(outer, params)
        rows = cursor.fetchall()
    return {grp: int(Decimal(str(avg)).quantize(Decimal("1"), ROUND_HALF_UP)) for grp, avg in rows}


def _average(total: Any, count: int) -> Decimal | None:
    """An exact average of integer ratings (summed in SQL), to two decimals."""
    if not count:
        return None
    return (Decimal(int(total)) / count).quantize(Decimal("0.01"), ROUND_HALF_UP)


def question_oversight(
    *, user: Any, legal_entity: Any, since: datetime.datetime, now: datetime.datetime | None = None
) -> Oversight:
    """The finance manager's view of the legal entity's questions: the queue now (open,
    unassigned, at risk, overdue) and, per assignee and in total, open and at-risk questions,
    questions resolved since ``since``, the median working minutes to the first response and
    to resolution (questions answered / resolved since ``since``) and the average rating (and
    the share of 4-5) of ratings given since ``since``. Seven queries, whatever the numbers."""
    now = now or timezone.now()
    risk = at_risk_until(now)
    qs = visible_to(InvoiceQuestion.objects.filter(legal_entity=legal_entity), user).order_by()
    result = Oversight(since=since)
    queue = qs.aggregate(
        open=Count("id", filter=Q(status__in=ACTIVE)),
        unassigned=Count("id", filter=Q(status__in=ACTIVE, assigned_to__isnull=True)),
        at_risk=Count("id", filter=due_by(risk)),
        overdue=Count("id", filter=due_by(now)),
    )
    result.open, result.unassigned = queue["open"], queue["unassigned"]
    result.at_risk, result.overdue = queue["at_risk"], queue["overdue"]

    figures = {
        "open": Count("id", filter=Q(status__in=ACTIVE)),
        "at_risk": Count("id", filter=due_by(risk)),
        "overdue": Count("id", filter=due_by(now)),
        "resolved": Count("id", filter=Q(resolved_at__gte=since)),
        "rating_sum": Sum("rating", filter=Q(rated_at__gte=since)),
        "ratings": Count("id", filter=Q(rated_at__gte=since)),
        "good_ratings": Count("id", filter=Q(rated_at__gte=since, rating__gte=4)),
    }
    per_assignee = qs.values("assigned_to").annotate(**figures)
    first = qs.filter(first_response_at__gte=since)
    resolved = qs.filter(resolved_at__gte=since)
    medians_first = _medians(first, "first_response_minutes", "legal_entity_id")
    medians_resolution = _medians(resolved, "resolution_minutes", "legal_entity_id")
    per_first = _medians(first.filter(assigned_to__isnull=False), "first_response_minutes", "assigned_to_id")
    per_resolution = _medians(
        resolved.filter(assigned_to__isnull=False), "resolution_minutes", "assigned_to_id"
    )

    rows = list(per_assignee)
    users = User.objects.in_bulk([row["assigned_to"] for row in rows if row["assigned_to"]])
    totals = result.totals
    rating_sum = 0
    for row in rows:
        uid = row["assigned_to"]
        figure = AssigneeFigures(
            user=users.get(uid) if uid else None,
            open=row["open"],
            at_risk=row["at_risk"],
            overdue=row["overdue"],
            resolved=row["resolved"],
            median_first_response_minutes=per_first.get(uid),
            median_resolution_minutes=per_resolution.get(uid),
            average_rating=_average(row["rating_sum"], row["ratings"]),
            ratings=row["ratings"],
            good_ratings=row["good_ratings"],
        )
        for name in ("open", "at_risk", "overdue", "resolved", "ratings", "good_ratings"):
            setattr(totals, name, getattr(totals, name) + getattr(figure, name))
        rating_sum += row["rating_sum"] or 0
        if uid is not None:
            result.rows.append(figure)
    result.rows.sort(key=lambda f: (str(f.user), f.user.pk))
    entity_id = getattr(legal_entity, "pk", legal_entity)
    totals.median_first_response_minutes = medians_first.get(entity_id)
    totals.median_resolution_minutes = medians_resolution.get(entity_id)
    totals.average_rating = _average(rating_sum, totals.ratings)
    return result
