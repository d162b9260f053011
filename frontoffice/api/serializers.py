"""Serializers shared by every app's ``api.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from frontoffice.core.scoping import visible_to

# The largest id a database stores (64-bit signed); bigger numbers in filters are refused as
# invalid instead of reaching the database, where SQLite would overflow.
MAX_ID = 2**63 - 1


class IdField(serializers.IntegerField):
    """A positive database id in a filter."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class RefSerializer(serializers.Serializer):
    """A foreign key shown as ``{"id": 7, "name": "North"}`` next to the plain id."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        ref_name = "Ref"


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id that must name a row the requesting user can see.

    ``queryset`` gives the model (and the schema type); ``scope(queryset, user)`` narrows it,
    ``visible_to`` by default. An id outside the scope gets the same message as an unknown
    id, so the answer never reveals that the row exists.
    """

    def __init__(self, *, scope: Callable[[QuerySet[Any], Any], QuerySet[Any]] = visible_to, **kwargs: Any):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context["request"]
        return self.scope(super().get_queryset(), request.user)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, float):  # 1.5 would otherwise be truncated to id 1
            self.fail("incorrect_type", data_type=type(data).__name__)
        is_number = isinstance(data, int | str) and not isinstance(data, bool) and str(data).strip().isdigit()
        if is_number and not 1 <= int(data) <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)
