"""Mark the days whose source rows changed, and refresh their facts after the commit.

For every model a measure reads, the date that places a row in a period is read from the
database just before an update (``pre_save``: one small query per update of such a row; not on
load, which would tax every list page that reads thousands of rows); on save or delete both the
old and the new day are queued. One ``refresh_facts`` task per transaction is enqueued on commit.
"""

from __future__ import annotations

import datetime
import threading
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from frontoffice.insights.measures import MEASURES

_state = threading.local()
# model label -> {date field -> [measure keys]}
WATCHED: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
for _m in MEASURES:
    if not _m.from_facts:
        continue
    for _s in _m.sources:
        WATCHED[_s.model.lower()][_s.date].append(_m.key)


def _day(value: Any) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def _flush() -> None:
    """Enqueue one refresh for everything marked so far (later flushes of the commit find nothing).

    Days marked in a transaction that rolled back are refreshed with the next commit: an extra
    recompute, never a missing one.
    """
    pending: dict[str, set[str]] = getattr(_state, "pending", None) or {}
    _state.pending = {}
    if not pending:
        return
    from frontoffice.insights.tasks import refresh_facts

    measures = sorted({k for keys in pending.values() for k in keys})
    refresh_facts.enqueue(days=sorted(pending), measures=measures)


def _mark(days: set[datetime.date], keys: list[str]) -> None:
    pending = getattr(_state, "pending", None)
    if pending is None:
        pending = _state.pending = {}
    for day in days:
        pending.setdefault(day.isoformat(), set()).update(keys)
    transaction.on_commit(_flush)


def _label(sender: Any) -> str:
    return sender._meta.label_lower


def _live() -> bool:
    """``INSIGHTS_LIVE_FACTS`` (default on): off, facts are kept only by the periodic refresh and
    the rebuild command (the test suite turns it off except for the facts' own tests)."""
    return getattr(settings, "INSIGHTS_LIVE_FACTS", True)


def on_pre_save(
    sender: Any, instance: Any, raw: bool = False, using: str | None = None, **kwargs: Any
) -> None:
    """Remember the stored days of a row about to be updated (a new row has none)."""
    if not _live() or instance._state.adding or instance.pk is None:
        return
    fields = WATCHED.get(_label(sender))
    if not fields:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not set(update_fields) & set(fields):
        instance._insights_days = {f: _day(getattr(instance, f, None)) for f in fields}
        return
    row = sender._base_manager.using(using).filter(pk=instance.pk).values(*fields).first()
    instance._insights_days = {f: _day(row[f]) for f in fields} if row else {}


def on_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not _live():
        return
    fields = WATCHED.get(_label(sender))
    if not fields:
        return
    before = getattr(instance, "_insights_days", {}) or {}
    for field_name, keys in fields.items():
        days = {d for d in (before.get(field_name), _day(getattr(instance, field_name, None))) if d}
        if days:
            _mark(days, keys)
    instance._insights_days = {f: _day(getattr(instance, f, None)) for f in fields}


def connect() -> None:
    from django.apps import apps

    for label in WATCHED:
        if label.startswith("finance."):
            # The ledger posts without model signals (one SQL statement per voucher, instances
            # built without ``__init__``): its facts are kept by the periodic refresh.
            continue
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        pre_save.connect(on_pre_save, sender=model, dispatch_uid=f"insights-pre-save-{label}")
        post_save.connect(on_change, sender=model, dispatch_uid=f"insights-save-{label}")
        post_delete.connect(on_change, sender=model, dispatch_uid=f"insights-delete-{label}")
