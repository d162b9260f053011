"""Token and session authentication for the API."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from frontoffice.api.tests.conftest import assert_error
from frontoffice.org.models import ApiToken
from frontoffice.org.services import api_token_create, api_token_revoke
from frontoffice.parties.models import Party

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def token_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def test_a_personal_token_authenticates_its_user(org):
    _, raw = api_token_create(actor=org.user("rep_north"), name="laptop")
    response = token_client(raw).get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "rep_north"


def test_only_the_hash_of_a_token_is_stored(org):
    token, raw = api_token_create(actor=org.user("rep_north"), name="laptop")
    row = ApiToken.objects.get(pk=token.pk)
    assert raw.startswith("fo_")
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert row.prefix == raw[:10]
    stored = [str(v) for v in ApiToken.objects.values_list(*[f.attname for f in ApiToken._meta.fields])[0]]
    assert raw not in stored


def test_without_credentials_the_answer_is_401_with_a_challenge(org):
    response = APIClient().get(ME)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header",
    [
        "Token fo_not-a-real-token",
        "Token not-even-prefixed",
        "Token",
        "Token two parts",
    ],
)
def test_a_bad_token_is_401_with_a_challenge(org, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME)
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_is_401(org):
    user = org.user("rep_north")
    token, raw = api_token_create(actor=user, name="laptop")
    assert token_client(raw).get(ME).status_code == 200
    api_token_revoke(actor=user, token=token)
    assert_error(token_client(raw).get(ME), 401, "authentication_failed")


def test_a_token_of_a_deactivated_user_is_401(org):
    user = org.user("rep_north")
    _, raw = api_token_create(actor=user, name="laptop")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error(token_client(raw).get(ME), 401, "authentication_failed")


def test_token_writes_need_no_csrf_token(org):
    _, raw = api_token_create(actor=org.user("rep_north"), name="laptop")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    response = client.post("/api/v1/parties/", {"last_name": "Viaapi"}, format="json")
    assert response.status_code == 201, response.json()


def test_session_authentication_reads_without_csrf(org):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(org.user("rep_north"))
    assert client.get(ME).json()["username"] == "rep_north"


def test_session_writes_are_refused_without_the_csrf_token(org):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(org.user("rep_north"))
    response = client.post("/api/v1/parties/", {"last_name": "Nocsrf"}, format="json")
    body = assert_error(response, 403, "permission_denied")
    assert "CSRF" in body["message"]
    assert not Party.objects.filter(last_name="Nocsrf").exists()


def test_session_writes_succeed_with_the_csrf_token(org):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(org.user("rep_north"))
    csrf = "a" * 32  # a CSRF secret, as the cookie carries it
    client.cookies["csrftoken"] = csrf
    response = client.post(
        "/api/v1/parties/", {"last_name": "Withcsrf"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 201, response.json()
