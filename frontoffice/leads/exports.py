"""Lead exports as CSV or XLSX, formula-injection safe (the helpers of ``receivables.exports``:
text cells starting like a formula get a leading ``'`` in CSV and are plain strings in XLSX)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.leads.models import Lead
from frontoffice.receivables.exports import FORMATS, response

__all__ = ["FORMATS", "lead_rows", "response"]


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def lead_rows(leads: Iterable[Lead]) -> tuple[list[str], Iterable[list[Any]]]:
    headers = [
        _("Created"),
        _("Name"),
        _("Company"),
        _("E-mail"),
        _("Phone"),
        _("Postal code"),
        _("Country"),
        _("Industry"),
        _("Company size"),
        _("Source"),
        _("Region"),
        _("Owner"),
        _("Stage"),
        _("First contact due"),
        _("First contact"),
        _("Score"),
        _("Customer"),
    ]

    def rows() -> Iterable[list[Any]]:
        for lead in leads:
            yield [
                _when(lead.created_at),
                lead.contact_name,
                lead.company,
                lead.email,
                lead.phone,
                lead.postal_code,
                lead.country,
                lead.industry,
                lead.company_size,
                lead.source.name if lead.source_id else "",
                lead.region.name if lead.region_id else "",
                (lead.owner.get_full_name() or lead.owner.username) if lead.owner_id else "",
                lead.get_stage_display(),
                _when(lead.first_contact_due_at),
                _when(lead.first_contact_at),
                lead.score,
                lead.party.display_name,
            ]

    return headers, rows()
