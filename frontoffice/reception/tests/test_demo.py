"""The demo seed goes through the services and can run twice."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from frontoffice.appointments.tests.factories import STHLM
from frontoffice.reception.demo import seed_reception
from frontoffice.reception.models import Visit, VisitFeedback
from frontoffice.reception.tests.factories import TODAY, at, book
from frontoffice.surveys.models import Complaint

pytestmark = pytest.mark.django_db


def test_seed_reception_makes_visits_feedback_and_a_complaint_once(org, setup, now):
    book(org, setup, 10)
    now.move_to(at(TODAY, 9, 30))
    users = {"reception": org.user("receptionist"), "office": org.user("office_manager")}
    counts = seed_reception(org.company, users)
    assert counts["visits"] == 3
    assert Visit.objects.filter(status="waiting").count() == 2
    assert VisitFeedback.objects.get().rating == 5
    complaint = Complaint.objects.get()
    assert (complaint.desk, complaint.location, complaint.owner) == (
        "reception",
        setup.location,
        org.user("office_manager"),
    )
    done = Visit.objects.get(status="done")
    assert (complaint.about_key, complaint.party_id) == (f"reception.visit:{done.pk}", done.party_id)
    assert seed_reception(org.company, users) == {"visits": 0}
    assert Visit.objects.count() == 3


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 11, 29, 23, 59, tzinfo=STHLM),  # Sunday, a minute before midnight
        datetime.datetime(2026, 11, 30, 0, 1, tzinfo=STHLM),  # Monday, just after midnight
        datetime.datetime(2026, 12, 1, 6, 30, tzinfo=STHLM),  # early morning, before opening
        datetime.datetime(2026, 12, 1, 12, 10, tzinfo=STHLM),  # mid-day: earlier visits are done
        datetime.datetime(2026, 12, 4, 23, 30, tzinfo=STHLM),  # Friday late evening, weekend ahead
        datetime.datetime(2026, 12, 24, 16, 55, tzinfo=STHLM),  # Christmas Eve, the holidays ahead
        datetime.datetime(2026, 3, 29, 3, 30, tzinfo=STHLM),  # the night the clocks go forward
    ],
    ids=lambda moment: moment.strftime("%a-%d-%b-%H%M"),
)
def test_demo_seeds_work_at_any_time_of_day_and_run_once(org, moment):
    """The appointments and reception demo seeds go through the services whatever the clock
    says (near midnight, before opening, weekends, holidays, daylight-saving night)."""
    from frontoffice.appointments.demo import seed_appointments
    from frontoffice.appointments.models import Appointment

    users = {
        "reception": org.user("receptionist"),
        "office": org.user("office_manager"),
        "admin": org.user("admin"),
    }
    with time_machine.travel(moment, tick=False):
        booked = seed_appointments(org.company, users)["appointments"]
        counts = seed_reception(org.company, users)
        assert booked == Appointment.objects.filter(location=org.clinic).count() > 0
        assert counts["visits"] == Visit.objects.count() >= 1
        assert Complaint.objects.count() == 1
        for visit in Visit.objects.select_related("location"):
            assert visit.visit_date == visit.arrived_at.astimezone(STHLM).date()
        assert seed_appointments(org.company, users) == {"appointments": 0}
        assert seed_reception(org.company, users) == {"visits": 0}
