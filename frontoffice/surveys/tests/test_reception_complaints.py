"""The reception desk's complaints in the one complaint model: logged about a visit (the
generic reference), scoped to the receptionist's location on every way in (list, detail, export,
API, search), the location filter, exports that no spreadsheet runs, and constant query counts.
(Moved here from reception's tests when its own complaints log was merged in.)"""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from frontoffice.appointments.tests.factories import NOW, clinic_setup
from frontoffice.core.models import AuditEntry
from frontoffice.parties.models import Party
from frontoffice.reception import services as reception
from frontoffice.surveys import selectors, services
from frontoffice.surveys.models import Complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(org: Any) -> Any:
    """The North clinic (another location beside it), reception's test set-up, at a pinned time."""
    with time_machine.travel(NOW, tick=False):
        yield clinic_setup(org)


@pytest.fixture
def visit(org, setup):
    """Anna's walk-in at the North clinic, checked in by the receptionist."""
    return reception.visit_walk_in(
        actor=org.user("receptionist"), location=setup.location, kind="patient", party=setup.patient
    )


def log(org, actor: str, location, text: str = "Waited long", **fields):
    fields.setdefault("desk", "reception")
    return services.complaint_create(
        actor=org.user(actor), subject=text, description=text, location=location, **fields
    )


def test_a_complaint_about_a_visit_takes_its_location_and_customer_and_names_it(org, setup, visit):
    complaint = services.complaint_create(
        actor=org.user("receptionist"),
        desk="reception",
        channel="in_person",
        subject="Rude on the phone",
        description="Rude on the phone",
        about=visit,
        owner=org.user("office_manager"),
    )
    complaint.refresh_from_db()
    assert (complaint.location, complaint.region, complaint.legal_entity) == (
        setup.location,
        org.north,
        org.company,
    )
    assert complaint.party == setup.patient
    assert (complaint.about_key, complaint.about_label) == (f"reception.visit:{visit.pk}", str(visit))
    assert complaint.about == visit
    assert complaint.status == "in_progress"
    entry = AuditEntry.objects.get(action="surveys.complaint.created", object_id=str(complaint.pk))
    assert entry.changes["about"] == [None, f"reception.visit:{visit.pk}"]


def test_about_must_be_a_scoped_record_the_actor_sees_at_the_chosen_location(org, setup, visit):
    elsewhere = reception.visit_walk_in(
        actor=org.user("admin"), location=setup.other_location, kind="patient", party=setup.other_patient
    )
    before = Complaint.objects.count()
    with pytest.raises(ValidationError) as exc:
        log(org, "receptionist", setup.location, about=elsewhere)  # another location's visit
    assert exc.value.error_dict["about"][0].code == "unknown_about"
    with pytest.raises(ValidationError) as exc:
        log(org, "admin", setup.other_location, about=visit)  # seen, but at another location
    assert exc.value.error_dict["about"][0].code == "about_elsewhere"
    with pytest.raises(ValidationError) as exc:
        log(org, "admin", setup.location, about=org.user("rep_north"))  # no scope rule: never
    assert exc.value.error_dict["about"][0].code == "unknown_about"
    assert Complaint.objects.count() == before


def test_the_visit_link_opens_a_prefilled_form_and_registers_the_desk_complaint(
    org, setup, visit, client_for
):
    client = client_for("receptionist")
    query = {
        "desk": "reception",
        "channel": "in_person",
        "location": setup.location.pk,
        "about": f"reception.visit:{visit.pk}",
        "party": setup.patient.pk,
    }
    page = client.get(reverse("surveys:complaint-create"), query).content.decode()
    assert 'data-testid="complaint-about"' in page
    assert f'href="{reverse("reception:visit-detail", args=[visit.pk])}"' in page
    response = client.post(
        reverse("surveys:complaint-create"),
        {
            **query,
            "subject": "Waited 40 minutes",
            "description": "Nobody told her why.",
            "deadline": "2026-12-04",
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == complaint.get_absolute_url()
    assert (complaint.desk, complaint.channel, complaint.location, complaint.party) == (
        "reception",
        "in_person",
        setup.location,
        setup.patient,
    )
    assert complaint.about_key == f"reception.visit:{visit.pk}"
    detail = client.get(complaint.get_absolute_url()).content.decode()
    assert f'href="{reverse("reception:visit-detail", args=[visit.pk])}">{visit}</a>' in detail
    # Another location's visit in the link: refused, nothing registered.
    elsewhere = reception.visit_walk_in(
        actor=org.user("admin"), location=setup.other_location, kind="patient", party=setup.other_patient
    )
    refused = client.post(
        reverse("surveys:complaint-create"),
        {**query, "about": f"reception.visit:{elsewhere.pk}", "subject": "x", "description": "y"},
    )
    assert refused.status_code == 200 and Complaint.objects.count() == 1


def test_a_receptionist_sees_only_her_locations_complaints_everywhere(org, setup, client_for):
    here = log(org, "receptionist", setup.location, "Cold room")
    there = log(org, "admin", setup.other_location, "Parking")
    unplaced = services.complaint_create(
        actor=org.user("admin"), desk="finance", subject="Invoice", description="x"
    )
    receptionist = org.user("receptionist")
    assert list(selectors.complaint_list(user=receptionist)) == [here]
    client = client_for("receptionist")
    listing = client.get(reverse("surveys:complaint-list")).content.decode()
    assert "Cold room" in listing and "Parking" not in listing
    for other in (there, unplaced):
        assert client.get(other.get_absolute_url()).status_code == 404
        assert client.get(f"/api/v1/surveys/complaints/{other.pk}/").status_code == 404
    assert [r["id"] for r in client.get("/api/v1/surveys/complaints/").json()["results"]] == [here.pk]
    csv = client.get(reverse("surveys:complaint-list"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "Cold room" in csv and "Parking" not in csv
    # Another location in the filter is 404, as on the desk's pages.
    assert (
        client.get(reverse("surveys:complaint-list"), {"location": setup.other_location.pk}).status_code
        == 404
    )
    # The clinic's office manager alike; a resolve on another location's complaint is 404.
    assert list(selectors.complaint_list(user=org.user("office_manager"))) == [here]
    assert (
        client_for("receptionist")
        .post(there.get_absolute_url(), {"action": "resolve", "resolution": "x"})
        .status_code
        == 404
    )


def test_the_list_filters_by_desk_and_location_and_exports_formula_safe(org, setup, client_for):
    log(org, "receptionist", setup.location, "+cmd|calc")
    log(org, "receptionist", setup.location, "Invoice twice", desk="finance")
    log(org, "admin", setup.other_location, "Parking")
    client = client_for("admin")
    query = {"desk": "reception", "location": setup.location.pk}
    rows = client.get(reverse("surveys:complaint-list"), query).content.decode()
    assert rows.count('data-testid="complaint-row"') == 1 and "+cmd|calc" in rows
    api = client.get(
        "/api/v1/surveys/complaints/", {"desk": "reception", "location": setup.location.pk}
    ).json()
    assert [r["subject"] for r in api["results"]] == ["+cmd|calc"]
    csv = client.get(reverse("surveys:complaint-list"), {**query, "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode("utf-8-sig")
    assert "'+cmd|calc" in body and "Parking" not in body and "Invoice twice" not in body
    xlsx = client.get(reverse("surveys:complaint-list"), {**query, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).active
    cell = sheet.cell(row=2, column=5)
    assert (cell.value, cell.data_type) == ("+cmd|calc", "s")  # text, never a formula


def test_the_api_logs_a_complaint_about_a_visit(org, setup, visit, client_for):
    client = client_for("receptionist")
    created = client.post(
        "/api/v1/surveys/complaints/",
        {"desk": "reception", "channel": "in_person", "subject": "Long wait", "description": "x",
         "about": f"reception.visit:{visit.pk}"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["about"], body["about_label"], body["location"]["id"], body["party"]["id"]) == (
        f"reception.visit:{visit.pk}",
        str(visit),
        setup.location.pk,
        setup.patient.pk,
    )
    unknown = client.post(
        "/api/v1/surveys/complaints/",
        {"desk": "reception", "subject": "x", "description": "y", "about": "org.user:1"},
        content_type="application/json",
    )
    assert unknown.status_code == 400 and Complaint.objects.count() == 1


def test_the_customer_page_lists_their_complaints_in_scope(org, setup, client_for):
    log(org, "receptionist", setup.location, "Cold room", party=setup.patient)
    url = reverse("parties:party-detail", args=[setup.patient.pk])
    body = client_for("receptionist").get(url).content.decode()
    assert 'data-testid="party-panel-complaints"' in body and "Cold room" in body
    # Out of scope: another region's rep (own scope: owned complaints and their region's
    # unowned ones), another company's clerk.
    for persona in ("rep_south", "other_clerk"):
        page = client_for(persona).get(url)
        assert 'data-testid="party-panel-complaints"' not in page.content.decode()


def test_the_list_of_desk_complaints_runs_a_constant_number_of_queries(
    org, setup, visit, client_for, django_assert_max_num_queries
):
    for i in range(6):
        log(org, "receptionist", setup.location, f"Complaint {i}", party=setup.patient, about=visit,
            owner=org.user("office_manager"))  # fmt: skip
    client = client_for("receptionist")
    query = {"desk": "reception", "location": setup.location.pk}
    client.get(reverse("surveys:complaint-list"), query)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("surveys:complaint-list"), query)
    assert response.content.decode().count('data-testid="complaint-row"') == 6


def test_a_rep_picks_up_unowned_complaints_of_the_region_but_never_a_clinics(org, setup, client_for):
    """Unowned sales-desk complaints of a region wait for its reps; other desks' do not: a
    patient's complaint at the North clinic is the clinic's business, not the sales desk's."""
    at_clinic = log(org, "receptionist", setup.location, "Cold room")
    buyer = Party.objects.create(
        kind="company", display_name="Norrbygg AB", legal_entity=org.company, region=org.north
    )
    for_sales = services.complaint_create(
        actor=org.user("rsm_north"), desk="sales", subject="Late quote", description="x", party=buyer
    )
    assert (for_sales.region, for_sales.location, for_sales.owner) == (org.north, None, None)
    rep = org.user("rep_north")
    assert list(selectors.complaint_list(user=rep)) == [for_sales]
    client = client_for("rep_north")
    assert client.get(at_clinic.get_absolute_url()).status_code == 404
    assert client.get(f"/api/v1/surveys/complaints/{at_clinic.pk}/").status_code == 404
    assert [r["id"] for r in client.get("/api/v1/surveys/complaints/").json()["results"]] == [for_sales.pk]
    # Once the complaint is the rep's own, wherever it is placed, the rep sees it.
    owned = log(org, "receptionist", setup.location, "Called back", owner=rep)
    assert owned in selectors.complaint_list(user=rep)
