"""Personal API tokens: shown once, listed without the secret, revocable by their owner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontoffice.org import services
from frontoffice.org.models import ApiToken

pytestmark = pytest.mark.django_db


def create_token(client, name="Reporting script"):
    response = client.post(reverse("org:token-create"), {"name": name})
    assert response.status_code == 200
    return response, response.context["raw"]


def test_a_new_token_is_shown_once_and_never_listed(org, client_for):
    client = client_for("rep_north")
    response, raw = create_token(client)
    assert raw.startswith("fo_")
    assert raw in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get(user=org.people["rep_north"])
    assert (token.name, token.prefix) == ("Reporting script", raw[:10])
    listing = client.get(reverse("org:token-list")).content.decode()
    assert raw not in listing
    assert f"{token.prefix}…" in listing
    assert raw not in client.get(reverse("org:token-create")).content.decode()


def test_a_revoked_token_no_longer_authenticates(org, client_for):
    client = client_for("rep_north")
    _response, raw = create_token(client)
    token = services.api_token_authenticate(raw=raw)
    assert token is not None
    assert token.user == org.people["rep_north"]
    response = client.post(reverse("org:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert services.api_token_authenticate(raw=raw) is None
    assert "Revoked" in client.get(reverse("org:token-list")).content.decode()


def test_nobody_can_revoke_or_see_someone_elses_token(org, client_for):
    token, raw = services.api_token_create(actor=org.user("rep_south"), name="South script")
    client = client_for("admin")
    assert client.post(reverse("org:token-revoke", args=[token.pk])).status_code == 404
    assert "South script" not in client.get(reverse("org:token-list")).content.decode()
    assert services.api_token_authenticate(raw=raw) is not None


def test_revoking_needs_a_post(org, client_for):
    token, _raw = services.api_token_create(actor=org.user("clerk"), name="Script")
    assert client_for("clerk").get(reverse("org:token-revoke", args=[token.pk])).status_code == 405


@pytest.mark.parametrize("persona", ["receptionist", "auditor", "nobody"])
def test_every_signed_in_user_manages_their_own_tokens(org, client_for, persona):
    client = client_for(persona)
    assert client.get(reverse("org:token-list")).status_code == 200
    _response, raw = create_token(client, name="Mine")
    assert services.api_token_authenticate(raw=raw).user == org.people[persona]


def test_token_pages_need_sign_in(client):
    for url in (reverse("org:token-list"), reverse("org:token-create")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_a_token_needs_a_name(org, client_for):
    response = client_for("clerk").post(reverse("org:token-create"), {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert ApiToken.objects.count() == 0
