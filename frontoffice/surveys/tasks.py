"""Background tasks of surveys: thin wrappers that reload rows and call one service."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from frontoffice.core.registry import Touchpoint


@task()
def survey_for_touchpoint(**fields: Any) -> int | None:
    """Send the survey a completed contact triggers, if any; returns the request id."""
    from frontoffice.surveys.services import survey_request_for_touchpoint

    outcome = survey_request_for_touchpoint(touchpoint=Touchpoint(**fields))
    return outcome.request.pk if outcome.request else None


@task()
def send_survey_reminders() -> int:
    """The one reminder of every due survey request (also ``frontoffice surveys_send_reminders``)."""
    from frontoffice.surveys.services import survey_send_reminders

    return survey_send_reminders()
