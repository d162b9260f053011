"""The calendar grid's columns as HTML, built in Python.

A busy day has thousands of blocks (50 resources, 40 bookings each, plus the free slots); rendering
each through template tags costs tens of milliseconds per thousand, so the columns are joined
here from escaped strings, with the same markup a template would give. Every text that comes
from the database is escaped; colours are accepted only as ``#rgb``/``#rrggbb``.
"""

from __future__ import annotations

import re
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from frontoffice.appointments.models import Appointment

_COLOUR = re.compile(r"^#[0-9a-fA-F]{3,8}$")
DEFAULT_COLOUR = "#4a90d9"


def render_columns(grid, *, location_id: int, create_url: str, can_book: bool) -> SafeString:
    labels = {value: str(label) for value, label in Appointment.Status.choices}
    absent = escape(_("Absent"))
    out: list[str] = []
    append = out.append
    for column in grid.columns:
        append('<div class="appt-cal__col" data-testid="cal-column">')
        resource_id = column.resource.pk if column.resource else ""
        slot_base = f"{create_url}?location={location_id}&amp;resource={resource_id}&amp;start="
        for b in column.blocks:
            kind = b.kind
            if kind == "appt":
                a = b.appointment
                colour = a.colour if a.colour and _COLOUR.match(a.colour) else DEFAULT_COLOUR
                status = (
                    ""
                    if a.status == "booked"
                    else f' <span class="appt-status">({escape(labels[a.status])})</span>'
                )
                append(
                    f'<a class="appt-cal__appt appt-cal__appt--{a.status}" style="grid-row:{b.row}/span {b.span};'
                    f'--appt-colour:{colour}" href="/appointments/{a.pk}/" data-testid="cal-appointment">'
                    f"{b.label} {escape(a.party_name)} · {escape(a.type_name)}{status}</a>"
                )
            elif kind == "free":
                if can_book:
                    url = slot_base + b.label
                    append(
                        f'<a class="appt-cal__free" style="grid-row:{b.row}/span {b.span}" href="{url}" '
                        f'hx-get="{url}" hx-target="#booking-panel" data-testid="cal-free">+ {b.label[11:]}</a>'
                    )
            else:
                append(
                    f'<div class="appt-cal__off" style="grid-row:{b.row}/span {b.span}">'
                    f"{escape(b.label) if b.label else absent}</div>"
                )
        append("</div>")
    return mark_safe("".join(out))  # noqa: S308 - every database text above is escaped
