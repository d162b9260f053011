"""The office manager's desk view: today and past days, waiting times against the location's
target, no-shows, ratings per receptionist and open complaints (numbers computed by hand)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from frontoffice.appointments.services import appointment_mark_no_show
from frontoffice.reception import selectors, services
from frontoffice.reception.models import VisitFeedback
from frontoffice.reception.tests.factories import TODAY, at, book
from frontoffice.surveys.services import complaint_create, complaint_resolve

pytestmark = pytest.mark.django_db
YESTERDAY = TODAY - datetime.timedelta(days=1)  # Monday 30 November 2026


def complaint(org, actor: str, location, text: str, desk: str = "reception", **fields):
    """A complaint logged at the desk: surveys' one complaint model, desk "reception"."""
    return complaint_create(
        actor=org.user(actor), desk=desk, subject=text, description=text, location=location, **fields
    )


def _visit(org, setup, *, by: str, party, arrived, called_in, done, rating=None):
    user = org.user(by)
    visit = services.visit_walk_in(
        actor=user, location=setup.location, kind="patient", party=party, at=arrived
    )
    services.visit_set_status(actor=user, visit=visit, status="called_in", at=called_in)
    services.visit_set_status(actor=user, visit=visit, status="done", at=done)
    if rating is not None:  # the e-mailed token is not kept: a fresh link to answer
        VisitFeedback.objects.filter(visit=visit).delete()
        link = services.feedback_request(visit=visit)
        services.feedback_submit(token=link.token, rating=rating)
    return visit


@pytest.fixture
def day_of_work(org, setup, now):
    """Today at the clinic (target 10 min): waits 6, 20 and 4 minutes; ratings 5 and 4 for the
    receptionist, 2 for the office manager (who also works the desk); two no-shows and one
    appointment still booked; two desk complaints, one resolved (plus a finance one at the clinic
    and one at another location, which the desk report leaves out). Yesterday: one visit,
    waited 30."""
    manager = org.user("office_manager")
    services.waiting_target_set(actor=manager, location=setup.location, minutes=10)
    late_a, late_b, kept = book(org, setup, 10), book(org, setup, 11), book(org, setup, 12)
    now.move_to(at(TODAY, 11, 30))
    appointment_mark_no_show(actor=org.user("receptionist"), appointment=late_a)
    appointment_mark_no_show(actor=org.user("receptionist"), appointment=late_b)
    _visit(
        org, setup, by="receptionist", party=setup.patient, arrived=at(TODAY, 8), called_in=at(TODAY, 8, 6),
        done=at(TODAY, 8, 30), rating=5,
    )  # fmt: skip
    _visit(
        org, setup, by="office_manager", party=setup.patient_en, arrived=at(TODAY, 8, 10),
        called_in=at(TODAY, 8, 30), done=at(TODAY, 9), rating=2,
    )  # fmt: skip
    _visit(
        org, setup, by="receptionist", party=setup.patient_en, arrived=at(TODAY, 8, 20),
        called_in=at(TODAY, 8, 24), done=at(TODAY, 8, 50), rating=4,
    )  # fmt: skip
    _visit(
        org, setup, by="receptionist", party=setup.patient, arrived=at(YESTERDAY, 9),
        called_in=at(YESTERDAY, 9, 30), done=at(YESTERDAY, 10),
    )  # fmt: skip
    first = complaint(org, "receptionist", setup.location, "Waited long", owner=manager)
    complaint(org, "receptionist", setup.location, "Cold room")
    complaint_resolve(actor=manager, complaint=first, resolution="Apologised; new routine")
    # Not the desk's: another desk's complaint at the clinic, the desk's at another location.
    complaint(org, "office_manager", setup.location, "Invoice twice", desk="finance")
    complaint(org, "admin", setup.other_location, "Parking")
    return kept


def test_desk_report_of_today_counts_waits_no_shows_ratings_per_receptionist_and_complaints(
    org, setup, day_of_work
):
    report = selectors.desk_report(user=org.user("office_manager"), location=setup.location, day=TODAY)
    assert (report.visits, report.waited, report.target) == (3, 3, 10)
    # Waits 4, 6, 20: median 6; p90 at rank 0.9*2 = 1.8 → 6 + 0.8*(20-6) = 17.2; over 10 min: 1.
    assert (report.median_wait, report.p90_wait, report.over_target) == (6.0, 17.2, 1)
    assert report.no_shows == 2
    assert report.open_complaints == 1
    ratings = {r.user_id: (r.mean, r.share_good, r.count) for r in report.ratings}
    assert ratings == {
        org.user("receptionist").pk: (4.5, 100.0, 2),
        org.user("office_manager").pk: (2.0, 0.0, 1),
    }
    # Ratings count for the location too.
    assert VisitFeedback.objects.filter(location=setup.location, answered_at__isnull=False).count() == 3


def test_desk_report_of_a_past_day_is_just_another_day(org, setup, day_of_work):
    report = selectors.desk_report(user=org.user("office_manager"), location=setup.location, day=YESTERDAY)
    assert (report.visits, report.median_wait, report.p90_wait, report.over_target) == (1, 30.0, 30.0, 1)
    assert (report.no_shows, report.ratings) == (0, [])


def test_desk_report_page_shows_the_numbers_and_links_no_shows_to_the_day_list(
    org, setup, day_of_work, client_for
):
    client = client_for("office_manager")
    body = client.get(reverse("reception:report"), {"day": TODAY.isoformat()}).content.decode()
    assert body.count('data-testid="rating-row"') == 2
    assert "Receptionist Test" in body and "Office_Manager Test" in body
    no_shows = f'data-testid="report-no-shows" href="{reverse("appointments:today")}?location={setup.location.pk}&date={TODAY.isoformat()}">2</a>'
    assert no_shows in body
    listing = client.get(
        reverse("appointments:today"), {"location": setup.location.pk, "date": TODAY.isoformat()}
    )
    assert listing.content.decode().count("badge--danger") == 2  # the two no-shows
    # Open complaints: the desk's at this location, listed on the complaints page it links to.
    query = {"desk": "reception", "location": setup.location.pk, "status": "unresolved"}
    complaints = f'data-testid="report-complaints" href="{reverse("surveys:complaint-list")}?desk=reception&amp;location={setup.location.pk}&amp;status=unresolved">1</a>'
    assert complaints in body
    rows = client.get(reverse("surveys:complaint-list"), query).content.decode()
    assert rows.count('data-testid="complaint-row"') == 1 and "Cold room" in rows
    past = client.get(reverse("reception:report"), {"day": YESTERDAY.isoformat()}).content.decode()
    assert 'data-testid="report-visits"' in past and "30.0 min" in past
    assert client_for("receptionist").get(reverse("reception:report")).status_code == 403


def test_waiting_targets_are_per_location(org, setup, now):
    """The clinic's target is 10 minutes, the sales office's 30; a 20-minute wait is over the
    target at the clinic and within it at the office. A manager sets only their own location's."""
    manager, admin = org.user("office_manager"), org.user("admin")
    services.waiting_target_set(actor=manager, location=setup.location, minutes=10)
    with pytest.raises(PermissionDenied):
        services.waiting_target_set(actor=manager, location=setup.other_location, minutes=30)
    assert selectors.target_minutes(setup.other_location) == 15  # the default
    services.waiting_target_set(actor=admin, location=setup.other_location, minutes=30)
    for location, party in ((setup.location, setup.patient), (setup.other_location, setup.other_patient)):
        services.visit_walk_in(
            actor=admin, location=location, kind="patient", party=party, at=at(TODAY, 6, 40)
        )
    now.move_to(at(TODAY, 7))
    clinic = selectors.waiting_room(user=admin, location=setup.location)
    office = selectors.waiting_room(user=admin, location=setup.other_location)
    assert (clinic.target, office.target) == (10, 30)
    assert [(r.wait_minutes, r.over_target) for r in clinic.rows] == [(20, True)]
    assert [(r.wait_minutes, r.over_target) for r in office.rows] == [(20, False)]
