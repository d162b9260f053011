"""Demo leads: ``seed_leads(company, users)`` for the ``frontoffice demo`` command.

Sets up a web source (public form at ``/leads/form/demo/``) and a fair source, routing rules
(postcodes 8-9 → norr, 1-7 → syd) and the default checklist, then takes in a handful of leads
through the intake service (routed, matched, history written), qualifies one and disqualifies
one. Safe to run twice: nothing is added when the company already has leads.
"""

from __future__ import annotations

from typing import Any

from frontoffice.leads.models import Lead, LeadSource, RoutingRule
from frontoffice.leads.services import lead_create, lead_disqualify, lead_qualify, questions_for
from frontoffice.org.models import Region

# fmt: off
LEADS: list[dict[str, str]] = [
    {"contact_name": "Karin Lund", "company": "Kiruna Tandvård AB", "email": "karin@kirunatand.example", "phone": "070-765 43 21", "postal_code": "981 31", "industry": "Dental", "company_size": "10-49", "message": "Vi öppnar en andra klinik i höst."},
    {"contact_name": "Johan Berg", "company": "Umeå Friskvård AB", "email": "johan@umeafrisk.example", "phone": "", "postal_code": "903 26", "industry": "Wellness", "company_size": "50-249", "message": "Intresserade av företagstandvård."},
    {"contact_name": "Eva Holm", "company": "Malmö Munhälsa AB", "email": "eva@malmomun.example", "phone": "040-12 34 56", "postal_code": "211 22", "industry": "Dental", "company_size": "1-9", "message": "Offert på hygienprodukter, tack."},
    {"contact_name": "Per Ek", "company": "Lunds Tandläkare AB", "email": "per@lundtand.example", "phone": "", "postal_code": "222 20", "industry": "Dental", "company_size": "10-49", "message": ""},
    {"contact_name": "Lisa Strand", "company": "Luleå Hälsa AB", "email": "lisa@luleahalsa.example", "phone": "", "postal_code": "972 31", "industry": "Clinic", "company_size": "250+", "message": "Ring gärna efter lunch."},
]
# fmt: on


def seed_leads(company: Any, users: dict[str, Any]) -> int:
    """Take in the demo leads for ``company``; returns how many were created (0 when some exist)."""
    if Lead.objects.filter(legal_entity=company).exists():
        return 0
    web, _ = LeadSource.objects.get_or_create(
        legal_entity=company,
        name="Webbformulär",
        defaults={"first_contact_target": 2, "web_form_key": "demo"},
    )
    fair, _ = LeadSource.objects.get_or_create(
        legal_entity=company,
        name="Tandvårdsmässan",
        defaults={"first_contact_target": 8, "first_contact_unit": LeadSource.TargetUnit.WORKING_HOURS},
    )
    regions = {r.code: r for r in Region.objects.filter(legal_entity=company)}
    if "norr" in regions and not RoutingRule.objects.filter(legal_entity=company).exists():
        RoutingRule.objects.create(
            legal_entity=company,
            priority=10,
            name="Norrland",
            postcode_from="80000",
            postcode_to="99999",
            region=regions["norr"],
        )
        if "syd" in regions:
            RoutingRule.objects.create(
                legal_entity=company, priority=90, name="Övriga", region=regions["syd"]
            )
    questions_for(company.pk)
    created = [
        lead_create(actor=None, data=data, channel=Lead.Channel.WEB_FORM, source=web if n % 2 == 0 else fair)
        for n, data in enumerate(LEADS)
    ]
    first = created[0]
    if first.owner is not None:
        lead_qualify(actor=first.owner, lead=first, answers={"budget": True, "authority": True, "need": True})
    last = created[-1]
    if last.owner is not None:
        lead_disqualify(actor=last.owner, lead=last, reason="Har redan avtal till 2028.")
    return len(created)
