"""Opportunity exports (CSV/XLSX), formula-injection safe: text cells that start like a formula
(= + - @ tab CR) get a leading ``'`` in CSV and are plain strings in XLSX (receivables' writer)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from frontoffice.receivables.exports import FORMATS, response, safe_text

__all__ = ["FORMATS", "opportunity_rows", "response", "safe_text"]


def opportunity_rows(opportunities: Iterable[Any]) -> tuple[list[str], Iterable[list[Any]]]:
    headers = [
        _("Name"),
        _("Customer"),
        _("Stage"),
        _("Probability (%)"),
        _("Amount"),
        _("Weighted amount"),
        _("Currency"),
        _("Expected close"),
        _("Closed"),
        _("Owner"),
        _("Region"),
        _("Source"),
        _("Competitors"),
        _("Win reason"),
        _("Loss reason"),
    ]

    def rows() -> Iterable[list[Any]]:
        for o in opportunities:
            yield [
                o.name,
                o.party.display_name,
                o.stage.name,
                o.stage.probability,
                o.amount,
                o.weighted_amount,
                o.currency,
                o.expected_close_on,
                o.closed_on,
                o.owner.get_full_name() or o.owner.get_username(),
                o.region.name if o.region else "",
                o.source,
                o.competitors,
                o.win_reason,
                o.loss_reason,
            ]

    return headers, rows()
