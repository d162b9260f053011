"""Demo pipeline: ``seed_sales(company, users)`` for the ``frontoffice demo`` command.

Opens a dozen opportunities for the demo reps' own organisation customers, spread over the
pipeline's stages and the next months, and closes a few as won and lost (with their reasons),
so the board, the forecast and the managers' reports have something to show. Everything goes
through the services (same rules, history and audit entries as the UI). Safe to run twice:
nothing is added when the company already has opportunities.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from frontoffice.parties.models import Party
from frontoffice.sales.models import Opportunity, Stage
from frontoffice.sales.services import opportunity_create, opportunity_lose, opportunity_move, opportunity_win
from frontoffice.sales.stages import ensure_default_stages

# (name, amount, days to expected close, stage order (1 = first open stage), outcome, reason)
# fmt: off
DEALS: list[tuple[str, str, int, int, str, str]] = [
    ("Företagstandvård för 40 anställda", "48000.00", 20, 4, "", ""),
    ("Munhygienprogram, tre kontor", "22500.00", 35, 2, "", ""),
    ("Utbildning i patientbemötande", "18000.00", 50, 3, "", ""),
    ("Ramavtal eltandborstar", "35800.00", 65, 1, "", ""),
    ("Konsultstöd, ny klinik", "96000.00", 80, 2, "", ""),
    ("Årsavtal friskvård", "27600.00", 15, 5, "", ""),
    ("Tandblekning, personalförmån", "13980.00", 95, 1, "", ""),
    ("Företagstandvård, förnyelse", "60000.00", -10, 5, "won", "Förnyat på tre år efter mötet på plats."),
    ("Hygienprodukter till väntrum", "8950.00", -25, 3, "lost", "Valde en leverantör med lägre pris."),
    ("Utbildningsdag för receptionen", "24000.00", -40, 4, "won", "Offerten accepterades utan ändringar."),
]
# fmt: on


def seed_sales(company: Any, users: dict[str, Any]) -> int:
    """Open the demo deals for ``company``; returns how many were created (0 when some exist)."""
    if Opportunity.objects.filter(legal_entity=company).exists():
        return 0
    ensure_default_stages(company.pk)
    stages = list(
        Stage.objects.filter(legal_entity=company, kind=Stage.Kind.OPEN, active=True).order_by("order")
    )
    reps = [user for key in ("rep", "rep2") if (user := users.get(key)) is not None]
    customers = {
        rep.pk: list(
            Party.objects.filter(
                legal_entity=company, owner=rep, kind=Party.Kind.ORGANISATION, erased_at__isnull=True
            ).order_by("pk")[:10]
        )
        for rep in reps
    }
    today = datetime.date.today()
    created = 0
    for index, (name, amount, days, stage_order, outcome, reason) in enumerate(DEALS):
        rep = reps[index % len(reps)]
        parties = customers.get(rep.pk) or []
        if not parties:
            continue
        party = parties[index % len(parties)]
        opp = opportunity_create(
            actor=rep,
            party=party,
            name=name,
            amount=Decimal(amount),
            expected_close_on=today + datetime.timedelta(days=max(days, 1)),
            source="demo",
        )
        stage = stages[min(stage_order, len(stages)) - 1]
        if stage.pk != opp.stage_id:
            opp = opportunity_move(actor=rep, opportunity=opp, stage=stage)
        if outcome == "won":
            opportunity_win(actor=rep, opportunity=opp, reason=reason)
        elif outcome == "lost":
            opportunity_lose(actor=rep, opportunity=opp, reason=reason)
        created += 1
    return created
