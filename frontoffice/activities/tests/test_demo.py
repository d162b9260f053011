"""The demo data of the activities app is made through the services and only once."""

from __future__ import annotations

import pytest

from frontoffice.activities.demo import seed_activities
from frontoffice.activities.models import Activity, EmailTemplate, Meeting, MeetingFeedback
from frontoffice.parties.models import Interaction

pytestmark = pytest.mark.django_db


def test_seeding_twice_makes_the_demo_once(org, customer, south_customer, django_capture_on_commit_callbacks):
    users = {"rep": org.user("rep_north"), "rep2": org.user("rep_south"), "rsm": org.user("rsm_north")}
    with django_capture_on_commit_callbacks(execute=True):
        assert seed_activities(org.company, users) == 9
    assert seed_activities(org.company, users) == 0
    assert EmailTemplate.objects.count() == 2
    assert Meeting.objects.filter(status="held").count() == 1
    assert Meeting.objects.filter(status="planned").count() == 2
    assert MeetingFeedback.objects.get().rating == 5
    assert Activity.objects.filter(kind="task", meeting__isnull=False).count() == 1
    assert Interaction.objects.filter(kind__in=["call", "meeting", "feedback"]).count() == 3
