"""Staff see and set a customer's survey opt-out: the service (audit, idempotence, locked
customers), the customer page's card, the list of opted-out customers, the API; and who may not
(a receptionist of another location, a rep of another region, a read-only auditor)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import PASSWORD
from frontoffice.core.models import AuditEntry
from frontoffice.parties.tests.factories import make_party
from frontoffice.surveys.models import SurveyOptOut, SurveyRequest
from frontoffice.surveys.services import survey_opt_out, survey_request_send
from frontoffice.surveys.services.optout import survey_opt_out_set

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def receptionist_south(org: Any) -> Any:
    """A receptionist whose location is the South sales office: the clinic's customers are not theirs."""
    from frontoffice.org.models import Role, Staff, User

    user = User.objects.create_user(username="receptionist_south", email="rs@example.com", password=PASSWORD)
    Staff.objects.create(
        user=user,
        legal_entity=org.company,
        role=Role.objects.get(code="receptionist"),
        home_region=org.south,
        home_location=org.south_office,
    )
    return user


def _trail(party: Any) -> list[tuple[str, dict]]:
    return [
        (e.action, e.changes)
        for e in AuditEntry.objects.for_object(party).filter(action__startswith="surveys.")
    ]


# ---------------------------------------------------------------- the service


def test_staff_record_and_withdraw_an_opt_out_with_an_audit_entry_each(org, party):
    receptionist = org.user("receptionist")
    opt_out = survey_opt_out_set(actor=receptionist, party=party, opted_out=True)
    assert (opt_out.via, opt_out.recorded_by) == ("staff", receptionist)
    # The state it already has: nothing changes, nothing is written.
    assert survey_opt_out_set(actor=receptionist, party=party, opted_out=True).pk == opt_out.pk
    assert SurveyOptOut.objects.count() == 1
    assert survey_opt_out_set(actor=org.user("office_manager"), party=party, opted_out=False) is None
    assert survey_opt_out_set(actor=org.user("office_manager"), party=party, opted_out=False) is None
    assert not SurveyOptOut.objects.exists()
    assert _trail(party) == [
        ("surveys.opt_out.removed", {"survey_opt_out": [True, False], "via": ["staff", None]}),
        ("surveys.opt_out.recorded", {"survey_opt_out": [False, True], "via": [None, "staff"]}),
    ]
    entries = AuditEntry.objects.for_object(party).filter(action__startswith="surveys.")
    assert [e.actor for e in entries] == [org.user("office_manager"), receptionist]


def test_an_opt_out_stops_surveys_and_withdrawing_it_lets_them_go_out_again(
    org, party, survey_settings, touch, frozen
):
    survey_opt_out_set(actor=org.user("receptionist"), party=party, opted_out=True)
    skipped = survey_request_send(survey_settings=survey_settings, kind="csat", touchpoint=touch())
    assert (skipped.request, skipped.skipped) == (None, "opted_out")
    survey_opt_out_set(actor=org.user("receptionist"), party=party, opted_out=False)
    sent = survey_request_send(survey_settings=survey_settings, kind="csat", touchpoint=touch())
    assert sent.request is not None and SurveyRequest.objects.count() == 1


def test_the_customers_own_link_opt_out_is_the_one_staff_see_and_can_withdraw(org, sent, party):
    survey_opt_out(token=sent.token)
    opt_out = SurveyOptOut.objects.get(party=party)
    assert (opt_out.via, opt_out.recorded_by) == ("link", None)
    assert survey_opt_out_set(actor=org.user("receptionist"), party=party, opted_out=True).pk == opt_out.pk
    survey_opt_out_set(actor=org.user("receptionist"), party=party, opted_out=False)
    assert _trail(party)[0] == (
        "surveys.opt_out.removed",
        {"survey_opt_out": [True, False], "via": ["link", None]},
    )


def test_out_of_scope_or_read_only_staff_cannot_change_it(org, party, receptionist_south):
    for user in (receptionist_south, org.user("rep_south"), org.user("other_clerk")):
        with pytest.raises(PermissionDenied):
            survey_opt_out_set(actor=user, party=party, opted_out=True)
    with pytest.raises(PermissionDenied):
        survey_opt_out_set(actor=org.user("auditor"), party=party, opted_out=True)
    assert not SurveyOptOut.objects.exists()
    assert _trail(party) == []


def test_an_erased_customers_opt_out_is_locked(org, party):
    from frontoffice.parties.services import party_erase

    survey_opt_out_set(actor=org.user("receptionist"), party=party, opted_out=True)
    party_erase(actor=org.user("admin"), party=party)
    with pytest.raises(ValidationError) as exc:
        survey_opt_out_set(actor=org.user("admin"), party=party, opted_out=False)
    assert exc.value.code == "locked"
    assert SurveyOptOut.objects.filter(party=party).count() == 1


# ---------------------------------------------------------------- the customer page's card


def test_the_customer_page_shows_the_card_and_htmx_sets_the_opt_out(client_for, org, party):
    client = client_for("receptionist")
    page = client.get(party.get_absolute_url()).content.decode()
    assert 'data-testid="party-survey-opt-out"' in page
    assert 'data-opted-out="0"' in page and 'data-testid="opt-out-record"' in page
    url = f"/surveys/opt-outs/party/{party.pk}/"
    card = client.post(url, {"opted_out": "1"}, **HTMX)
    assert card.status_code == 200
    body = card.content.decode()
    assert body.lstrip().startswith('<section class="card" id="party-survey-opt-out"')
    assert 'data-opted-out="1"' in body and 'data-testid="opt-out-withdraw"' in body
    assert SurveyOptOut.objects.get(party=party).recorded_by == org.user("receptionist")
    back = client.post(url, {"opted_out": "0"})
    assert back.status_code == 302 and back["Location"] == party.get_absolute_url()
    assert not SurveyOptOut.objects.exists()
    bad = client.post(url, {"opted_out": "maybe"}, **HTMX)
    assert bad.status_code == 400 and b'data-testid="opt-out-error"' in bad.content


def test_the_auditor_sees_the_card_without_the_button_and_cannot_post(client_for, org, party):
    survey_opt_out_set(actor=org.user("receptionist"), party=party, opted_out=True)
    page = client_for("auditor").get(party.get_absolute_url()).content.decode()
    assert 'data-opted-out="1"' in page and "opt-out-withdraw" not in page
    assert (
        client_for("auditor").post(f"/surveys/opt-outs/party/{party.pk}/", {"opted_out": "0"}).status_code
        == 403
    )
    assert SurveyOptOut.objects.count() == 1


def test_staff_outside_the_customers_scope_get_404_and_change_nothing(client, org, party, receptionist_south):
    url = f"/surveys/opt-outs/party/{party.pk}/"
    for user in (receptionist_south, org.user("rep_south")):
        client.force_login(user)
        assert client.post(url, {"opted_out": "1"}, **HTMX).status_code == 404
        assert client.get(party.get_absolute_url()).status_code == 404
    assert not SurveyOptOut.objects.exists()


# ---------------------------------------------------------------- the list


def test_the_list_shows_opted_out_customers_in_scope_with_search_and_pages(
    client_for, org, party, settings, django_assert_max_num_queries
):
    settings.FRONTOFFICE_PAGE_SIZE = 3
    admin = org.user("admin")
    survey_opt_out_set(actor=admin, party=party, opted_out=True)
    for n in range(4):
        clinic_party = make_party(admin, first_name=f"Clinic{n}", last_name="Kund", location=org.clinic)
        survey_opt_out_set(actor=admin, party=clinic_party, opted_out=True)
    south = make_party(admin, first_name="Sune", last_name="Syd", region=org.south, location=org.south_office)
    survey_opt_out_set(actor=admin, party=south, opted_out=True)

    client = client_for("receptionist")
    client.get("/surveys/opt-outs/")
    with django_assert_max_num_queries(10):
        first = client.get("/surveys/opt-outs/")
    assert first.status_code == 200
    assert first.content.count(b'data-testid="opt-out-row"') == 3
    second = client.get("/surveys/opt-outs/?page=2")
    assert second.content.count(b'data-testid="opt-out-row"') == 2  # 5 clinic customers, not Sune
    assert b"Sune" not in first.content + second.content
    found = client.get("/surveys/opt-outs/?q=greta", **HTMX)
    assert found.content.count(b'data-testid="opt-out-row"') == 1 and b"<html" not in found.content
    assert b"Greta" in found.content
    assert (
        client_for("rep_south").get("/surveys/opt-outs/?q=sune").content.count(b'data-testid="opt-out-row"')
        == 1
    )
    assert client_for("nobody").get("/surveys/opt-outs/").status_code == 403


# ---------------------------------------------------------------- API


def test_api_reads_and_sets_a_customers_opt_out(client_for, org, party):
    client = client_for("office_manager")
    url = f"/api/v1/surveys/parties/{party.pk}/opt-out/"
    assert client.get(url).json() == {
        "party": {"id": party.pk, "name": str(party)},
        "opted_out": False,
        "via": None,
        "opted_out_at": None,
        "recorded_by": None,
    }
    done = client.put(url, {"opted_out": True}, content_type="application/json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["opted_out"], body["via"], body["recorded_by"]) == (
        True,
        "staff",
        org.user("office_manager").pk,
    )
    listed = client.get("/api/v1/surveys/opt-outs/?q=gran").json()["results"]
    assert [(r["party"]["id"], r["via"]) for r in listed] == [(party.pk, "staff")]
    assert client.put(url, {"opted_out": False}, content_type="application/json").json()["opted_out"] is False
    assert not SurveyOptOut.objects.exists()
    assert client.put(url, {}, content_type="application/json").status_code == 400


def test_api_denies_other_scopes_and_read_only_roles(client, client_for, org, party, receptionist_south):
    survey_opt_out_set(actor=org.user("receptionist"), party=party, opted_out=True)
    url = f"/api/v1/surveys/parties/{party.pk}/opt-out/"
    for user in (receptionist_south, org.user("rep_south"), org.user("other_clerk")):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.put(url, {"opted_out": False}, content_type="application/json").status_code == 404
        assert client.get("/api/v1/surveys/opt-outs/").json()["results"] == []
    auditor = client_for("auditor")
    assert auditor.get(url).json()["opted_out"] is True
    assert auditor.put(url, {"opted_out": False}, content_type="application/json").status_code == 403
    assert client_for("nobody").get(url).status_code == 403
    assert SurveyOptOut.objects.count() == 1


def test_api_refuses_to_change_an_erased_customer(client_for, org, party):
    from frontoffice.parties.services import party_erase

    party_erase(actor=org.user("admin"), party=party)
    response = client_for("admin").put(
        f"/api/v1/surveys/parties/{party.pk}/opt-out/", {"opted_out": True}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "locked"
    assert not SurveyOptOut.objects.exists()
