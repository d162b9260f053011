"""Write side of insights: managers' digest and alert settings, the weekly digest, the alerts.

Invariants:
- A manager gets at most one digest per week: ``DigestSent`` (unique manager and week) is
  written in the same transaction that queues the e-mail, so running the command twice, or
  two workers running the same task, sends once.
- An alert goes out when a watched figure crosses its threshold (from within to past it) and
  not again until it has come back within: ``AlertState`` remembers, per manager, measure and
  unit (a person, or all the manager's people), which side the figure was on. Figures without
  data (no rows in the window) change nothing.
- Digests and alerts cover the people the manager may see (``dashboard``'s selection, the
  same as "my people"), are computed from the daily facts, and are written in the manager's
  language (``User.language``).
- E-mail goes through ``core.tasks.email_enqueue`` (sent after commit).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.tasks import email_enqueue
from frontoffice.insights.measures import BY_KEY, UNIT_LABELS, Measure
from frontoffice.insights.models import AlertState, DigestSent, ManagerSettings
from frontoffice.insights.selectors import TEAM, dashboard

ALERT_WINDOW_DAYS = 7


# ---------------------------------------------------------------- settings


def settings_for(user: Any) -> ManagerSettings:
    """The manager's settings, or the defaults (unsaved) when they never changed them."""
    found = ManagerSettings.objects.filter(user_id=user.pk).first()
    return found or ManagerSettings(user=user)


def manager_settings_update(
    *,
    actor: Any,
    digest_enabled: bool,
    digest_weekday: int,
    alerts_enabled: bool,
    measures: list[str],
    thresholds: dict[str, Decimal | None],
) -> ManagerSettings:
    """Save the actor's own digest and alert settings (``insights.view_team_insights``)."""
    if not actor.has_perm(TEAM):
        raise PermissionDenied
    unknown = [k for k in list(measures) + list(thresholds) if k not in BY_KEY]
    if unknown:
        raise ValidationError(
            _("Unknown measure: %(keys)s") % {"keys": ", ".join(unknown)}, code="unknown_measure"
        )
    with transaction.atomic():
        row, _created = ManagerSettings.objects.select_for_update().get_or_create(user=actor)
        row.digest_enabled = digest_enabled
        row.digest_weekday = digest_weekday
        row.alerts_enabled = alerts_enabled
        row.measures = sorted(measures)
        row.thresholds = {k: str(v) for k, v in sorted(thresholds.items()) if v is not None}
        row.full_clean()
        row.save()
        audit_record(actor=actor, action="insights.settings.updated", obj=row)
    return row


def watched(settings: ManagerSettings, measures: list[Measure]) -> list[tuple[Measure, Decimal | None]]:
    """The measures a manager follows, each with its threshold (their override, else the target)."""
    keys = set(settings.measures or ())
    out = []
    for m in measures:
        if keys and m.key not in keys:
            continue
        raw = (settings.thresholds or {}).get(m.key)
        try:
            threshold = Decimal(raw) if raw not in (None, "") else m.target
        except InvalidOperation:
            threshold = m.target
        out.append((m, threshold))
    return out


def managers() -> Any:
    """Active users whose role lets them see their people's figures, with an e-mail address."""
    from frontoffice.org.models import Staff

    ids = Staff.objects.filter(
        active=True,
        role__permissions__codename="view_team_insights",
        role__permissions__content_type__app_label="insights",
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=ids, is_active=True).exclude(email="").order_by("pk")


# ---------------------------------------------------------------- formatting


def _number(value: Decimal | None) -> str:
    return "—" if value is None else formats.localize(value, use_l10n=True)


def _unit(m: Measure) -> str:
    return str(UNIT_LABELS.get(m.unit, m.unit))


# ---------------------------------------------------------------- the weekly digest


@dataclass
class Digest:
    manager: Any
    week_start: datetime.date
    week_end: datetime.date
    improved: list[tuple[str, Measure, Decimal, Decimal]] = field(default_factory=list)
    lagging: list[tuple[str, Measure, Decimal, Decimal]] = field(default_factory=list)
    overdue: list[tuple[str, str, datetime.date]] = field(default_factory=list)


def last_full_week(today: datetime.date) -> datetime.date:
    """The Monday of the last full week before ``today``'s week."""
    return today - datetime.timedelta(days=today.weekday() + 7)


def digest_build(*, manager: Any, week_start: datetime.date) -> Digest:
    """What improved from the week before, what is past its threshold, who is overdue on training."""
    board = dashboard(viewer=manager, period="week", today=week_start, by="people")
    digest = Digest(manager, week_start, week_start + datetime.timedelta(days=7))
    follow = dict(watched(settings_for(manager), board.measures))
    for row in board.rows:
        for c in row.comparisons:
            if c.measure not in follow:
                continue
            if c.improved and c.previous is not None and c.value is not None:
                digest.improved.append((row.label, c.measure, c.previous, c.value))
            threshold = follow[c.measure]
            if c.value is not None and c.measure.better(c.value, threshold) is False:
                digest.lagging.append((row.label, c.measure, c.value, threshold))
    try:
        from frontoffice.training.selectors import assignment_list
    except ImportError:
        return digest
    if manager.has_perm("training.view_team_training"):
        for a in (
            assignment_list(user=manager, status="overdue")
            .exclude(person__user=manager)
            .order_by("person__user__first_name", "person__user__last_name", "due_on", "pk")
        ):
            user = a.person.user
            digest.overdue.append((user.get_full_name() or user.get_username(), a.version.title, a.due_on))
    return digest


def digest_render(digest: Digest) -> tuple[str, str]:
    """Subject and plain-text body, in the active language."""
    last = digest.week_end - datetime.timedelta(days=1)
    span = {"start": digest.week_start.isoformat(), "end": last.isoformat()}
    subject = _("Your people, week of %(start)s") % span
    lines = [_("Weekly digest for %(start)s to %(end)s, compared with the week before.") % span, ""]
    lines.append(_("Improved"))
    for person, m, before, now in digest.improved:
        lines.append(f"- {person}: {m.name} {_number(before)} → {_number(now)} {_unit(m)}")
    if not digest.improved:
        lines.append("- " + _("nothing"))
    lines += ["", _("Behind target")]
    for person, m, value, threshold in digest.lagging:
        lines.append(
            f"- {person}: {m.name} {_number(value)} {_unit(m)} "
            + _("(target %(target)s)") % {"target": _number(threshold)}
        )
    if not digest.lagging:
        lines.append("- " + _("nothing"))
    lines += ["", _("Overdue training")]
    for person, course, due in digest.overdue:
        lines.append(f"- {person}: {course} " + _("(due %(date)s)") % {"date": due.isoformat()})
    if not digest.overdue:
        lines.append("- " + _("nobody"))
    lines += ["", _("Your dashboard: %(path)s") % {"path": reverse("insights:dashboard") + "?period=week"}]
    return subject, "\n".join(lines) + "\n"


def digest_send(*, manager_id: int, week_start: datetime.date) -> bool:
    """Send the manager the digest of the week from ``week_start``, once; False when it was
    already sent (or the manager cannot receive one)."""
    manager = get_user_model().objects.filter(pk=manager_id, is_active=True).first()
    if manager is None or not manager.email or not manager.has_perm(TEAM):
        return False
    with transaction.atomic():
        _row, created = DigestSent.objects.get_or_create(user=manager, week_start=week_start)
        if not created:
            return False
        with translation.override(manager.language or "en"):
            subject, body = digest_render(digest_build(manager=manager, week_start=week_start))
        email_enqueue(subject=subject, body=body, to=[manager.email])
    return True


def digests_due(*, today: datetime.date) -> list[int]:
    """The managers whose digest day is ``today`` and who have not had last week's digest."""
    week = last_full_week(today)
    chosen = {s.user_id: s for s in ManagerSettings.objects.all()}
    sent = set(DigestSent.objects.filter(week_start=week).values_list("user_id", flat=True))
    out = []
    for user in managers():
        s = chosen.get(user.pk) or ManagerSettings(user=user)
        if s.digest_enabled and s.digest_weekday == today.weekday() and user.pk not in sent:
            out.append(user.pk)
    return out


# ---------------------------------------------------------------- alerts


@dataclass
class Crossing:
    label: str
    measure: Measure
    value: Decimal
    threshold: Decimal


def alerts_check(*, manager_id: int, today: datetime.date) -> list[Crossing]:
    """Compare the manager's people's figures over the last ``ALERT_WINDOW_DAYS`` days (up to
    yesterday) with their thresholds, remember which side each is on and e-mail the new
    crossings (one e-mail per run at most). Returns the new crossings."""
    User = get_user_model()
    with transaction.atomic():
        # Serialises two runs for the same manager (PostgreSQL), so a crossing alerts once.
        manager = User.objects.select_for_update().filter(pk=manager_id, is_active=True).first()
        if manager is None or not manager.has_perm(TEAM):
            return []
        settings = settings_for(manager)
        if not settings.alerts_enabled:
            return []
        start, end = today - datetime.timedelta(days=ALERT_WINDOW_DAYS), today
        figures = _window_figures(manager, start, end)
        follow = watched(settings, figures["measures"])
        states = {(s.measure, s.unit_type, s.unit_id): s for s in AlertState.objects.filter(manager=manager)}
        now = timezone.now()
        crossings: list[Crossing] = []
        for m, threshold in follow:
            if threshold is None:
                continue
            for unit_type, unit_id, label, value in figures["units"][m.key]:
                if value is None:
                    continue
                breached = m.better(value, threshold) is False
                state = states.get((m.key, unit_type, unit_id))
                if state is None:
                    state = AlertState(manager=manager, measure=m.key, unit_type=unit_type, unit_id=unit_id)
                elif state.breached == breached and state.value == value:
                    continue
                if breached and not state.breached:
                    crossings.append(Crossing(label, m, value, threshold))
                    state.alerted_at = now
                state.breached, state.value, state.threshold = breached, value, threshold
                state.save()
        if crossings and manager.email:
            with translation.override(manager.language or "en"):
                subject, body = alerts_render(crossings, start, end)
            email_enqueue(subject=subject, body=body, to=[manager.email])
    return crossings


def _window_figures(manager: Any, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """Per measure: the figure of each of the manager's people and of all of them pooled."""
    from frontoffice.insights.facts import facts_by_person
    from frontoffice.insights.selectors import _group_value, dashboard_staff

    staff, measures = dashboard_staff(viewer=manager)
    ids = [s.user_id for s in staff]
    facts = facts_by_person(measures, ids, start, end)
    units: dict[str, list[tuple[str, int, str, Decimal | None]]] = {}
    for m in measures:
        rows = [
            (
                AlertState.UnitType.PERSON,
                s.user_id,
                s.user.get_full_name() or s.user.get_username(),
                _group_value(m, facts, [s.user_id], start, end),
            )
            for s in staff
        ]
        if len(staff) > 1:
            rows.append(
                (
                    AlertState.UnitType.ALL,
                    manager.pk,
                    str(_("all your people")),
                    _group_value(m, facts, ids, start, end),
                )
            )
        units[m.key] = rows
    return {"measures": measures, "units": units}


def alerts_render(crossings: list[Crossing], start: datetime.date, end: datetime.date) -> tuple[str, str]:
    last = end - datetime.timedelta(days=1)
    subject = _("Alert: %(count)s figures past their threshold") % {"count": len(crossings)}
    lines = [
        _("These figures for %(start)s to %(end)s went past their threshold:")
        % {"start": start.isoformat(), "end": last.isoformat()},
        "",
    ]
    for c in crossings:
        lines.append(
            f"- {c.label}: {c.measure.name} {_number(c.value)} {_unit(c.measure)} "
            + _("(threshold %(threshold)s)") % {"threshold": _number(c.threshold)}
        )
    lines += ["", _("Your dashboard: %(path)s") % {"path": reverse("insights:dashboard")}]
    return subject, "\n".join(lines) + "\n"


def alerts_due() -> list[int]:
    """The managers with alerts on (the default)."""
    off = set(ManagerSettings.objects.filter(alerts_enabled=False).values_list("user_id", flat=True))
    return [u.pk for u in managers() if u.pk not in off]
