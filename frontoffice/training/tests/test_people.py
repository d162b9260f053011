"""Assignments, reminders, renewals, observations, coaching scoping, recommendations and
effectiveness (fake measure providers on hand-made histories)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from frontoffice.org.models import Role, Staff, User
from frontoffice.training import recommendations, selectors, services
from frontoffice.training.default_rubrics import install_default_rubrics
from frontoffice.training.models import Assignment, Certificate, CoachingAction, Observation, Rubric
from frontoffice.training.tests.conftest import complete

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


# --- assignments ---------------------------------------------------------------------------


def test_assign_to_inactive_person_is_refused_and_nothing_saved(training, org):
    rep = training.staff["rep_north"]
    rep.active = False
    rep.save(update_fields=["active"])
    with pytest.raises(ValidationError) as exc:
        services.course_assign(
            actor=org.user("nsm"), course=training.course, people=[training.staff["rep_south"], rep]
        )
    assert exc.value.error_dict["people"][0].code == "inactive_person"
    assert not Assignment.objects.exists()


def test_assign_to_a_role_within_scope_and_no_duplicates(training, org):
    role = Role.objects.get(code="sales_rep")
    created = services.course_assign(actor=org.user("rsm_north"), course=training.course, role=role)
    assert [a.person.user.username for a in created] == ["rep_north"]  # rep_south is outside North
    assert services.course_assign(actor=org.user("rsm_north"), course=training.course, role=role) == []
    with pytest.raises(ValidationError) as exc:
        services.course_assign(
            actor=org.user("rsm_north"), course=training.course, people=[training.staff["rep_south"]]
        )
    assert exc.value.error_dict["people"][0].code == "out_of_scope"
    with pytest.raises(PermissionDenied):
        services.course_assign(
            actor=org.user("receptionist"), course=training.course, people=[training.staff["receptionist"]]
        )


def test_assign_to_a_team_takes_its_active_members_with_the_due_date(training, org):
    from frontoffice.org.models import Team

    team = Team.objects.create(location=org.clinic, name="Front line")
    Staff.objects.filter(pk__in=[training.staff["rep_north"].pk, training.staff["rep_south"].pk]).update(
        team=team
    )
    Staff.objects.filter(pk=training.staff["rep_south"].pk).update(active=False)
    due = timezone.localdate() + datetime.timedelta(days=30)
    created = services.course_assign(actor=org.user("nsm"), course=training.course, team=team, due_on=due)
    assert [(a.person.user.username, a.due_on) for a in created] == [("rep_north", due)]
    assert Assignment.objects.count() == 1


def test_reminders_before_and_after_due_date_are_sent_once(training, org, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime.datetime(2026, 5, 1, 8, tzinfo=UTC)):
        services.course_assign(
            actor=org.user("office_manager"),
            course=training.course,
            people=[training.staff["receptionist"]],
            due_on=datetime.date(2026, 5, 20),
        )
    mail.outbox.clear()

    def send(day):
        with django_capture_on_commit_callbacks(execute=True):
            return services.reminders_send(today=day)

    assert send(datetime.date(2026, 5, 10)) == {"before": 0, "after": 0}
    assert send(datetime.date(2026, 5, 14)) == {"before": 1, "after": 0}
    assert send(datetime.date(2026, 5, 15)) == {"before": 0, "after": 0}
    assert [m.to for m in mail.outbox] == [["receptionist@example.com"]]
    assert send(datetime.date(2026, 5, 21)) == {"before": 0, "after": 1}
    assert send(datetime.date(2026, 5, 22)) == {"before": 0, "after": 0}
    assert [m.to for m in mail.outbox][1:] == [["receptionist@example.com"], ["office_manager@example.com"]]


def test_certificate_expiry_and_renewal_assignment(training, org):
    learner = org.user("receptionist")
    with time_machine.travel(datetime.datetime(2026, 1, 10, 9, tzinfo=UTC)):
        first = services.course_assign(
            actor=org.user("office_manager"), course=training.course, people=[training.staff["receptionist"]]
        )[0]
        complete(training.course, learner, first)
    cert = Certificate.objects.get(assignment=first)
    assert cert.expires_on == datetime.date(2027, 1, 10)
    assert services.certificates_renew(today=datetime.date(2026, 10, 1)) == 0  # more than 60 days left
    assert services.certificates_renew(today=datetime.date(2026, 11, 20)) == 1
    assert services.certificates_renew(today=datetime.date(2026, 11, 21)) == 0  # idempotent
    renewal = Assignment.objects.get(source="renewal")
    assert renewal.person == training.staff["receptionist"] and renewal.due_on == datetime.date(2027, 1, 10)
    cert.refresh_from_db()
    assert cert.renewal == renewal
    with time_machine.travel(datetime.datetime(2027, 1, 5, 9, tzinfo=UTC)):
        complete(training.course, learner, renewal)
    assert Certificate.objects.get(assignment=renewal).expires_on == datetime.date(2028, 1, 5)


def test_daily_command_runs(training, org, capsys):
    from django.core.management import call_command

    call_command("training_daily")
    assert "renewals assigned: 0" in capsys.readouterr().out


# --- observations --------------------------------------------------------------------------


@pytest.fixture
def rubric(org):
    install_default_rubrics()
    return Rubric.objects.get(code="greeting-at-the-desk")


def _scores(rubric, values):
    return dict(zip([c.pk for c in rubric.criteria.order_by("position")], values, strict=True))


def test_observation_record_acknowledge_and_trends(training, org, rubric):
    manager, person = org.user("office_manager"), training.staff["receptionist"]
    with time_machine.travel(datetime.datetime(2026, 2, 1, 9, tzinfo=UTC)):
        first = services.observation_record(
            actor=manager, person=person, rubric=rubric, scores=_scores(rubric, [2, 2, 3, 1])
        )
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, tzinfo=UTC)):
        services.observation_record(
            actor=manager,
            person=person,
            rubric=rubric,
            scores=_scores(rubric, [4, 3, 3, 3]),
            comments="Better",
        )
    assert first.score_percent == Decimal("50.00")  # 8 of 16 points
    trends = selectors.criterion_trends(person=person, rubric=rubric)
    assert [r["values"] for r in trends["rows"]] == [[2, 4], [2, 3], [3, 3], [1, 3]]
    assert [r["change"] for r in trends["rows"]] == [2, 1, 0, 2]
    with pytest.raises(PermissionDenied):
        services.observation_acknowledge(actor=manager, observation=first)
    services.observation_acknowledge(actor=org.user("receptionist"), observation=first, comment="Thanks")
    first.refresh_from_db()
    assert first.acknowledged_at is not None and first.person_comment == "Thanks"


def test_observation_bad_input_and_scope(training, org, rubric):
    with pytest.raises(ValidationError) as exc:
        services.observation_record(
            actor=org.user("office_manager"),
            person=training.staff["receptionist"],
            rubric=rubric,
            scores=_scores(rubric, [5, 1, 1, 1]),
        )
    assert next(iter(exc.value.error_dict.values()))[0].code == "score_range"
    with pytest.raises(PermissionDenied):  # rep_north is not at the office manager's clinic
        services.observation_record(
            actor=org.user("office_manager"),
            person=training.staff["rep_north"],
            rubric=rubric,
            scores=_scores(rubric, [1, 1, 1, 1]),
        )
    assert not Observation.objects.exists()


def test_person_sees_own_observation_not_a_peers(training, org, rubric, client_for):
    obs = services.observation_record(
        actor=org.user("rsm_north"),
        person=training.staff["rep_north"],
        rubric=rubric,
        scores=_scores(rubric, [3, 3, 3, 3]),
    )
    url = reverse("training:observation", args=[obs.pk])
    assert client_for("rep_north").get(url).status_code == 200
    assert client_for("rep_south").get(url).status_code == 404
    assert client_for("office_manager").get(url).status_code == 404
    response = client_for("rep_north").post(
        reverse("api:training-observation-acknowledge", args=[obs.pk]),
        {"comment": "ok"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["acknowledged_at"]


# --- coaching ------------------------------------------------------------------------------


@pytest.fixture
def coaching(training, org):
    """rsm_north's one-to-one with rep_north; rsm_south manages South (not rep_north's line)."""
    user = User.objects.create_user(
        username="rsm_south", email="rsm_south@example.com", password="x", first_name="Rsm", last_name="South"
    )
    Staff.objects.create(
        user=user,
        legal_entity=org.company,
        role=Role.objects.get(code="regional_sales_manager"),
        home_region=org.south,
        supervisor=training.staff["nsm"],
    )
    org.people["rsm_south"] = user
    note = services.coaching_note_create(
        actor=org.user("rsm_north"),
        person=training.staff["rep_north"],
        held_on=datetime.date(2026, 4, 2),
        notes="Private: work on discovery questions.",
        actions=[("Shadow two calls", datetime.date(2026, 4, 30))],
    )
    return note


LINE = {"rep_north", "rsm_north", "nsm"}
OUTSIDE = {
    "rep_south",
    "rsm_south",
    "office_manager",
    "admin",
    "finance_manager",
    "clerk",
    "auditor",
    "receptionist",
}


def test_coaching_only_the_line_writes(training, org, coaching):
    for name in ("admin", "office_manager", "rep_south", "rep_north"):
        with pytest.raises(PermissionDenied):
            services.coaching_note_create(
                actor=org.user(name),
                person=training.staff["rep_north"],
                held_on=datetime.date(2026, 4, 3),
                notes="x",
            )
    # The line reaches up the chain: the national manager may write too.
    services.coaching_note_create(
        actor=org.user("nsm"),
        person=training.staff["rep_north"],
        held_on=datetime.date(2026, 4, 3),
        notes="Skip-level",
    )


def test_coaching_never_visible_outside_the_line_in_ui(training, org, coaching, client_for):
    url = reverse("training:person", args=[training.staff["rep_north"].pk])
    for name in ("rsm_north", "nsm"):
        assert "Private: work on discovery" in client_for(name).get(url).content.decode(), name
    for name in OUTSIDE:
        response = client_for(name).get(url)
        assert response.status_code in (200, 403, 404), name
        assert "Private: work on discovery" not in response.content.decode(), name
    # The person sees their agreed action on their own page.
    assert "Shadow two calls" in client_for("rep_north").get(reverse("training:my")).content.decode()


def test_coaching_never_visible_outside_the_line_in_api(training, org, coaching, client_for):
    action = CoachingAction.objects.get()
    url = reverse("api:training-coaching-action-list")
    for name in LINE:
        assert [a["id"] for a in client_for(name).get(url).json()["results"]] == [action.pk], name
    for name in OUTSIDE:
        assert client_for(name).get(url).json()["results"] == [], name
        done = client_for(name).post(
            reverse("api:training-coaching-action-done", args=[action.pk]),
            {},
            content_type="application/json",
        )
        assert done.status_code == 404, name
    done = client_for("rep_north").post(
        reverse("api:training-coaching-action-done", args=[action.pk]), {}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["done_at"]


def test_coaching_never_reaches_search_gdpr_exports_or_the_admin_site(training, org, coaching, client_for):
    """Coaching is in no search provider, no party's personal-data export and not in the Django
    admin: even a party sharing the coached person's name and e-mail exports none of it."""
    import json

    from django.contrib import admin

    from frontoffice.core.selectors import global_search
    from frontoffice.parties.services import party_export_personal_data
    from frontoffice.parties.tests.factories import make_party
    from frontoffice.training.models import CoachingNote

    for name in LINE | OUTSIDE:
        for query in ("discovery", "Shadow two calls"):
            hits = json.dumps(global_search(user=org.user(name), query=query), default=str)
            assert "discovery" not in hits and "Shadow" not in hits, name
        page = client_for(name).get(reverse("core:search"), {"q": "discovery"})
        assert "Private: work on discovery" not in page.content.decode(), name
    rep = org.user("rep_north")
    party = make_party(org.user("admin"), first_name=rep.first_name, last_name=rep.last_name, email=rep.email)
    exported = json.dumps(party_export_personal_data(actor=org.user("admin"), party=party), default=str)
    assert "discovery" not in exported and "Shadow two calls" not in exported
    assert CoachingNote not in admin.site._registry and CoachingAction not in admin.site._registry


# --- recommendations and effectiveness -----------------------------------------------------


class History:
    """A fake measure: dated values per user; the value for a period is their mean."""

    def __init__(
        self, points: dict[str, list[tuple[datetime.date, float]]], org, target=None, direction="higher"
    ):
        self.points = {org.people[name].pk: rows for name, rows in points.items()}
        self.target, self.direction = target, direction

    def __call__(self, user, start, end):
        values = [v for d, v in self.points.get(user.pk, []) if start <= d < end]
        value = Decimal(str(sum(values) / len(values))).quantize(Decimal("0.01")) if values else None
        return value, self.target, self.direction


@pytest.fixture
def csat(monkeypatch):
    """Only the fake providers of the test (other apps may register real measures)."""
    monkeypatch.setattr(recommendations, "_providers", {})


def test_recommendation_triggers_when_a_measure_lags_over_the_period(training, org, csat, client_for):
    d = datetime.date
    history = History(
        {
            # Fine in February, lagging in April.
            "receptionist": [
                (d(2026, 2, 3), 4.6),
                (d(2026, 2, 20), 4.4),
                (d(2026, 4, 2), 3.6),
                (d(2026, 4, 20), 3.9),
            ],
        },
        org,
        target=Decimal("4.2"),
    )
    recommendations.register_measure_provider("csat", history)
    manager = org.user("office_manager")
    assert recommendations.recommendations_for(user=manager, start=d(2026, 2, 1), end=d(2026, 3, 1)) == []
    recs = recommendations.recommendations_for(user=manager, start=d(2026, 4, 1), end=d(2026, 5, 1))
    assert [(r.person.user.username, r.course.slug, r.measure, r.value) for r in recs] == [
        ("receptionist", "desk-basics", "csat", Decimal("3.75"))
    ]
    # A manager of the other company does not get it: the receptionist is outside their reach.
    assert (
        recommendations.recommendations_for(
            user=org.user("other_clerk"), start=d(2026, 4, 1), end=d(2026, 5, 1)
        )
        == []
    )

    # One action: the manager assigns it; then it is no longer recommended.
    with time_machine.travel(datetime.datetime(2026, 5, 1, 9, tzinfo=UTC)):
        response = client_for("office_manager").post(
            reverse("training:recommendation-assign"),
            {"person": training.staff["receptionist"].pk, "course": training.course.pk},
        )
    assert response.status_code == 302
    assert Assignment.objects.get().source == "recommendation"
    assert recommendations.recommendations_for(user=manager, start=d(2026, 4, 1), end=d(2026, 5, 1)) == []


def test_lower_is_better_measures():
    assert recommendations.lags(Decimal("30"), Decimal("20"), "lower")
    assert not recommendations.lags(Decimal("10"), Decimal("20"), "lower")
    assert not recommendations.lags(None, Decimal("20"), "lower")


def test_effectiveness_on_a_hand_computed_fixture(training, org, csat):
    d = datetime.date
    history = History(
        {
            "receptionist": [
                (d(2026, 1, 15), 3.0),
                (d(2026, 2, 15), 4.0),
                (d(2026, 3, 15), 4.5),
                (d(2026, 4, 15), 5.0),
            ],
            "rep_north": [(d(2026, 2, 1), 3.0), (d(2026, 4, 1), 3.5)],
            "clerk": [(d(2026, 2, 1), 4.0), (d(2026, 4, 1), 4.0)],
            "auditor": [(d(2026, 2, 1), 2.0)],  # nothing after: left out of the sample
        },
        org,
        target=Decimal("4.2"),
    )
    recommendations.register_measure_provider("csat", history)
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, tzinfo=UTC)):
        assignment = services.course_assign(
            actor=org.user("office_manager"), course=training.course, people=[training.staff["receptionist"]]
        )[0]
        complete(training.course, org.user("receptionist"), assignment)
    people = Staff.objects.filter(user__username__in=["receptionist", "rep_north", "clerk", "auditor"])
    (effect,) = recommendations.effectiveness(user=org.user("nsm"), course=training.course, people=people)
    assert effect.measure == "csat" and effect.direction == "higher"
    assert (effect.completed.n, effect.completed.before, effect.completed.after) == (
        1,
        Decimal("3.50"),
        Decimal("4.75"),
    )
    assert effect.completed.change == Decimal("1.25")
    assert (effect.not_completed.n, effect.not_completed.before, effect.not_completed.after) == (
        2,
        Decimal("3.50"),
        Decimal("3.75"),
    )
    assert effect.not_completed.change == Decimal("0.25")


def test_demo_seed_is_idempotent(org):
    from frontoffice.training.demo import seed_training

    first = seed_training(org.company, {})
    again = seed_training(org.company, {})
    assert again["rubrics"] == 0 and first["rubrics"] == 4
    assert set(again) == {"courses", "rubrics", "assignments"}
