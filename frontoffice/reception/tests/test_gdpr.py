"""GDPR: export of visits and feedback; erasure keeps patient visits (10 years) and anonymises
feedback comments; the customer-page panel. (The desk's complaints are surveys': its handler
exports and erases them, see ``surveys/tests/test_reception_complaints.py``.)"""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontoffice.core.registry import registry
from frontoffice.reception import services
from frontoffice.reception.models import Visit, VisitFeedback
from frontoffice.reception.tests.factories import TODAY, at, book

pytestmark = pytest.mark.django_db


def _handler():
    return next(h for h in registry.personal_data if h.key == "reception")


@pytest.fixture
def history(org, setup, now):
    receptionist = org.user("receptionist")
    appt = book(org, setup, 9)
    now.move_to(at(TODAY, 8, 50))
    visit = services.visit_check_in(actor=receptionist, appointment=appt)
    services.visit_set_status(actor=receptionist, visit=visit, status="done")
    VisitFeedback.objects.filter(visit=visit).delete()
    link = services.feedback_request(visit=visit)
    services.feedback_submit(
        token=link.token, rating=2, comment="The receptionist called me Anna Svensson loudly"
    )
    return visit


def test_export_lists_visits_and_feedback(setup, history):
    data = _handler().export(setup.patient)
    assert data["visits"][0]["ticket_number"] == 1
    assert data["visit_feedback"][0]["rating"] == 2
    assert "complaints" not in data  # surveys' handler has them
    assert _handler().count(setup.patient) == 1


def test_erasure_keeps_patient_visits_and_says_why(org, setup, history):
    assert "10 years" in str(_handler().kept_reason)
    _handler().erase(setup.patient, org.user("admin"))
    assert Visit.objects.filter(party=setup.patient).count() == 1
    feedback = VisitFeedback.objects.get()
    assert feedback.rating == 2 and feedback.comment == "" and feedback.recipient == "erased@invalid"


def test_customer_page_panel_shows_visits_in_scope_only(org, setup, history, client_for):
    url = reverse("parties:party-detail", args=[setup.patient.pk])
    body = client_for("receptionist").get(url).content.decode()
    assert 'data-testid="party-panel-reception"' in body
    assert reverse("reception:visit-detail", args=[history.pk]) in body
    body = client_for("rep_north").get(url).content.decode()
    assert 'data-testid="party-panel-reception"' not in body
