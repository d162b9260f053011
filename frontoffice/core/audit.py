"""The audit trail service: every create, update, delete and business action is recorded.

Invariants:
- entries are append-only (``AuditEntry.save``/``delete`` refuse changes);
- ``changes`` holds ``{field: [before, after]}`` as JSON-safe strings, so an entry stays
  readable after the record itself is changed, merged or erased.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from frontoffice.core.models import AuditEntry


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of ``instance`` (foreign keys by their string form) for a later diff."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(str(o) for o in getattr(instance, name).all()) if instance.pk else []
        else:
            values[name] = _jsonable(getattr(instance, name))
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry. ``action`` is a dotted code such as ``parties.party.created``."""
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        actor_id=actor_id,
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
    )


def audit_created(*, actor: Any, obj: models.Model, fields: Iterable[str], action: str) -> AuditEntry:
    after = snapshot(obj, fields)
    return audit_record(
        actor=actor,
        action=action,
        obj=obj,
        changes={k: [None, v] for k, v in after.items() if v not in (None, "", [])},
    )


def audit_redact(obj: models.Model) -> int:
    """Remove the recorded values from ``obj``'s entries (GDPR erasure); who/what/when stay.

    The only sanctioned change to audit entries, done with a queryset update so the
    append-only guard on ``save`` stays in force everywhere else.
    """
    return AuditEntry.objects.for_object(obj).update(changes={"redacted": True}, object_repr="—")
