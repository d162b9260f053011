"""Demo calls, tasks, meetings and an e-mail template (``seed_activities``), through the services.

The north rep gets a logged call, an overdue and a due-today call, a meeting held last week
(with outcome, next step and the customer's rating) and one planned for tomorrow; the south rep
a planned meeting. Safe to run twice (does nothing when the company has activities).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from frontoffice.activities.models import Activity, EmailTemplate, Meeting
from frontoffice.activities.services.activities import activity_create, email_template_save
from frontoffice.activities.services.links import feedback_request, feedback_submit
from frontoffice.activities.services.meetings import meeting_record_outcome, meeting_schedule
from frontoffice.parties.models import Party


def _customers(company: Any, owner: Any, count: int = 2) -> list[Party]:
    return list(Party.objects.active().filter(legal_entity=company, owner=owner).order_by("pk")[:count])


def _at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@transaction.atomic
def seed_activities(company: Any, users: dict[str, Any]) -> int:
    """Create the demo activities once; return how many rows were made. ``users``: the demo's
    users by username (``rep``, ``rep2``, and a manager ``rsm`` or ``nsm`` when present)."""
    if (
        Activity.objects.filter(legal_entity=company).exists()
        or Meeting.objects.filter(legal_entity=company).exists()
    ):
        return 0
    made = 0
    manager = users.get("rsm") or users.get("nsm") or users.get("admin")
    if manager is not None and not EmailTemplate.objects.filter(legal_entity=company).exists():
        try:
            email_template_save(
                actor=manager,
                legal_entity=company,
                name="Första kontakt",
                language="sv",
                subject="Tack för ditt intresse, {first_name}",
                body="Hej {first_name},\n\nTack för att du hörde av dig. Jag ringer dig gärna för att "
                "boka ett möte.\n\nVänliga hälsningar\n{rep_name}\n{company}",
            )
            email_template_save(
                actor=manager,
                legal_entity=company,
                name="First contact",
                language="en",
                subject="Thank you for your interest, {first_name}",
                body="Hello {first_name},\n\nThank you for getting in touch. I would be glad to call you to "
                "book a meeting.\n\nBest regards\n{rep_name}\n{company}",
            )
            made += 2
        except (ValidationError, PermissionError):
            pass
    rep, rep2 = users.get("rep"), users.get("rep2")
    if rep is not None:
        customers = _customers(company, rep)
        if customers:
            first = customers[0]
            activity_create(
                actor=rep,
                party=first,
                kind="call",
                subject="Introduktionssamtal",
                done=True,
                duration_minutes=10,
                outcome="Intresserad, vill träffas",
            )
            activity_create(
                actor=rep,
                party=first,
                kind="call",
                subject="Följ upp offert",
                due_at=_at(-1, 14),
                duration_minutes=15,
            )
            activity_create(
                actor=rep, party=customers[-1], kind="task", subject="Skicka produktblad", due_at=_at(0, 16)
            )
            held = meeting_schedule(
                actor=rep,
                party=first,
                title="Behovsanalys",
                starts_at=_at(-7, 10),
                ends_at=_at(-7, 11),
                place=first.city or "",
                agenda="Behov\nBudget\nTidplan",
                send_invitation=False,
            )
            meeting_record_outcome(
                actor=rep,
                meeting=held,
                outcome="Vill ha offert på tolv stolar",
                next_step="Skicka offert",
                next_step_on=timezone.localdate(),
                ask_feedback=False,
            )
            if first.email:
                feedback_submit(
                    token=feedback_request(meeting=held).token, rating=5, comment="Mycket väl förberett"
                )
            meeting_schedule(
                actor=rep,
                party=first,
                title="Offertgenomgång",
                starts_at=_at(1, 10),
                ends_at=_at(1, 11),
                agenda="Offerten\nLeverans",
                send_invitation=False,
            )
            made += 6
    if rep2 is not None:
        customers = _customers(company, rep2, 1)
        if customers:
            meeting_schedule(
                actor=rep2,
                party=customers[0],
                title="Första möte",
                starts_at=_at(2, 13),
                ends_at=_at(2, 14),
                send_invitation=False,
            )
            made += 1
    return made
