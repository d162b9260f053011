"""Mark the days whose source rows changed; their facts are refreshed after the commit.

For every model a measure reads, the date that places a row in a period is read from the
database just before an update (``pre_save``: one small query per update of such a row; not on
load, which would tax every list page that reads thousands of rows); on save or delete both the
old and the new day are marked. On commit the marks go to ``insights.facts.mark_dirty``
(coalesced: one statement when the days already wait for a refresh).

Related rows: a source row may be attributed or filtered through another row (a meeting
feedback's ``meeting__organiser``, an observation's ``person__user`` through the staff profile,
an opportunity's ``stage__kind``). ``RELATED`` lists those fields, found from each source's
person path, filter and numerator; when one changes on a saved row, the days of the source
rows pointing at that row are marked (one grouped query: the row's own source rows, never the
whole history). A staff profile's team, location or region is not among them: facts are kept
per person and a unit's people are resolved when a figure is read, so a move needs no refresh.
"""

from __future__ import annotations

import datetime
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from frontoffice.insights.measures import MEASURES, Source

_state = threading.local()
# model label -> {date field -> [measure keys]}
WATCHED: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
for _m in MEASURES:
    if not _m.from_facts:
        continue
    for _s in _m.sources:
        WATCHED[_s.model.lower()][_s.date].append(_m.key)


@dataclass(frozen=True)
class Dependent:
    """Source rows that reach a related row through ``path`` (``meeting``, ``person``)."""

    source: Source
    path: str
    keys: tuple[str, ...]


# related model label -> {attname on it -> [dependents]}; filled by ``connect`` (needs the apps)
RELATED: dict[str, dict[str, list[Dependent]]] = {}


def _day(value: Any) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def _flush() -> None:
    """Mark everything marked so far as dirty (later flushes of the commit find nothing).

    Days marked in a transaction that rolled back are refreshed with the next commit: an extra
    recompute, never a missing one.
    """
    pending: dict[datetime.date, set[str]] = getattr(_state, "pending", None) or {}
    _state.pending = {}
    if not pending:
        return
    from frontoffice.insights.facts import mark_dirty

    mark_dirty(pending)


def _mark(days: Any, keys: Any) -> None:
    pending = getattr(_state, "pending", None)
    if pending is None:
        pending = _state.pending = {}
    for day in days:
        pending.setdefault(day, set()).update(keys)
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


def _lookups(q: Q) -> Iterator[str]:
    for child in q.children:
        if isinstance(child, Q):
            yield from _lookups(child)
        else:
            yield child[0]


def _related_fields(model: Any, lookup: str) -> Iterator[tuple[Any, str, str]]:
    """(related model, attname, path from the source) for each field read past a forward
    relation in ``lookup``: ``meeting__organiser`` gives (Meeting, "organiser_id", "meeting")."""
    parts = lookup.split("__")
    for i, part in enumerate(parts):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return  # a transform or lookup (``in``, ``isnull``) or an annotation
        if i:
            yield model, field.attname if field.concrete else part, "__".join(parts[:i])
        if not (field.is_relation and field.concrete and (field.many_to_one or field.one_to_one)):
            return
        model = field.related_model


def related_dependents() -> dict[str, dict[str, list[Dependent]]]:
    out: dict[str, dict[str, list[Dependent]]] = {}
    for measure in MEASURES:
        if not measure.from_facts:
            continue
        for source in measure.sources:
            model = source.model_class()
            if model is None or source.app_label == "finance":
                continue
            lookups = [source.person, *_lookups(source.filter())]
            if source.numerator is not None:
                lookups += list(_lookups(source.numerator()))
            for lookup in lookups:
                for related, attname, path in _related_fields(model, lookup):
                    deps = out.setdefault(related._meta.label_lower, {}).setdefault(attname, [])
                    for n, dep in enumerate(deps):
                        same_days = (dep.source.model, dep.source.date) == (source.model, source.date)
                        if same_days and dep.path == path:
                            if measure.key not in dep.keys:
                                deps[n] = Dependent(source, path, (*dep.keys, measure.key))
                            break
                    else:
                        deps.append(Dependent(source, path, (measure.key,)))
    return out


def on_related_pre_save(
    sender: Any, instance: Any, raw: bool = False, using: str | None = None, **kwargs: Any
) -> None:
    """Remember the stored values of the fields source rows are attributed or filtered by."""
    instance._insights_related = None
    if not _live() or instance._state.adding or instance.pk is None:
        return
    fields = RELATED.get(_label(sender))
    if not fields:
        return
    update_fields = kwargs.get("update_fields")
    names = set(fields)
    if update_fields is not None:
        wanted = {sender._meta.get_field(f).attname for f in update_fields}
        names &= wanted
        if not names:
            return
    instance._insights_related = (
        sender._base_manager.using(using).filter(pk=instance.pk).values(*names).first()
    )


def on_related_save(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    before = getattr(instance, "_insights_related", None)
    instance._insights_related = None
    if not _live() or created or not before:
        return
    fields = RELATED.get(_label(sender)) or {}
    for attname, old in before.items():
        if getattr(instance, attname, None) == old:
            continue
        for dep in fields.get(attname, []):
            model = dep.source.model_class()
            rows = (
                model._base_manager.filter(**{dep.path: instance.pk})
                .order_by()
                .annotate(_insights_day=dep.source.day_expression())
                .values_list("_insights_day", flat=True)
                .distinct()
            )
            days = {d for d in (_day(v) for v in rows) if d}
            if days:
                _mark(days, dep.keys)


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
    RELATED.clear()
    RELATED.update(related_dependents())
    for label in RELATED:
        model = apps.get_model(label)
        pre_save.connect(on_related_pre_save, sender=model, dispatch_uid=f"insights-related-pre-{label}")
        post_save.connect(on_related_save, sender=model, dispatch_uid=f"insights-related-save-{label}")
