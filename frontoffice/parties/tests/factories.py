"""Customers built through the service, so every derived field is as in production."""

from __future__ import annotations

from typing import Any

from frontoffice.parties.models import Party
from frontoffice.parties.services import party_create


def make_party(actor: Any, **fields: Any) -> Party:
    fields.setdefault("first_name", "Anna")
    fields.setdefault("last_name", "Andersson")
    fields.setdefault("allow_duplicate", True)
    return party_create(actor=actor, **fields)
