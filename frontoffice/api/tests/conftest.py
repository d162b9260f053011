"""API test helpers: token-authenticated clients per persona and a small set of customers."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from rest_framework.test import APIClient

from frontoffice.org.services import api_token_create
from frontoffice.parties.tests.factories import make_party

SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"
ERROR_KEYS = {"message", "code"}


@pytest.fixture
def api_as(org: Any):
    """``api_as("rep_north")``: an APIClient sending that persona's personal API token."""

    def _client(name: str) -> APIClient:
        _, raw = api_token_create(actor=org.user(name), name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return _client


@pytest.fixture
def parties(org: Any) -> dict[str, Any]:
    """Five customers across the organisation, created by the administrator.

    north_rep_own (owned by rep_north, North Sales Office), north_unassigned (North, no
    owner), north_clinic (North Dental Clinic), south (owned by rep_south) and
    other_company (Other Company AB).
    """
    admin = org.user("admin")
    return {
        "north_rep_own": make_party(
            admin,
            last_name="NorthOwn",
            email="northown@example.com",
            phone="070-123 45 67",
            location=org.sales_office,
            owner=org.user("rep_north"),
        ),
        "north_unassigned": make_party(admin, last_name="NorthFree", region=org.north, city="Kiruna"),
        "north_clinic": make_party(admin, last_name="Clinic", location=org.clinic, city="Umeå"),
        "south": make_party(
            admin, last_name="South", location=org.south_office, owner=org.user("rep_south"), city="Malmö"
        ),
        "other_company": make_party(admin, last_name="Other", location=org.other_office),
    }


@cache
def committed_schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def assert_matches_component(data: Any, component: str) -> None:
    """``data`` has every required key of the committed schema's component, and no others."""
    schema = committed_schema()["components"]["schemas"][component]
    assert isinstance(data, dict), data
    missing = set(schema.get("required", [])) - set(data)
    extra = set(data) - set(schema.get("properties", {}))
    assert not missing, f"{component}: missing {sorted(missing)}"
    assert not extra, f"{component}: not in the schema {sorted(extra)}"


def assert_page_of(data: Any, component: str) -> None:
    """A paginated list whose results all match ``component``."""
    assert set(data) == {"count", "next", "previous", "results"}
    for row in data["results"]:
        assert_matches_component(row, component)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The documented error shape with this status and code; returns the body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert set(body) - {"errors", "duplicates"} == ERROR_KEYS
    assert_matches_component(body, "DuplicateError" if "duplicates" in body else "Error")
    return body
