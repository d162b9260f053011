"""Check-in, walk-ins, the visit status and waiting times (services and selectors)."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.core.models import AuditEntry
from frontoffice.parties.models import Interaction
from frontoffice.reception import selectors, services
from frontoffice.reception.models import Visit, VisitEvent, VisitFeedback
from frontoffice.reception.tests.factories import TODAY, at, book

pytestmark = pytest.mark.django_db


def test_check_in_creates_a_waiting_visit_with_the_next_ticket_and_an_interaction(org, setup, now):
    first = book(org, setup, 9)
    second = book(org, setup, 10)
    receptionist = org.user("receptionist")
    now.move_to(at(TODAY, 8, 50))
    v1 = services.visit_check_in(actor=receptionist, appointment=first)
    v2 = services.visit_check_in(actor=receptionist, appointment=second)
    assert (v1.ticket_number, v2.ticket_number) == (1, 2)
    assert v1.status == Visit.Status.WAITING and v1.receptionist == receptionist
    assert v1.visit_date == TODAY and v1.party == setup.patient
    first.refresh_from_db()
    assert first.status == "checked_in" and first.checked_in_at == at(TODAY, 8, 50)
    interaction = Interaction.objects.get(kind="visit", concerns_id=str(v1.pk))
    assert interaction.staff.user == receptionist and interaction.party == setup.patient
    assert AuditEntry.objects.filter(action="reception.visit.checked_in").count() == 2
    assert VisitEvent.objects.filter(visit=v1, to_status="waiting").exists()


def test_checking_in_twice_is_refused_and_writes_nothing(org, setup, now):
    appt = book(org, setup, 9)
    services.visit_check_in(actor=org.user("receptionist"), appointment=appt)
    with pytest.raises(ValidationError) as exc:
        services.visit_check_in(actor=org.user("receptionist"), appointment=appt)
    assert exc.value.code == "already_checked_in"
    assert Visit.objects.count() == 1


def test_check_in_on_another_day_is_refused_and_gives_the_ticket_number_back(org, setup, now):
    tomorrow = book(org, setup, 9, day=TODAY + datetime.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.visit_check_in(actor=org.user("receptionist"), appointment=tomorrow)
    today_appt = book(org, setup, 10)
    visit = services.visit_check_in(actor=org.user("receptionist"), appointment=today_appt)
    assert visit.ticket_number == 1


def test_ticket_numbers_start_again_each_day_and_per_location(org, setup, now):
    assert services.next_ticket(setup.location, TODAY) == 1
    assert services.next_ticket(setup.location, TODAY) == 2
    assert services.next_ticket(setup.other_location, TODAY) == 1
    assert services.next_ticket(setup.location, TODAY + datetime.timedelta(days=1)) == 1


def test_receptionist_cannot_check_in_at_another_location(org, setup, now):
    from frontoffice.reception.tests.factories import book_raw

    other = book_raw(setup, at(TODAY, 9), resource=setup.other_resource, party=setup.other_patient)
    with pytest.raises(PermissionDenied):
        services.visit_check_in(actor=org.user("receptionist"), appointment=other)
    with pytest.raises(PermissionDenied):
        services.visit_check_in(actor=org.user("rep_north"), appointment=other)
    assert Visit.objects.count() == 0


def test_status_steps_keep_the_appointment_in_step_and_done_sends_the_feedback_link(
    org, setup, now, django_capture_on_commit_callbacks
):
    setup.patient.language = "en"
    setup.patient.save(update_fields=["language"])
    appt = book(org, setup, 9)
    receptionist = org.user("receptionist")
    now.move_to(at(TODAY, 8, 50))
    visit = services.visit_check_in(actor=receptionist, appointment=appt)
    now.move_to(at(TODAY, 9, 5))
    services.visit_set_status(actor=receptionist, visit=visit, status="called_in")
    now.move_to(at(TODAY, 9, 7))
    services.visit_set_status(actor=receptionist, visit=visit, status="in_treatment")
    mail.outbox.clear()
    now.move_to(at(TODAY, 9, 40))
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_set_status(actor=receptionist, visit=visit, status="done")
    visit.refresh_from_db()
    appt.refresh_from_db()
    assert visit.status == "done" and appt.status == "done"
    assert appt.called_in_at == at(TODAY, 9, 5) and appt.done_at == at(TODAY, 9, 40)
    assert selectors.wait_minutes(visit, at(TODAY, 12)) == 15
    feedback = VisitFeedback.objects.get(visit=visit)
    assert feedback.receptionist == receptionist and feedback.location == setup.location
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [setup.patient.email]
    assert "How was your visit" in mail.outbox[0].subject
    with pytest.raises(ValidationError) as exc:
        services.visit_set_status(actor=receptionist, visit=visit, status="called_in")
    assert exc.value.error_dict["status"][0].code == "invalid_transition"


def test_no_feedback_link_without_an_email_address(org, setup, now, django_capture_on_commit_callbacks):
    setup.patient.email = ""
    setup.patient.save(update_fields=["email"])
    appt = book(org, setup, 9)
    visit = services.visit_check_in(actor=org.user("receptionist"), appointment=appt)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_set_status(actor=org.user("receptionist"), visit=visit, status="done")
    assert mail.outbox == [] and not VisitFeedback.objects.exists()


def test_waiting_times_in_the_waiting_room_are_computed_by_hand(org, setup, now):
    """Three arrivals; target 15 min. At 09:30: A arrived 09:00 and was called in at 09:10
    (waited 10), B arrived 09:05 and still waits (25 > 15: over target), C arrived 09:28 (2)."""
    receptionist = org.user("receptionist")
    services.waiting_target_set(actor=org.user("office_manager"), location=setup.location, minutes=15)
    a = services.visit_walk_in(
        actor=receptionist, location=setup.location, kind="patient", party=setup.patient, at=at(TODAY, 9)
    )
    b = services.visit_walk_in(
        actor=receptionist,
        location=setup.location,
        kind="patient",
        party=setup.patient_en,
        at=at(TODAY, 9, 5),
    )
    c = services.visit_walk_in(
        actor=receptionist,
        location=setup.location,
        kind="visitor",
        visitor_name="Eva Ek",
        host=org.user("office_manager"),
        at=at(TODAY, 9, 28),
    )
    services.visit_set_status(actor=receptionist, visit=a, status="called_in", at=at(TODAY, 9, 10))
    now.move_to(at(TODAY, 9, 30))
    room = selectors.waiting_room(user=receptionist, location=setup.location)
    rows = {r.visit.pk: r for r in room.rows}
    assert (rows[a.pk].wait_minutes, rows[b.pk].wait_minutes, rows[c.pk].wait_minutes) == (10, 25, 2)
    assert [rows[a.pk].over_target, rows[b.pk].over_target, rows[c.pk].over_target] == [False, True, False]
    assert [r.visit.pk for r in room.rows] == [b.pk, c.pk, a.pk]  # waiting first, by arrival
    assert room.waiting_count == 2 and room.target == 15


def test_desk_report_median_and_90th_percentile_are_computed_by_hand(org, setup, now):
    """Waits 4, 10, 12, 30 minutes: median = (10+12)/2 = 11; p90 at rank 0.9*3 = 2.7 →
    12 + 0.7*(30-12) = 24.6; over a 15-minute target: 1."""
    receptionist = org.user("receptionist")
    services.waiting_target_set(actor=org.user("office_manager"), location=setup.location, minutes=15)
    for minute, wait in ((0, 4), (5, 10), (10, 12), (15, 30)):
        v = services.visit_walk_in(
            actor=receptionist,
            location=setup.location,
            kind="patient",
            party=setup.patient,
            at=at(TODAY, 9, minute),
        )
        services.visit_set_status(
            actor=receptionist,
            visit=v,
            status="called_in",
            at=at(TODAY, 9, minute) + datetime.timedelta(minutes=wait),
        )
    services.visit_walk_in(
        actor=receptionist, location=setup.location, kind="patient", party=setup.patient, at=at(TODAY, 9, 40)
    )
    report = selectors.desk_report(user=org.user("office_manager"), location=setup.location, day=TODAY)
    assert (report.visits, report.waited, report.over_target) == (5, 4, 1)
    assert report.median_wait == 11.0 and report.p90_wait == 24.6


def test_late_running_practitioners_are_found(org, setup, now):
    a = book(org, setup, 8, resource=setup.dentist)
    b = book(org, setup, 9, resource=setup.dentist)
    c = book(org, setup, 8, resource=setup.hygienist)
    receptionist = org.user("receptionist")
    now.move_to(at(TODAY, 7, 55))
    va = services.visit_check_in(actor=receptionist, appointment=a)
    services.visit_set_status(actor=receptionist, visit=va, status="in_treatment")
    now.move_to(at(TODAY, 8, 50))
    services.visit_check_in(actor=receptionist, appointment=b)
    services.visit_check_in(actor=receptionist, appointment=c)
    now.move_to(at(TODAY, 9, 12))
    room = selectors.waiting_room(user=receptionist, location=setup.location)
    late = {r.name: (r.minutes, r.reason) for r in room.late}
    # Dr Berg: 08:00 check-up ended 08:30, still in treatment at 09:12 → 42 min overrun
    # (more than the 12 min the 09:00 patient waits past start). Hygienist: 08:00 patient waits 72 min.
    assert late == {"Dr Berg": (42, "overrun"), "Hygienist Lund": (72, "waiting")}


def test_walk_in_visitor_notifies_the_host_by_email_and_on_their_badge(
    org, setup, now, django_capture_on_commit_callbacks
):
    host = org.user("office_manager")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        visit = services.visit_walk_in(
            actor=org.user("receptionist"),
            location=setup.location,
            kind="visitor",
            visitor_name="Eva Ek",
            host=host,
            purpose="Supplier meeting",
        )
    assert visit.host_notified_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [host.email]
    assert "Eva E." in mail.outbox[0].body
    assert selectors.host_waiting_count(host) == 1
    assert list(selectors.host_visitors(user=host)) == [visit]


def test_walk_in_needs_a_host_for_a_visitor_and_a_patient_record_for_a_patient(org, setup, now):
    receptionist = org.user("receptionist")
    with pytest.raises(ValidationError) as exc:
        services.visit_walk_in(actor=receptionist, location=setup.location, kind="visitor", visitor_name="X")
    assert exc.value.error_dict["host"][0].code == "required"
    with pytest.raises(ValidationError) as exc:
        services.visit_walk_in(actor=receptionist, location=setup.location, kind="patient")
    assert exc.value.error_dict["party"][0].code == "required"
    with pytest.raises(ValidationError) as exc:
        services.visit_walk_in(
            actor=receptionist, location=setup.location, kind="patient", party=setup.other_patient
        )
    assert exc.value.error_dict["party"][0].code == "unknown_party"
    with pytest.raises(PermissionDenied):
        services.visit_walk_in(
            actor=receptionist, location=setup.other_location, kind="patient", party=setup.patient
        )
    assert Visit.objects.count() == 0
