"""Complaint lists as CSV or XLSX (the rows of the list's filters, in scope), through
receivables' formula-safe writer, as sales' exports: complaint texts come from customers, so a
text cell starting like a formula (= + - @ tab CR) gets a leading ``'`` in CSV and is a plain
string in XLSX."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.receivables.exports import FORMATS, response

__all__ = ["FORMATS", "complaint_rows", "response"]


def complaint_rows(complaints: Iterable[Any]) -> tuple[list[str], Iterable[list[Any]]]:
    headers = [
        _("Registered"),
        _("Desk"),
        _("Location"),
        _("Customer"),
        _("Subject"),
        _("Description"),
        _("Owner"),
        _("Deadline"),
        _("Status"),
        _("Resolution"),
    ]

    def rows() -> Iterable[list[Any]]:
        for c in complaints:
            yield [
                # Local time as text: the writer takes dates, not aware date-times.
                timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M"),
                c.get_desk_display(),
                c.location.name if c.location_id else "",
                c.party.display_name if c.party_id else "",
                c.subject,
                c.description,
                (c.owner.get_full_name() or c.owner.username) if c.owner_id else "",
                c.deadline,
                c.get_status_display(),
                c.resolution,
            ]

    return headers, rows()
