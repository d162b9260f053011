"""Sending, answering, reminding and opting out of surveys."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext

from frontoffice.core.models import AuditEntry
from frontoffice.core.registry import registry
from frontoffice.org.models import Staff, Team
from frontoffice.parties.models import Interaction
from frontoffice.surveys import services
from frontoffice.surveys.models import SurveyOptOut, SurveyRequest
from frontoffice.surveys.tests.conftest import NOW


def tokens_in(body: str) -> list[str]:
    return re.findall(r"/s/([A-Za-z0-9_-]{43})/", body)


# ---------------------------------------------------------------- sending


def test_the_desks_announce_their_completed_contacts():
    keys = {k.key for k in registry.touchpoint_kinds}
    assert {"reception.visit_completed", "activities.meeting_held", "billing.question_resolved"} <= keys
    from frontoffice.surveys.registrations import on_touchpoint

    assert on_touchpoint in registry.touchpoint_subscribers


def test_a_completed_visit_sends_a_csat_survey_in_the_customers_language(sent, party, mailoutbox):
    request = sent.request
    assert request.kind == "csat"
    assert request.trigger == "reception.visit_completed"
    assert request.recipient == "greta@example.com"
    assert request.language == "sv"
    assert request.sent_at == NOW
    assert request.expires_at == NOW + datetime.timedelta(days=14)
    assert request.answered_at is None and request.score is None
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["greta@example.com"]
    # One link to answer, one to opt out; both carry the token, which the database does not hold.
    assert tokens_in(mail.body) == [sent.token, sent.token]
    assert f"/s/{sent.token}/opt-out/" in mail.body
    assert sent.token not in request.token_hash
    assert AuditEntry.objects.filter(action="surveys.request.sent", object_id=str(request.pk)).count() == 1


def test_the_answer_is_attributed_to_the_staff_member_team_location_and_region_at_send_time(
    org, survey_settings, touch, frozen
):
    team = Team.objects.create(location=org.clinic, name="Front desk")
    Staff.objects.filter(user=org.user("receptionist")).update(team=team)
    request = services.survey_request_for_touchpoint(touchpoint=touch()).request
    staff = Staff.objects.get(user=org.user("receptionist"))
    assert (request.staff_id, request.staff_user_id, request.team_id) == (
        staff.pk,
        org.user("receptionist").pk,
        team.pk,
    )
    assert (request.location_id, request.region_id) == (org.clinic.pk, org.north.pk)
    # A later move of the person does not move the answer.
    Staff.objects.filter(pk=staff.pk).update(team=None, home_location=org.sales_office)
    request.refresh_from_db()
    assert request.team_id == team.pk and request.location_id == org.clinic.pk


def test_location_and_region_come_from_the_interaction_when_the_desk_gives_none(
    org, party, survey_settings, frozen
):
    from frontoffice.core.registry import Touchpoint
    from frontoffice.parties.services import interaction_record

    interaction = interaction_record(
        actor=org.user("rep_north"), party=party, kind="meeting", channel="in_person", subject="Meeting"
    )
    outcome = services.survey_request_for_touchpoint(
        touchpoint=Touchpoint(
            kind="activities.meeting_held",
            party_id=party.pk,
            legal_entity_id=org.company.pk,
            user_id=org.user("rep_north").pk,
            interaction_id=interaction.pk,
            concerns="activities.meeting:5",
        )
    )
    request = outcome.request
    assert request.kind == "nps"
    assert (request.location_id, request.region_id) == (org.sales_office.pk, org.north.pk)
    assert request.interaction_id == interaction.pk


def test_a_contact_kind_without_a_survey_sends_nothing(org, survey_settings, touch, frozen, mailoutbox):
    outcome = services.survey_request_for_touchpoint(touchpoint=touch(kind="billing.question_resolved"))
    assert outcome.request is None and outcome.skipped == "not_triggered"
    assert SurveyRequest.objects.count() == 0 and mailoutbox == []


def test_nothing_is_sent_before_the_settings_are_saved(org, touch, frozen):
    outcome = services.survey_request_for_touchpoint(touchpoint=touch())
    assert outcome.skipped == "not_triggered" and SurveyRequest.objects.count() == 0


def test_fatigue_guard_allows_one_request_per_customer_per_window(org, survey_settings, touch, frozen):
    assert services.survey_request_for_touchpoint(touchpoint=touch(concerns="reception.visit:1")).request
    frozen.shift(datetime.timedelta(days=29, hours=23))
    second = services.survey_request_for_touchpoint(touchpoint=touch(concerns="reception.visit:2"))
    assert second.request is None and second.skipped == "fatigue"
    frozen.shift(datetime.timedelta(hours=1, seconds=1))
    third = services.survey_request_for_touchpoint(touchpoint=touch(concerns="reception.visit:3"))
    assert third.request is not None
    assert SurveyRequest.objects.count() == 2


def test_a_contact_is_surveyed_once(org, survey_settings, touch, frozen):
    survey_settings.fatigue_days = 0
    survey_settings.save()
    assert services.survey_request_for_touchpoint(touchpoint=touch()).request
    again = services.survey_request_for_touchpoint(touchpoint=touch())
    assert again.request is None and again.skipped == "already_surveyed"
    first = SurveyRequest.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyRequest.objects.create(
            legal_entity=org.company,
            kind="csat",
            trigger=first.trigger,
            concerns=first.concerns,
            party=first.party,
            recipient="x@example.com",
            token_hash="f" * 64,
            sent_at=NOW,
            expires_at=NOW,
        )


def test_opted_out_customers_and_customers_without_email_get_nothing(
    org, party, survey_settings, touch, frozen
):
    SurveyOptOut.objects.create(party=party)
    assert services.survey_request_for_touchpoint(touchpoint=touch()).skipped == "opted_out"
    SurveyOptOut.objects.all().delete()
    type(party).objects.filter(pk=party.pk).update(email="")
    assert services.survey_request_for_touchpoint(touchpoint=touch()).skipped == "no_email"
    assert SurveyRequest.objects.count() == 0


def test_an_erased_customer_gets_nothing(org, party, survey_settings, touch, frozen):
    type(party).objects.filter(pk=party.pk).update(erased_at=NOW)
    assert services.survey_request_for_touchpoint(touchpoint=touch()).skipped == "no_customer"


def test_an_english_speaking_customer_gets_english(
    org, party, survey_settings, touch, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    type(party).objects.filter(pk=party.pk).update(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.survey_request_for_touchpoint(touchpoint=touch())
    assert mailoutbox[0].subject == "A quick question from Tandhälsan Norden AB"
    assert "How satisfied were you" in mailoutbox[0].body
    assert "Do not want surveys from us?" in mailoutbox[0].body


def test_a_rolled_back_contact_sends_nothing(
    org, survey_settings, touch, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    from frontoffice.core.registry import touchpoint_completed

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        touchpoint_completed(touch())
        raise RuntimeError("the desk's transaction failed")
    assert SurveyRequest.objects.count() == 0 and mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        touchpoint_completed(touch())
    assert SurveyRequest.objects.count() == 1 and len(mailoutbox) == 1


# ---------------------------------------------------------------- answering


def test_an_answer_is_stored_once_with_an_interaction_for_the_staff_member(sent, org, party, frozen):
    answered = services.survey_answer(token=sent.token, score="4", comment="  Friendly!  ")
    answered.refresh_from_db()
    assert (answered.score, answered.comment, answered.answered_at) == (4, "Friendly!", NOW)
    interaction = Interaction.objects.get(kind="feedback", party=party)
    assert interaction.staff.user == org.user("receptionist")
    assert interaction.subject == "Survey answer: CSAT 4/5"
    with pytest.raises(services.SurveyAnswered):
        services.survey_answer(token=sent.token, score="5")
    with pytest.raises(services.SurveyAnswered):
        services.survey_resolve(sent.token)
    answered.refresh_from_db()
    assert answered.score == 4
    assert Interaction.objects.filter(kind="feedback").count() == 1


@pytest.mark.parametrize("score", ["0", "6", "-1", "4.5", "", "five", None, "99999999999999999999"])
def test_an_out_of_range_csat_score_is_refused_and_nothing_is_stored(sent, score):
    with pytest.raises(ValidationError) as exc:
        services.survey_answer(token=sent.token, score=score)
    assert exc.value.error_dict["score"][0].code == "score_range"
    sent.request.refresh_from_db()
    assert sent.request.answered_at is None and sent.request.score is None


def test_nps_takes_0_to_10(org, party, survey_settings, touch, frozen):
    outcome = services.survey_request_for_touchpoint(touchpoint=touch(kind="activities.meeting_held"))
    with pytest.raises(ValidationError):
        services.survey_answer(token=outcome.token, score="11")
    assert services.survey_answer(token=outcome.token, score="0").score == 0


def test_an_expired_link_is_gone(sent, frozen):
    frozen.shift(datetime.timedelta(days=14))
    with pytest.raises(services.LinkGone):
        services.survey_resolve(sent.token)
    with pytest.raises(services.LinkGone):
        services.survey_answer(token=sent.token, score="5")
    sent.request.refresh_from_db()
    assert sent.request.score is None


@pytest.mark.parametrize(
    "token",
    ["", "short", "A" * 43, "../../etc/passwd", "x" * 44, None],
)
def test_unknown_or_malformed_tokens_are_not_found(sent, token):
    with pytest.raises(services.LinkNotFound):
        services.survey_resolve(token)


def test_a_tampered_token_is_not_found(sent):
    tampered = sent.token[:-1] + ("A" if sent.token[-1] != "A" else "B")
    with pytest.raises(services.LinkNotFound):
        services.survey_answer(token=tampered, score="5")


def test_html_in_a_comment_is_kept_as_typed(sent):
    answered = services.survey_answer(token=sent.token, score="2", comment="<script>alert(1)</script>")
    assert answered.comment == "<script>alert(1)</script>"


def test_a_too_long_comment_is_refused(sent):
    with pytest.raises(ValidationError) as exc:
        services.survey_answer(token=sent.token, score="3", comment="x" * 2001)
    assert exc.value.error_dict["comment"][0].code == "comment_too_long"


def test_the_database_refuses_a_score_outside_the_survey_range(sent):
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyRequest.objects.filter(pk=sent.request.pk).update(score=9, answered_at=NOW)


# ---------------------------------------------------------------- the one reminder


def test_one_reminder_after_the_configured_days_with_a_second_working_link(
    sent, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    frozen.shift(datetime.timedelta(days=3) - datetime.timedelta(seconds=1))
    assert services.survey_send_reminders() == 0
    frozen.shift(datetime.timedelta(seconds=1))
    assert services.survey_send_reminders(dry_run=True) == 1
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.survey_send_reminders() == 1
    with translation.override("sv"):  # the customer's language
        expected = gettext("Reminder: a quick question from %(company)s") % {
            "company": "Tandhälsan Norden AB"
        }
    assert len(mailoutbox) == 1 and mailoutbox[0].subject == expected
    reminder_token = tokens_in(mailoutbox[0].body)[0]
    assert reminder_token != sent.token
    # Never a second reminder.
    frozen.shift(datetime.timedelta(days=3))
    assert services.survey_send_reminders() == 0
    # Both links reach the same request; it still takes one answer.
    assert services.survey_resolve(sent.token).pk == services.survey_resolve(reminder_token).pk
    services.survey_answer(token=reminder_token, score="5")
    with pytest.raises(services.SurveyAnswered):
        services.survey_answer(token=sent.token, score="1")


def test_no_reminder_after_an_answer_an_opt_out_or_expiry(org, party, survey_settings, touch, frozen):
    survey_settings.fatigue_days = 0
    survey_settings.save()
    answered = services.survey_request_for_touchpoint(touchpoint=touch(concerns="reception.visit:1"))
    services.survey_answer(token=answered.token, score="5")
    services.survey_request_for_touchpoint(touchpoint=touch(concerns="reception.visit:2"))
    frozen.shift(datetime.timedelta(days=3))
    services.survey_opt_out(token=answered.token)
    assert services.survey_send_reminders() == 0
    SurveyOptOut.objects.all().delete()
    frozen.shift(datetime.timedelta(days=11))  # expired
    assert services.survey_send_reminders() == 0


def test_the_reminder_command_prints_a_summary(sent, frozen, capsys):
    frozen.shift(datetime.timedelta(days=4))
    call_command("surveys_send_reminders", "--dry-run")
    assert capsys.readouterr().out.strip() == "surveys: would send 1 reminder(s)"
    call_command("surveys_send_reminders")
    assert capsys.readouterr().out.strip() == "surveys: sent 1 reminder(s)"
    assert SurveyRequest.objects.get().reminded_at is not None


# ---------------------------------------------------------------- opt-out


def test_the_opt_out_link_stores_a_party_level_opt_out_once(sent, party, touch):
    services.survey_opt_out(token=sent.token)
    services.survey_opt_out(token=sent.token)
    assert SurveyOptOut.objects.filter(party=party, via="link").count() == 1
    assert AuditEntry.objects.filter(action="surveys.opt_out.recorded").count() == 1
    assert services.is_opted_out(party) is True


def test_staff_may_record_an_opt_out_for_visible_customers_only(org, party):
    from django.core.exceptions import ObjectDoesNotExist, PermissionDenied

    with pytest.raises(ObjectDoesNotExist):
        services.survey_opt_out_record(actor=org.user("rep_south"), party=party)
    with pytest.raises(PermissionDenied):
        services.survey_opt_out_record(actor=org.user("auditor"), party=party)
    opt_out = services.survey_opt_out_record(actor=org.user("receptionist"), party=party)
    assert opt_out.via == "staff" and opt_out.recorded_by == org.user("receptionist")


# ---------------------------------------------------------------- end to end from a desk


def test_completing_a_visit_at_reception_sends_the_survey_after_commit(
    org, party, survey_settings, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    from frontoffice.reception.services import visit_set_status, visit_walk_in

    receptionist = org.user("receptionist")
    visit = visit_walk_in(actor=receptionist, location=org.clinic, kind="patient", party=party)
    with django_capture_on_commit_callbacks(execute=True):
        visit_set_status(actor=receptionist, visit=visit, status="done")
    request = SurveyRequest.objects.get()
    assert (request.kind, request.trigger, request.concerns) == (
        "csat",
        "reception.visit_completed",
        f"reception.visit:{visit.pk}",
    )
    assert (request.staff_user, request.location_id, request.region_id) == (
        receptionist,
        org.clinic.pk,
        org.north.pk,
    )
    # Reception's own feedback link and the survey: two e-mails, the survey one with an opt-out link.
    assert len(mailoutbox) == 2
    assert sum("/opt-out/" in m.body for m in mailoutbox) == 1
