"""The measures a course can target are the measures insights defines: ``nps`` included, with
its real provider, so a receptionist whose customers would not recommend the company gets the
course recommended to their manager."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from frontoffice.training import recommendations, services
from frontoffice.training.forms import CourseForm

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 4, 15, 10, 0, tzinfo=datetime.UTC)


def test_every_insights_measure_can_be_targeted_by_a_course():
    from frontoffice.insights.measures import MEASURE_KEYS as INSIGHTS

    assert "nps" in recommendations.MEASURE_KEYS
    assert set(INSIGHTS) == set(recommendations.MEASURE_KEYS)
    assert ("nps", "nps") in CourseForm().fields["measures"].choices


def test_a_course_can_target_nps_and_an_unknown_measure_is_refused(org):
    course = services.course_create(
        actor=org.user("office_manager"), slug="recommend-us", title_en="Worth recommending", measures=["nps"]
    )
    assert course.measures == ["nps"]
    with pytest.raises(services.ValidationError) as exc:
        services.course_update(
            actor=org.user("office_manager"), course=course, data={"measures": ["net_score"]}
        )
    assert exc.value.error_dict["measures"][0].code == "unknown_measure"
    course.refresh_from_db()
    assert course.measures == ["nps"]


def test_a_lagging_nps_recommends_the_course_that_targets_it(training, org):
    """Two detractors and one passive give the receptionist an NPS of -66.7 (target 30) through
    insights' real provider: the office manager is recommended the course that targets NPS;
    the other company's clerk, who cannot reach the receptionist, is not."""
    from frontoffice.parties.tests.factories import make_party
    from frontoffice.surveys.models import SurveyRequest

    course = services.course_update(
        actor=org.user("office_manager"), course=training.course, data={"measures": ["nps"]}
    )
    receptionist = org.user("receptionist")
    party = make_party(org.user("admin"), first_name="Nils", last_name="Nord", location=org.clinic)
    answered = datetime.datetime(2026, 4, 10, 12, 0, tzinfo=datetime.UTC)
    for n, score in enumerate((2, 6, 8)):
        SurveyRequest.objects.create(
            legal_entity=org.company,
            kind="nps",
            trigger="reception.visit_completed",
            party=party,
            concerns=f"reception.visit:{n}",
            staff_user=receptionist,
            location=org.clinic,
            region=org.north,
            recipient="nils@example.com",
            token_hash=f"{n:064d}",
            sent_at=answered - datetime.timedelta(days=1),
            expires_at=answered + datetime.timedelta(days=13),
            answered_at=answered,
            score=score,
        )
    provider = recommendations.measure_provider("nps")
    assert provider is not None
    april = (datetime.date(2026, 4, 1), datetime.date(2026, 5, 1))
    assert provider(receptionist, *april) == (Decimal("-66.7"), Decimal("30"), "higher")
    with time_machine.travel(NOW, tick=False):
        recs = recommendations.recommendations_for(
            user=org.user("office_manager"), start=april[0], end=april[1]
        )
        other = recommendations.recommendations_for(
            user=org.user("other_clerk"), start=april[0], end=april[1]
        )
    assert [(r.person.user.username, r.course.slug, r.measure, r.value) for r in recs] == [
        ("receptionist", "desk-basics", "nps", Decimal("-66.7"))
    ]
    assert course.measures == ["nps"]
    assert other == []
