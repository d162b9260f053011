"""The one-screen cockpit of a small office's manager: today at every desk.

Four panels, each read from the owning app through its selectors (scoped to the viewer with
``visible_to``) and each number linking to that app's own list page with the same filter:

- reception: today's visits, waiting now, mean wait of the visits called in, over the
  location's target, per location;
- sales: today's pipeline moves (stage changes, wins, losses: the opportunities' history,
  through its scope rule) and the won/lost of the day (``opportunity_list``);
- finance: open and overdue invoice questions, draft invoices, unposted vouchers (draft and
  awaiting approval) and overdue receivables of the viewer's legal entity;
- training: open assignments of the viewer's people past their due date.

A panel whose app is not installed says "not available"; one whose list the viewer may not
open (no permission) says so too, rather than showing numbers the list would refuse. The
apps are imported at call time, so insights works with any subset of the desks.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Avg, Case, Count, F, IntegerField, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontoffice.core.scoping import visible_to
from frontoffice.insights.measures import MinutesBetween, cents, day_start

CENT = Decimal("0.01")


@dataclass
class Tile:
    key: str
    label: Any
    value: Any  # int, Decimal or None
    url: str = ""
    unit: Any = ""


@dataclass
class Panel:
    key: str
    title: Any
    available: bool = True  # the app is installed
    allowed: bool = True  # the viewer may open its lists
    tiles: list[Tile] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def tile(self, key: str) -> Tile:
        return next(t for t in self.tiles if t.key == key)


@dataclass
class Cockpit:
    today: datetime.date
    panels: list[Panel]

    def panel(self, key: str) -> Panel:
        return next(p for p in self.panels if p.key == key)


def _url(name: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def reception_panel(user: Any, today: datetime.date) -> Panel:
    panel = Panel("reception", _("Reception today"))
    try:
        from frontoffice.reception import selectors as rs
        from frontoffice.reception.models import Visit, WaitingTarget
    except ImportError:
        panel.available = False
        return panel
    if not user.has_perm("reception.view_visit"):
        panel.allowed = False
        return panel
    visits = rs.visits_for(user).filter(visit_date=today).order_by()
    targets = dict(WaitingTarget.objects.values_list("location_id", "minutes"))
    target = Case(
        *[When(location_id=pk, then=Value(minutes)) for pk, minutes in targets.items()],
        default=Value(rs.DEFAULT_TARGET_MINUTES),
        output_field=IntegerField(),
    )
    wait = MinutesBetween(F("arrived_at"), F("called_in_at"))
    called = Q(called_in_at__isnull=False)
    rows = (
        visits.annotate(_wait=wait, _target=target)
        .values("location_id", "location__name")
        .annotate(
            total=Count("pk"),
            waiting=Count("pk", filter=Q(status=Visit.Status.WAITING)),
            called=Count("pk", filter=called),
            mean_wait=Avg("_wait", filter=called),
            over=Count("pk", filter=called & Q(_wait__gt=F("_target"))),
        )
        .order_by("location__name", "location_id")
    )
    totals = {"total": 0, "waiting": 0, "called": 0, "over": 0, "wait_sum": 0.0}
    for r in rows:
        loc, day = r["location_id"], today.isoformat()
        mean = _minutes(r["mean_wait"])
        panel.rows.append(
            {
                "label": r["location__name"],
                "visits": r["total"],
                "visits_url": _url("reception:visit-list", location=loc, day=day),
                "waiting": r["waiting"],
                "waiting_url": _url("reception:visit-list", location=loc, day=day, status="waiting"),
                "mean_wait": mean,
                "over": r["over"],
                "over_url": _url("reception:visit-list", location=loc, day=day, over_target=1),
            }
        )
        for key in ("total", "waiting", "called", "over"):
            totals[key] += r[key]
        totals["wait_sum"] += float(r["mean_wait"] or 0) * r["called"]
    single = panel.rows[0] if len(panel.rows) == 1 else None
    day_url = _url("reception:visit-list", day=today.isoformat())
    mean_all = _minutes(totals["wait_sum"] / totals["called"]) if totals["called"] else None
    panel.tiles = [
        Tile("visits", _("Visits today"), totals["total"], single["visits_url"] if single else day_url),
        Tile(
            "waiting",
            _("Waiting now"),
            totals["waiting"],
            single["waiting_url"] if single else _url("reception:waiting-room"),
        ),
        Tile(
            "mean_wait",
            _("Mean wait"),
            mean_all,
            single["visits_url"] if single else day_url,
            _("minutes"),
        ),
        Tile(
            "over_target", _("Waited over target"), totals["over"], single["over_url"] if single else day_url
        ),
    ]
    return panel


def _minutes(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"))


def sales_panel(user: Any, today: datetime.date) -> Panel:
    panel = Panel("sales", _("Pipeline today"))
    try:
        from frontoffice.sales import selectors as ss
        from frontoffice.sales.models import OpportunityEvent
    except ImportError:
        panel.available = False
        return panel
    if not user.has_perm("sales.view_opportunity"):
        panel.allowed = False
        return panel
    # Sales has no selector for its history across opportunities; the events' own scope rule
    # (the opportunity's legal entity, region and owner) applies through ``visible_to``.
    kinds = [OpportunityEvent.Kind.STAGE_CHANGED, OpportunityEvent.Kind.WON, OpportunityEvent.Kind.LOST]
    moves = (
        visible_to(
            OpportunityEvent.objects.filter(
                kind__in=kinds,
                at__gte=day_start(today),
                at__lt=day_start(today + datetime.timedelta(days=1)),
            ),
            user,
        )
        .select_related("opportunity", "opportunity__owner", "from_stage", "to_stage")
        .order_by("-at", "-id")
    )
    counts = moves.order_by().aggregate(
        moves=Count("pk"),
        stage=Count("pk", filter=Q(kind=OpportunityEvent.Kind.STAGE_CHANGED)),
    )
    closed = (
        ss.opportunity_list(user=user, closed_from=today, closed_to=today)
        .order_by()
        .aggregate(
            won=Count("pk", filter=Q(stage__kind="won")),
            won_amount=Sum(cents("amount"), filter=Q(stage__kind="won")),
            lost=Count("pk", filter=Q(stage__kind="lost")),
        )
    )
    day = today.isoformat()
    panel.tiles = [
        Tile("moves", _("Pipeline moves"), counts["moves"], _url("sales:board")),
        Tile("stage_changes", _("Stage changes"), counts["stage"], _url("sales:board")),
        Tile(
            "won",
            _("Won today"),
            closed["won"],
            _url("sales:opportunity-list", status="won", closed_from=day, closed_to=day),
        ),
        Tile(
            "won_amount",
            _("Won amount"),
            (Decimal(int(closed["won_amount"] or 0)) / 100).quantize(CENT),
            _url("sales:opportunity-list", status="won", closed_from=day, closed_to=day),
            _("SEK"),
        ),
        Tile(
            "lost",
            _("Lost today"),
            closed["lost"],
            _url("sales:opportunity-list", status="lost", closed_from=day, closed_to=day),
        ),
    ]
    for event in moves[:8]:
        panel.rows.append(
            {
                "label": event.opportunity.name,
                "url": reverse("sales:opportunity-detail", args=[event.opportunity_id]),
                "kind": event.get_kind_display(),
                "from": str(event.from_stage) if event.from_stage_id else "",
                "to": str(event.to_stage) if event.to_stage_id else "",
                "owner": _person(event.opportunity.owner),
                "at": event.at,
            }
        )
    return panel


def _person(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def finance_panel(user: Any, today: datetime.date) -> Panel:
    """Invoice questions and drafts (billing), unposted vouchers (finance), overdue receivables."""
    panel = Panel("finance", _("Finance queue"))
    installed = 0
    if _has_app("frontoffice.billing.selectors.questions") and user.has_perm("billing.view_invoice"):
        from frontoffice.billing.selectors.invoices import invoice_list
        from frontoffice.billing.selectors.questions import question_list

        installed += 1
        panel.tiles += [
            Tile(
                "open_questions",
                _("Open invoice questions"),
                question_list(user=user).order_by().count(),
                _url("billing:question-list"),
            ),
            Tile(
                "overdue_questions",
                _("Questions past their deadline"),
                question_list(user=user, due="overdue").order_by().count(),
                _url("billing:question-list", due="overdue"),
            ),
            Tile(
                "draft_invoices",
                _("Draft invoices"),
                invoice_list(user=user, status="draft").order_by().count(),
                _url("billing:invoice-list", status="draft"),
            ),
        ]
    if _has_app("frontoffice.finance.selectors.vouchers") and user.has_perm("finance.view_journalentry"):
        from frontoffice.finance.selectors.vouchers import voucher_list

        installed += 1
        counts = (
            voucher_list(user=user)
            .order_by()
            .aggregate(
                draft=Count("pk", filter=Q(status="draft")),
                awaiting=Count("pk", filter=Q(status="awaiting_approval")),
            )
        )
        panel.tiles += [
            Tile(
                "draft_vouchers",
                _("Draft vouchers"),
                counts["draft"],
                _url("finance:voucher-list", status="draft"),
            ),
            Tile(
                "awaiting_vouchers",
                _("Vouchers awaiting approval"),
                counts["awaiting"],
                _url("finance:voucher-list", status="awaiting_approval"),
            ),
        ]
    if _has_app("frontoffice.receivables.selectors.aging") and user.has_perm("receivables.view_receivables"):
        from django.http import Http404

        from frontoffice.receivables.selectors.aging import open_items
        from frontoffice.receivables.selectors.payments import working_legal_entity

        installed += 1
        try:
            entity = working_legal_entity(user=user)
        except Http404:
            entity = None
        overdue = {"n": 0, "cents": 0}
        if entity is not None:
            overdue = (
                open_items(user=user, legal_entity=entity, as_of=today)
                .filter(kind="invoice", due_on__lt=today)
                .order_by()
                .aggregate(n=Count("pk"), cents=Sum(cents("open_amount")))
            )
        url = _url("receivables:aging", as_of=today.isoformat())
        panel.tiles += [
            Tile("overdue_invoices", _("Overdue invoices"), overdue["n"], url),
            Tile(
                "overdue_amount",
                _("Overdue receivables"),
                (Decimal(int(overdue["cents"] or 0)) / 100).quantize(CENT),
                url,
                _("SEK"),
            ),
        ]
    if not installed:
        if not any(
            _has_app(m)
            for m in (
                "frontoffice.billing.selectors.questions",
                "frontoffice.finance.selectors.vouchers",
                "frontoffice.receivables.selectors.aging",
            )
        ):
            panel.available = False
        else:
            panel.allowed = False
    return panel


def _has_app(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def training_panel(user: Any, today: datetime.date) -> Panel:
    panel = Panel("training", _("Overdue training"))
    try:
        from frontoffice.training import selectors as ts
    except ImportError:
        panel.available = False
        return panel
    if not user.has_perm("training.view_team_training"):
        panel.allowed = False
        return panel
    totals = ts.team_totals(user=user)
    panel.tiles = [
        Tile(
            "overdue", _("Assignments past due"), totals["overdue"], _url("training:team", status="overdue")
        ),
        Tile("open", _("Open assignments"), totals["open"], _url("training:team", status="open")),
    ]
    return panel


PANELS = (reception_panel, sales_panel, finance_panel, training_panel)


def cockpit(*, viewer: Any, today: datetime.date | None = None) -> Cockpit:
    """Today's numbers of every desk in the viewer's reach (see the module docstring)."""
    today = today or timezone.localdate()
    return Cockpit(today, [build(viewer, today) for build in PANELS])
