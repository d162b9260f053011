"""The customer's survey pages, the staff pages and the API: states, escaping, permissions,
scope, query counts."""

from __future__ import annotations

import datetime

import pytest

from frontoffice.surveys import services
from frontoffice.surveys.models import Complaint, SurveyOptOut, SurveyRequest, SurveySettings

# ---------------------------------------------------------------- the customer's pages


def test_the_survey_page_asks_then_thanks_then_refuses_a_second_answer(client, sent):
    url = f"/s/{sent.token}/"
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="survey-ask"' in page.content
    assert page["Cache-Control"] == "no-store, private, max-age=0"
    assert page["X-Robots-Tag"] == "noindex, nofollow, noarchive"
    assert page.content.count(b'name="score"') == 5  # CSAT 1-5
    done = client.post(url, {"score": "5", "comment": "Great"})
    assert done.status_code == 200 and b'data-testid="survey-thanks"' in done.content
    again = client.post(url, {"score": "1"})
    assert again.status_code == 410 and b'data-testid="survey-answered"' in again.content
    assert SurveyRequest.objects.get().score == 5


def test_an_out_of_range_score_is_a_clear_400_and_nothing_is_stored(client, sent):
    for score in ("0", "6", "abc", ""):
        page = client.post(f"/s/{sent.token}/", {"score": score})
        assert page.status_code == 400 and b'data-testid="survey-ask"' in page.content
        assert b"errorlist" in page.content or b"error" in page.content
    assert SurveyRequest.objects.get().answered_at is None


def test_expired_tampered_and_unknown_links(client, sent, frozen):
    tampered = sent.token[:-1] + ("A" if sent.token[-1] != "A" else "B")
    assert client.get(f"/s/{tampered}/").status_code == 404
    assert client.get("/s/not-a-token/").status_code == 404
    frozen.shift(datetime.timedelta(days=15))
    page = client.get(f"/s/{sent.token}/")
    assert page.status_code == 410 and b'data-testid="survey-expired"' in page.content
    assert client.post(f"/s/{sent.token}/", {"score": "5"}).status_code == 410
    assert SurveyRequest.objects.get().answered_at is None


def test_failed_lookups_are_throttled(client, sent, settings):
    settings.BILLING_LINK_FAILURES_PER_ADDRESS = 3
    for _ in range(3):
        assert client.get("/s/" + "B" * 43 + "/").status_code == 404
    assert client.get(f"/s/{sent.token}/").status_code == 429


def test_html_in_a_comment_is_shown_escaped_to_staff(client_for, sent):
    services.survey_answer(token=sent.token, score="2", comment='<script>alert("x")</script>')
    page = client_for("office_manager").get("/surveys/")
    assert b'<script>alert("x")</script>' not in page.content
    assert b"&lt;script&gt;" in page.content


def test_the_opt_out_page_confirms_before_it_opts_out(client, sent, party):
    url = f"/s/{sent.token}/opt-out/"
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="opt-out-confirm"' in page.content
    assert not SurveyOptOut.objects.exists()  # a mail scanner following the link opts nobody out
    done = client.post(url)
    assert done.status_code == 200 and b'data-testid="opt-out-done"' in done.content
    assert SurveyOptOut.objects.filter(party=party).count() == 1
    assert client.get("/s/" + "C" * 43 + "/opt-out/").status_code == 404


# ---------------------------------------------------------------- staff pages


def test_survey_list_shows_response_rate_csat_and_nps_in_scope(
    client_for, org, party, survey_settings, touch, frozen
):
    survey_settings.fatigue_days = 0
    survey_settings.save()
    tokens = [
        services.survey_request_for_touchpoint(touchpoint=touch(concerns=f"reception.visit:{n}")).token
        for n in range(4)
    ]
    services.survey_answer(token=tokens[0], score="5")
    services.survey_answer(token=tokens[1], score="2")
    nps = services.survey_request_for_touchpoint(
        touchpoint=touch(kind="activities.meeting_held", concerns="m:1")
    )
    services.survey_answer(token=nps.token, score="10")
    page = client_for("office_manager").get("/surveys/")
    assert page.status_code == 200
    assert page.content.count(b'data-testid="request-row"') == 5
    assert b'data-testid="summary-rate">60.0 %' in page.content  # 3 of 5
    assert b'data-testid="summary-csat">3.50' in page.content
    assert b'data-testid="summary-nps">100.0' in page.content
    # The other company's clerk sees none of them; a south rep none either (not theirs).
    assert b'data-testid="request-row"' not in client_for("other_clerk").get("/surveys/").content
    assert b'data-testid="request-row"' not in client_for("rep_south").get("/surveys/").content
    answered = client_for("office_manager").get("/surveys/?status=answered", HTTP_HX_REQUEST="true")
    assert answered.content.count(b'data-testid="request-row"') == 3
    assert b"<html" not in answered.content


def test_survey_list_runs_a_constant_number_of_queries(
    client_for, org, survey_settings, touch, frozen, django_assert_max_num_queries
):
    survey_settings.fatigue_days = 0
    survey_settings.save()
    client = client_for("admin")
    client.get("/surveys/")
    for n in range(12):
        services.survey_request_for_touchpoint(touchpoint=touch(concerns=f"reception.visit:{n}"))
    with django_assert_max_num_queries(12):
        page = client.get("/surveys/")
    assert page.content.count(b'data-testid="request-row"') == 12


def test_pages_need_their_permission(client_for):
    assert client_for("nobody").get("/surveys/").status_code == 403
    assert client_for("receptionist").get("/surveys/settings/").status_code == 403
    assert client_for("auditor").get("/surveys/complaints/new/").status_code == 403
    assert client_for("auditor").get("/surveys/complaints/").status_code == 200


def test_settings_page_saves_triggers_for_the_managers_company(client_for, org):
    client = client_for("finance_manager")
    page = client.get("/surveys/settings/")
    assert page.status_code == 200 and b'data-testid="settings-unsaved"' in page.content
    assert b"Visit completed at reception" in page.content
    response = client.post(
        "/surveys/settings/",
        {
            "legal_entity": org.company.pk,
            "fatigue_days": "45",
            "link_days": "10",
            "reminder_days": "4",
            "trigger__reception__visit_completed": "csat",
            "trigger__billing__question_resolved": "nps",
        },
    )
    assert response.status_code == 302
    row = SurveySettings.objects.get(legal_entity=org.company)
    assert row.triggers == {"billing.question_resolved": "nps", "reception.visit_completed": "csat"}
    assert (row.fatigue_days, row.link_days, row.reminder_days) == (45, 10, 4)
    # The reminder must go out before the link expires.
    bad = client.post(
        "/surveys/settings/",
        {"legal_entity": org.company.pk, "fatigue_days": "30", "link_days": "3", "reminder_days": "3"},
    )
    assert bad.status_code == 200 and b"before the link expires" in bad.content
    # Another company's settings are not the finance manager's to see.
    assert client.get(f"/surveys/settings/?legal_entity={org.other_company.pk}").status_code == 404


def test_settings_service_refuses_other_companies_and_unknown_triggers(org):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        services.survey_settings_update(
            actor=org.user("finance_manager"),
            legal_entity=org.other_company,
            triggers={},
            fatigue_days=30,
            link_days=14,
            reminder_days=3,
        )
    with pytest.raises(ValidationError) as exc:
        services.survey_settings_update(
            actor=org.user("admin"),
            legal_entity=org.company,
            triggers={"made.up": "csat"},
            fatigue_days=30,
            link_days=14,
            reminder_days=3,
        )
    assert exc.value.error_dict["triggers"][0].code == "unknown_trigger"


def test_complaint_pages_register_assign_and_resolve(client_for, org, party):
    client = client_for("clerk")
    created = client.post(
        "/surveys/complaints/new/",
        {
            "desk": "finance",
            "channel": "email",
            "subject": "<b>Billed twice</b>",
            "description": "Twice the same invoice",
            "party": party.pk,
            "owner": org.user("clerk").pk,
            "deadline": "2026-03-10",
        },
    )
    complaint = Complaint.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/surveys/complaints/{complaint.pk}/"
    detail = client.get(created["Location"])
    assert b"&lt;b&gt;Billed twice&lt;/b&gt;" in detail.content
    client.post(created["Location"], {"action": "resolve", "resolution": "Credited"})
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and complaint.resolution == "Credited"
    assert client_for("other_clerk").get(f"/surveys/complaints/{complaint.pk}/").status_code == 404
    assert (
        client_for("auditor").post(created["Location"], {"action": "resolve", "resolution": "x"}).status_code
        == 403
    )


def test_complaint_list_filters_paginates_and_keeps_its_query_count(
    client_for, org, settings, django_assert_max_num_queries
):
    settings.FRONTOFFICE_PAGE_SIZE = 5
    for n in range(7):
        services.complaint_create(
            actor=org.user("admin"),
            desk="sales" if n % 2 else "finance",
            subject=f"Complaint {n}",
            description="x",
        )
    client = client_for("admin")
    client.get("/surveys/complaints/")
    with django_assert_max_num_queries(12):
        page = client.get("/surveys/complaints/")
    assert page.content.count(b'data-testid="complaint-row"') == 5
    assert client.get("/surveys/complaints/?page=2").content.count(b'data-testid="complaint-row"') == 2
    sales = client.get("/surveys/complaints/?desk=sales", HTTP_HX_REQUEST="true")
    assert sales.content.count(b'data-testid="complaint-row"') == 3 and b"<html" not in sales.content


# ---------------------------------------------------------------- API


def test_api_lists_requests_and_summary_in_scope(client_for, sent):
    services.survey_answer(token=sent.token, score="4")
    client = client_for("office_manager")
    rows = client.get("/api/v1/surveys/requests/").json()["results"]
    assert [(r["kind"], r["score"], r["status"]) for r in rows] == [("csat", 4, "answered")]
    assert "token" not in str(rows) and "token_hash" not in rows[0]
    summary = client.get("/api/v1/surveys/summary/").json()
    assert summary["sent"] == 1 and summary["response_rate"] == "100.0" and summary["csat_mean"] == "4.00"
    assert client_for("other_clerk").get("/api/v1/surveys/requests/").json()["results"] == []
    assert client_for("nobody").get("/api/v1/surveys/requests/").status_code == 403


def test_api_complaints_create_update_resolve(client_for, org, party):
    client = client_for("clerk")
    created = client.post(
        "/api/v1/surveys/complaints/",
        {"desk": "finance", "subject": "Wrong VAT", "description": "25 % instead of 12 %", "party": party.pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    bad = client.patch(
        f"/api/v1/surveys/complaints/{pk}/",
        {"owner": org.user("other_clerk").pk},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_owner"
    done = client.patch(
        f"/api/v1/surveys/complaints/{pk}/",
        {"owner": org.user("clerk").pk, "resolution": "Corrected"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    again = client.patch(
        f"/api/v1/surveys/complaints/{pk}/", {"resolution": "x"}, content_type="application/json"
    )
    assert again.status_code == 400 and again.json()["code"] == "resolved"
    assert client_for("other_clerk").get(f"/api/v1/surveys/complaints/{pk}/").status_code == 404
    assert (
        client_for("auditor")
        .post(
            "/api/v1/surveys/complaints/",
            {"desk": "finance", "subject": "x", "description": "y"},
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_api_settings(client_for, org):
    client = client_for("admin")
    assert client.get("/api/v1/surveys/settings/").json()["triggers"] == {}
    saved = client.put(
        "/api/v1/surveys/settings/",
        {
            "triggers": {"activities.meeting_held": "nps"},
            "fatigue_days": 60,
            "link_days": 14,
            "reminder_days": 5,
        },
        content_type="application/json",
    )
    assert saved.status_code == 200 and saved.json()["triggers"] == {"activities.meeting_held": "nps"}
    assert client_for("receptionist").get("/api/v1/surveys/settings/").status_code == 403
