"""Desk pages: permissions (403), scope (404), one-click check-in, the waiting room partial,
the desk report, constant query counts, and the old complaint addresses (301 to surveys)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from frontoffice.reception import services
from frontoffice.reception.models import Visit
from frontoffice.reception.tests.factories import TODAY, at, book, book_raw
from frontoffice.surveys.services import complaint_create

pytestmark = pytest.mark.django_db

PAGES = [
    "reception:desk",
    "reception:waiting-room",
    "reception:visit-list",
    "reception:walk-in",
    "reception:prospect",
]


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_403_without_the_permission(org, setup, now, client_for, name):
    assert client_for("rep_north").get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", [*PAGES, "reception:report", "reception:settings"])
def test_pages_are_404_for_another_location(org, setup, now, client_for, name):
    client = client_for("office_manager")
    assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse(name), {"location": setup.other_location.pk}).status_code == 404


def test_manager_pages_are_403_for_a_receptionist(org, setup, now, client_for):
    client = client_for("receptionist")
    for name in ("reception:report", "reception:settings", "reception:feedback-list"):
        assert client.get(reverse(name)).status_code == 403


def test_visit_of_another_location_is_404(org, setup, now, client_for):
    visit = services.visit_walk_in(
        actor=org.user("admin"), location=setup.other_location, kind="patient", party=setup.other_patient
    )
    client = client_for("receptionist")
    assert client.get(reverse("reception:visit-detail", args=[visit.pk])).status_code == 404
    assert (
        client.post(reverse("reception:visit-status", args=[visit.pk]), {"status": "done"}).status_code == 404
    )
    other = book_raw(setup, at(TODAY, 9), resource=setup.other_resource, party=setup.other_patient)
    assert client.post(reverse("reception:check-in", args=[other.pk])).status_code == 404
    assert Visit.objects.get(pk=visit.pk).status == "waiting"


def test_desk_checks_in_with_one_click_and_the_row_leaves_todays_list(org, setup, now, client_for):
    appt = book(org, setup, 9)
    book(org, setup, 10, party=setup.patient_en)
    client = client_for("receptionist")
    desk = client.get(reverse("reception:desk")).content.decode()
    assert "Anna Svensson" in desk and "John Smith" in desk
    response = client.post(reverse("reception:check-in", args=[appt.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "ticket 1" in body
    assert "John Smith" in body and body.count('data-testid="arrival-row"') == 1
    assert Visit.objects.get().appointment == appt


def test_desk_search_finds_by_name_and_by_booking_code(org, setup, now, client_for):
    appt = book(org, setup, 9)
    book(org, setup, 10, party=setup.patient_en)
    client = client_for("receptionist")
    body = client.get(reverse("reception:desk"), {"q": "smith"}, HTTP_HX_REQUEST="true").content.decode()
    assert "John Smith" in body and "Anna" not in body
    body = client.get(
        reverse("reception:desk"), {"q": appt.booking_code_display}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Anna Svensson" in body and "John" not in body


def test_waiting_room_partial_updates_with_the_wait_and_never_shows_health_notes(org, setup, now, client_for):
    appt = book(org, setup, 9)
    type(appt).objects.filter(pk=appt.pk).update(health_notes="Allergic to penicillin")
    now.move_to(at(TODAY, 8, 50))
    services.visit_check_in(actor=org.user("receptionist"), appointment=appt)
    client = client_for("receptionist")
    now.move_to(at(TODAY, 9, 20))
    body = client.get(reverse("reception:waiting-room"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in body and 'hx-trigger="every 5s"' in body
    assert 'data-testid="over-target">30 min' in body
    assert "penicillin" not in body
    visit = Visit.objects.get()
    response = client.post(
        reverse("reception:visit-status", args=[visit.pk]), {"status": "called_in"}, HTTP_HX_REQUEST="true"
    )
    assert 'data-status="called_in"' in response.content.decode()


def test_waiting_room_runs_a_constant_number_of_queries(
    org, setup, now, client_for, django_assert_max_num_queries
):
    client = client_for("receptionist")
    receptionist = org.user("receptionist")
    for i in range(8):
        services.visit_walk_in(
            actor=receptionist,
            location=setup.location,
            kind="patient" if i % 2 else "visitor",
            party=setup.patient if i % 2 else None,
            visitor_name="" if i % 2 else f"Guest {i}",
            host=None if i % 2 else org.user("office_manager"),
            at=at(TODAY, 6, i),
        )
    for i in range(4):
        appt = book(org, setup, 9 + i, resource=setup.hygienist)
        services.visit_check_in(actor=receptionist, appointment=appt)
    client.get(reverse("reception:waiting-room"))  # warm caches (session, permissions)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("reception:waiting-room"), HTTP_HX_REQUEST="true")
    assert response.content.decode().count('data-testid="waiting-row"') == 12


def test_desk_report_numbers_link_to_their_records_with_constant_queries(
    org, setup, now, client_for, django_assert_max_num_queries
):
    receptionist = org.user("receptionist")
    for minute in range(6):
        v = services.visit_walk_in(
            actor=receptionist,
            location=setup.location,
            kind="patient",
            party=setup.patient,
            at=at(TODAY, 6, minute),
        )
        services.visit_set_status(actor=receptionist, visit=v, status="called_in", at=at(TODAY, 6, 30))
    complaint_create(
        actor=receptionist,
        desk="reception",
        subject="Waited",
        description="Waited long",
        location=setup.location,
    )
    client = client_for("office_manager")
    client.get(reverse("reception:report"))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("reception:report"), {"day": TODAY.isoformat()})
    body = response.content.decode()
    assert 'data-testid="report-visits" href="/reception/visits/?location=' in body
    assert ">6</a>" in body
    assert "status=unresolved" in body
    # A past day is just another day.
    past = client.get(reverse("reception:report"), {"day": (TODAY - datetime.timedelta(days=3)).isoformat()})
    assert past.status_code == 200


def test_host_sees_their_visitors_and_the_polled_badge(org, setup, now, client_for):
    services.visit_walk_in(
        actor=org.user("receptionist"),
        location=setup.location,
        kind="visitor",
        visitor_name="Eva Ek",
        host=org.user("rep_north"),
    )
    client = client_for("rep_north")
    badge = client.get(reverse("reception:my-visitors-badge"), HTTP_HX_REQUEST="true").content.decode()
    assert "1 visitor waiting for you" in badge and "every 10s" in badge
    assert "Eva Ek" in client.get(reverse("reception:my-visitors")).content.decode()
    assert "visitor-badge" in client.get("/").content.decode()
    assert "Eva Ek" not in client_for("clerk").get(reverse("reception:my-visitors")).content.decode()


def test_walk_in_page_registers_a_visitor_for_a_host(org, setup, now, client_for):
    client = client_for("receptionist")
    response = client.post(
        reverse("reception:walk-in"),
        {"kind": "visitor", "visitor_name": "Eva Ek", "host": org.user("rep_north").pk, "purpose": "Meeting"},
    )
    assert response.status_code == 302
    assert Visit.objects.get().host == org.user("rep_north")
    response = client.post(reverse("reception:walk-in"), {"kind": "visitor", "visitor_name": "No Host"})
    assert response.status_code == 200 and "Choose the host" in response.content.decode()


def test_kiosk_settings_show_the_secret_url_once_and_revoke(org, setup, now, client_for):
    client = client_for("office_manager")
    response = client.post(
        reverse("reception:settings"), {"action": "kiosk", "name": "Tablet", "screen_shows": "tickets"}
    )
    body = response.content.decode()
    assert 'data-testid="kiosk-url"' in body
    from frontoffice.reception.models import Kiosk

    kiosk = Kiosk.objects.get()
    assert client.get(reverse("reception:settings")).content.decode().count("/k/") == 0
    client.post(reverse("reception:settings"), {"action": "revoke", "kiosk": kiosk.pk})
    kiosk.refresh_from_db()
    assert kiosk.revoked_at is not None


def test_visit_exports_are_formula_safe_and_scoped(org, setup, now, client_for):
    receptionist = org.user("receptionist")
    services.visit_walk_in(
        actor=receptionist,
        location=setup.location,
        kind="visitor",
        visitor_name="=HYPERLINK(1)",
        host=org.user("office_manager"),
    )
    client = client_for("receptionist")
    visits = client.get(reverse("reception:visit-list"), {"format": "csv"})
    assert visits["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK(1)" in visits.content.decode("utf-8-sig")
    other = {"format": "csv", "location": setup.other_location.pk}
    assert client.get(reverse("reception:visit-list"), other).status_code == 404
    assert client_for("rep_north").get(reverse("reception:visit-list"), {"format": "csv"}).status_code == 403


# ---------------------------------------------------------------- complaints moved to surveys


def test_the_visit_page_logs_a_complaint_about_the_visit_on_the_complaints_page(org, setup, now, client_for):
    visit = services.visit_walk_in(
        actor=org.user("receptionist"), location=setup.location, kind="patient", party=setup.patient
    )
    client = client_for("receptionist")
    body = client.get(reverse("reception:visit-detail", args=[visit.pk])).content.decode()
    link = (
        f'href="{reverse("surveys:complaint-create")}?desk=reception&amp;channel=in_person'
        f"&amp;location={setup.location.pk}&amp;about=reception.visit:{visit.pk}&amp;party={setup.patient.pk}"
    )
    assert 'data-testid="visit-complaint"' in body and link in body
    tabs = client.get(reverse("reception:desk")).content.decode()
    assert f"{reverse('surveys:complaint-list')}?desk=reception&amp;location={setup.location.pk}" in tabs


def test_old_complaint_addresses_redirect_permanently_to_the_surveys_pages(org, setup, now, client_for):
    client = client_for("receptionist")
    response = client.get("/reception/complaints/", {"location": setup.location.pk, "status": "unresolved"})
    assert response.status_code == 301
    assert response["Location"] == (
        f"/surveys/complaints/?desk=reception&location={setup.location.pk}&status=unresolved"
    )
    response = client.get(
        "/reception/complaints/new/", {"location": setup.location.pk, "visit": "7", "party": "3"}
    )
    assert response.status_code == 301
    assert response["Location"] == (
        f"/surveys/complaints/new/?desk=reception&channel=in_person&location={setup.location.pk}"
        "&party=3&about=reception.visit%3A7"
    )
    # Signed out: the login page first, as before.
    assert Client().get("/reception/complaints/").status_code == 302


def test_an_old_complaint_address_finds_the_moved_complaint_in_scope_only(org, setup, now, client_for):
    from frontoffice.surveys.models import Complaint

    here = complaint_create(
        actor=org.user("receptionist"),
        desk="reception",
        subject="Here",
        description="x",
        location=setup.location,
    )
    there = complaint_create(
        actor=org.user("admin"),
        desk="reception",
        subject="There",
        description="x",
        location=setup.other_location,
    )
    # As the migration leaves them: reception's old ids 5 and 6.
    Complaint.objects.filter(pk=here.pk).update(moved_from="reception.complaint:5")
    Complaint.objects.filter(pk=there.pk).update(moved_from="reception.complaint:6")
    client = client_for("receptionist")
    response = client.get("/reception/complaints/5/")
    assert response.status_code == 301 and response["Location"] == reverse(
        "surveys:complaint-detail", args=[here.pk]
    )
    assert client.get("/reception/complaints/6/").status_code == 404  # another location
    assert client.get("/reception/complaints/7/").status_code == 404  # never existed
    assert client_for("admin").get("/reception/complaints/6/").status_code == 301
