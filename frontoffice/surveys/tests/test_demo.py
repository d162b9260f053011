"""The demo's surveys: settings, a spread of sent, reminded, answered and expired requests over
the demo's history attributed to its staff, two opt-outs, CSAT and NPS figures for the office
manager's clinic on the scorecards; a second run adds nothing."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from frontoffice.core.models import AuditEntry
from frontoffice.insights.facts import figure_from_facts
from frontoffice.insights.measures import OrgUnit, compute, get_measure
from frontoffice.org.models import Staff, User
from frontoffice.parties.models import Interaction
from frontoffice.surveys.models import SurveyOptOut, SurveyRequest, SurveySettings

pytestmark = pytest.mark.django_db


# An awkward moment: five minutes into a new month (and day, and week): the month's figures
# must still be there. The clock ticks on from it through each test.
MOMENT = datetime.datetime(2026, 6, 1, 0, 5, tzinfo=ZoneInfo("Europe/Stockholm"))


@pytest.fixture
def demo() -> Iterator[str]:
    with time_machine.travel(MOMENT, tick=True):
        out = StringIO()
        call_command("demo", password="pw", customers=40, stdout=out)
        yield out.getvalue()


def _counts() -> tuple[int, ...]:
    return (
        SurveySettings.objects.count(),
        SurveyRequest.objects.count(),
        SurveyRequest.objects.filter(answered_at__isnull=False).count(),
        SurveyRequest.objects.filter(reminded_at__isnull=False).count(),
        SurveyOptOut.objects.count(),
        AuditEntry.objects.filter(action__startswith="surveys.").count(),
        Interaction.objects.count(),
    )


def test_demo_sets_up_surveys_and_a_spread_of_requests_attributed_to_staff(demo):
    settings = SurveySettings.objects.get()
    assert settings.triggers == {
        "activities.meeting_held": "csat",
        "billing.question_resolved": "nps",
        "reception.visit_completed": "nps",
    }
    now = timezone.now()
    requests = list(SurveyRequest.objects.select_related("staff_user", "location", "region"))
    answered = [r for r in requests if r.answered_at is not None]
    expired = [r for r in requests if r.answered_at is None and r.expires_at <= now]
    live = [r for r in requests if r.answered_at is None and r.expires_at > now]
    reminded = [r for r in requests if r.reminded_at is not None]
    assert len(answered) >= 5 and expired and live and reminded
    assert any(r.reminded_at is not None and r.answered_at is not None for r in requests)
    assert {r.kind for r in answered} == {"csat", "nps"}
    # Spread over the demo's 90 days, each attributed to the staff member who handled the contact.
    assert min(r.sent_at for r in requests) < now - datetime.timedelta(days=30)
    staff = set(Staff.objects.values_list("user__username", flat=True))
    assert {r.staff_user.username for r in requests} <= staff
    assert {r.staff_user.username for r in requests if r.trigger == "reception.visit_completed"} == {
        "reception"
    }
    assert all(r.region_id is not None for r in requests)
    assert all(r.sent_at < r.answered_at <= now for r in answered)
    assert all(r.sent_at < r.reminded_at < r.expires_at for r in reminded)
    # Comments in the customer's language, stored as typed.
    assert any(r.comment and r.language == "sv" for r in answered)
    # Opt-outs: one from the link in an e-mail, one told the reception desk; neither surveyed since.
    opt_outs = {o.via: o for o in SurveyOptOut.objects.select_related("recorded_by")}
    assert set(opt_outs) == {"link", "staff"}
    assert opt_outs["staff"].recorded_by.username == "reception"
    for opt_out in opt_outs.values():
        assert not SurveyRequest.objects.filter(party=opt_out.party, sent_at__gt=opt_out.created_at).exists()
    assert "Surveys ready:" in demo


def test_csat_and_nps_are_non_empty_for_the_office_managers_clinic(demo):
    office = User.objects.select_related("staff__home_location").get(username="office")
    clinic = OrgUnit("location", office.staff.home_location)
    today = timezone.localdate()
    start, end = today - datetime.timedelta(days=91), today + datetime.timedelta(days=1)
    for key in ("csat", "nps"):
        live = compute(get_measure(key), clinic, start, end)
        facts = figure_from_facts(get_measure(key), clinic, start, end)
        assert live.value is not None and live.denominator > 0, key
        assert (facts.value, facts.denominator) == (live.value, live.denominator), key
    # This month's figures too (answered minutes ago, just after midnight), as on the scorecard.
    month = today.replace(day=1)
    assert compute(get_measure("nps"), clinic, month, end).value is not None
    assert compute(get_measure("csat"), clinic, month, end).value is not None


def test_the_office_manager_sees_csat_and_nps_on_the_receptionists_scorecard(demo, client):
    assert client.login(username="office", password="pw") is True
    receptionist = User.objects.get(username="reception")
    page = client.get(f"/insights/people/{receptionist.pk}/")
    assert page.status_code == 200
    rows = {row.measure.key: row for row in page.context["card"].rows}
    assert rows["nps"].value is not None
    assert rows["csat"].value is not None


def test_running_the_demo_again_adds_no_surveys(demo):
    before = _counts()
    call_command("demo", password="pw", customers=40, stdout=StringIO())
    assert _counts() == before
