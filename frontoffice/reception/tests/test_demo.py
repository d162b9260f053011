"""The demo seed goes through the services and can run twice."""

from __future__ import annotations

import pytest

from frontoffice.reception.demo import seed_reception
from frontoffice.reception.models import Complaint, Visit, VisitFeedback
from frontoffice.reception.tests.factories import TODAY, at, book

pytestmark = pytest.mark.django_db


def test_seed_reception_makes_visits_feedback_and_a_complaint_once(org, setup, now):
    book(org, setup, 10)
    now.move_to(at(TODAY, 9, 30))
    users = {"reception": org.user("receptionist"), "office": org.user("office_manager")}
    counts = seed_reception(org.company, users)
    assert counts["visits"] == 3
    assert Visit.objects.filter(status="waiting").count() == 2
    assert VisitFeedback.objects.get().rating == 5
    assert Complaint.objects.get().owner == org.user("office_manager")
    assert seed_reception(org.company, users) == {"visits": 0}
    assert Visit.objects.count() == 3
