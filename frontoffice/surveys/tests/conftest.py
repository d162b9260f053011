"""Surveys fixtures: a customer with an e-mail address in Swedish, the company's settings with
CSAT after a completed visit and NPS after a held meeting, and a helper announcing a contact.

Times are fixed (time-machine) so fatigue windows, expiry and reminders never depend on when
the suite runs.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from frontoffice.core.registry import Touchpoint
from frontoffice.parties.tests.factories import make_party
from frontoffice.surveys.models import SurveySettings

NOW = datetime.datetime(2026, 3, 4, 10, 0, tzinfo=datetime.UTC)  # a Wednesday


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def party(org: Any) -> Any:
    return make_party(
        org.user("admin"),
        first_name="Greta",
        last_name="Gran",
        email="greta@example.com",
        language="sv",
        legal_entity=org.company,
        region=org.north,
        location=org.clinic,
    )


@pytest.fixture
def survey_settings(org: Any) -> SurveySettings:
    return SurveySettings.objects.create(
        legal_entity=org.company,
        triggers={"reception.visit_completed": "csat", "activities.meeting_held": "nps"},
        fatigue_days=30,
        link_days=14,
        reminder_days=3,
    )


@pytest.fixture
def touch(org: Any, party: Any):
    """``touch(kind=..., concerns=...)``: a completed contact by the receptionist at the clinic."""

    def _touch(**fields: Any) -> Touchpoint:
        defaults = {
            "kind": "reception.visit_completed",
            "party_id": party.pk,
            "legal_entity_id": org.company.pk,
            "user_id": org.user("receptionist").pk,
            "location_id": org.clinic.pk,
            "region_id": org.north.pk,
            "concerns": "reception.visit:1",
        }
        return Touchpoint(**{**defaults, **fields})

    return _touch


@pytest.fixture
def sent(
    org: Any,
    survey_settings: Any,
    touch: Any,
    frozen: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
):
    """A CSAT request sent after a completed visit (with its token); the e-mail is in the outbox."""
    from frontoffice.surveys.services import survey_request_for_touchpoint

    with django_capture_on_commit_callbacks(execute=True):
        outcome = survey_request_for_touchpoint(touchpoint=touch())
    assert outcome.request is not None
    return outcome
