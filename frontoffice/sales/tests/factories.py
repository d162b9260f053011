"""Sales test helpers: customers in each region, opportunities made through the services."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from frontoffice.parties.models import Party
from frontoffice.sales.models import Opportunity, Stage
from frontoffice.sales.services import opportunity_create


def make_party(
    org: Any, name: str = "Norrsken Bygg AB", region: Any = None, owner: Any = None, company: Any = None
) -> Party:
    return Party.objects.create(
        kind="organisation",
        organisation_name=name,
        display_name=name,
        legal_entity=company or org.company,
        region=region if region is not None else org.north,
        owner=owner,
    )


def stage(legal_entity: Any, name: str) -> Stage:
    return Stage.objects.get(legal_entity=legal_entity, name=name)


def make_opportunity(actor: Any, party: Any, **fields: Any) -> Opportunity:
    fields.setdefault("name", "New clinic chairs")
    fields.setdefault("amount", Decimal("10000.00"))
    fields.setdefault("expected_close_on", datetime.date(2026, 6, 15))
    return opportunity_create(actor=actor, party=party, **fields)
