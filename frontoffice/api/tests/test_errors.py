"""Every API failure answers with the documented error shape, never a 500 or an HTML page."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from frontoffice.api.tests.conftest import assert_error
from frontoffice.parties.models import Party

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing/", "/api/v1/parties/abc/", "/api/v2/parties/", "/api/"]
)
def test_unknown_api_routes_are_a_json_404_for_any_method(org, api_as, method, path):
    response = getattr(api_as("admin"), method)(path)
    assert_error(response, 404, "not_found")


def test_unknown_api_routes_are_json_also_in_debug(org, settings):
    settings.DEBUG = True
    response = APIClient().post("/api/v1/nowhere", data="{", content_type="application/json")
    assert_error(response, 404, "not_found")


def test_unknown_api_routes_answer_anonymous_callers_too(org):
    assert_error(APIClient().get("/api/v1/nowhere/"), 404, "not_found")


def test_a_guessed_id_outside_the_scope_is_a_404_in_the_error_shape(org, api_as, parties):
    response = api_as("rep_south").get(f"/api/v1/parties/{parties['north_clinic'].pk}/")
    body = assert_error(response, 404, "not_found")
    assert "errors" not in body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/parties/{id}/"),
        ("delete", "/api/v1/parties/{id}/"),
        ("get", "/api/v1/parties/{id}/merge/"),
        ("post", "/api/v1/org/regions/"),
        ("delete", "/api/v1/me/"),
    ],
)
def test_a_wrong_method_is_405(org, api_as, parties, method, path):
    response = getattr(api_as("admin"), method)(path.format(id=parties["south"].pk), {}, format="json")
    assert_error(response, 405, "method_not_allowed")


def test_malformed_json_is_400_parse_error(org, api_as):
    response = api_as("admin").post(
        "/api/v1/parties/", data='{"last_name": "Broken",', content_type="application/json"
    )
    body = assert_error(response, 400, "parse_error")
    assert "errors" not in body
    assert not Party.objects.filter(last_name="Broken").exists()


def test_a_body_that_is_not_json_is_415(org, api_as):
    response = api_as("admin").post("/api/v1/parties/", data="last_name=Form", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")
    response = api_as("admin").post("/api/v1/parties/", {"last_name": "Form"}, format="multipart")
    assert_error(response, 415, "unsupported_media_type")


def test_a_json_body_that_is_not_an_object_is_a_validation_error(org, api_as):
    response = api_as("admin").post("/api/v1/parties/", data="[1, 2]", content_type="application/json")
    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == ["non_field_errors"]


def test_a_missing_permission_is_403_in_the_error_shape(org, api_as):
    body = assert_error(api_as("receptionist").get("/api/v1/org/staff/"), 403, "permission_denied")
    assert "errors" not in body


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=99",
        "page_size=abc",
        "page_size=-5",
        "page_size=100000",
        "owner=abc",
        "ordering=password",
        "kind=robot",
        "region=north",
        "location=-1",
        "q=" + "x" * 500,
        "q=%00",
    ],
)
def test_bad_query_parameters_never_cause_a_500(org, api_as, parties, query):
    response = api_as("admin").get(f"/api/v1/parties/?{query}")
    assert response.status_code in (200, 400, 404), response.content[:300]
    if response.status_code != 200:
        assert_error(response, response.status_code, response.json()["code"])


def test_an_invalid_filter_names_the_parameter(org, api_as):
    body = assert_error(api_as("admin").get("/api/v1/parties/?ordering=password"), 400, "invalid")
    assert list(body["errors"]) == ["ordering"]
    body = assert_error(api_as("admin").get("/api/v1/interactions/?started_after=yesterday"), 400, "invalid")
    assert list(body["errors"]) == ["started_after"]


def test_a_page_past_the_end_is_404_in_the_error_shape(org, api_as, parties):
    assert_error(api_as("admin").get("/api/v1/parties/?page=99"), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/parties/99999999999999999999999/",
        "/api/v1/interactions/99999999999999999999999/",
        "/api/v1/org/regions/99999999999999999999999/",
    ],
)
def test_ids_beyond_the_database_range_are_not_found_not_a_crash(org, api_as, path):
    assert_error(api_as("admin").get(path), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/parties/?region=99999999999999999999999",
        "/api/v1/interactions/?party=99999999999999999999999",
        "/api/v1/org/staff/?location=99999999999999999999999",
    ],
)
def test_filter_ids_beyond_the_database_range_are_refused_naming_the_parameter(org, api_as, path):
    body = assert_error(api_as("admin").get(path), 400, "invalid")
    assert list(body["errors"]) == [path.split("?")[1].split("=")[0]]


@pytest.mark.parametrize("value", [10**30, "99999999999999999999999", -1, 0, "abc", 1.5, True, None, [], {}])
def test_odd_ids_in_a_body_are_a_validation_error_on_that_field(org, api_as, value):
    response = api_as("admin").post("/api/v1/parties/", {"last_name": "Odd", "region": value}, format="json")
    if value is None:  # "no region": the customer lands in the admin's default unit
        assert response.status_code == 201
        return
    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == ["region"]


def test_an_owner_filter_beyond_the_id_range_is_refused(org, api_as):
    body = assert_error(api_as("admin").get("/api/v1/parties/?owner=" + "9" * 30), 400, "invalid")
    assert list(body["errors"]) == ["owner"]
