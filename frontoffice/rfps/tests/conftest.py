"""RFP test set-up: issuers in North and South, RFPs made through the services."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from frontoffice.parties.models import Party
from frontoffice.rfps import services
from frontoffice.rfps.models import AnswerLibraryEntry, Rfp


def make_party(org: Any, name: str = "Region Norrbotten", region: Any = None, owner: Any = None) -> Party:
    return Party.objects.create(
        kind="organisation",
        organisation_name=name,
        display_name=name,
        legal_entity=org.company,
        region=region if region is not None else org.north,
        owner=owner,
    )


def make_rfp(actor: Any, party: Party, **fields: Any) -> Rfp:
    fields.setdefault("title", "Dental chairs for twelve clinics")
    fields.setdefault("reference", "RN-2026-041")
    fields.setdefault("due_at", timezone.now() + datetime.timedelta(days=20))
    return services.rfp_create(actor=actor, party=party, **fields)


@dataclass
class RfpWorld:
    org: Any
    north_party: Party
    south_party: Party
    rfp: Rfp
    south_rfp: Rfp
    entry: AnswerLibraryEntry

    def user(self, name: str) -> Any:
        return self.org.user(name)


@pytest.fixture
def world(org: Any) -> RfpWorld:
    from frontoffice.org.models import Staff

    # rep_north reports to rsm_north (supervisor gets overdue alerts).
    Staff.objects.filter(user=org.people["rep_north"]).update(
        supervisor=Staff.objects.get(user=org.people["rsm_north"])
    )
    north_party = make_party(org, "Region Norrbotten", org.north, org.people["rep_north"])
    south_party = make_party(org, "Region Skåne", org.south, org.people["rep_south"])
    rfp = make_rfp(org.user("rep_north"), north_party)
    south_rfp = make_rfp(org.user("rep_south"), south_party, title="Sterilisation service", reference="RS-7")
    entry = services.library_entry_create(
        actor=org.user("rsm_north"),
        legal_entity=org.company,
        question="Describe your ISO 9001 certification",
        answer="We are certified according to ISO 9001:2015 since 2012.",
        tags="quality, iso",
        language="sv",
        approve=True,
    )
    return RfpWorld(org, north_party, south_party, rfp, south_rfp, entry)
