"""The committed OpenAPI schema is current, served publicly, and documented in the docs UI."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from frontoffice.api.tests.conftest import SCHEMA_PATH, committed_schema

pytestmark = pytest.mark.django_db


def test_the_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn", "--lang", "en")
    assert generated.read_text(encoding="utf-8") == SCHEMA_PATH.read_text(encoding="utf-8"), (
        "docs/api/openapi.yaml is out of date: run `make schema` and commit the result."
    )


def test_the_schema_is_served_as_json_without_signing_in(db):
    response = APIClient().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema["info"]["title"] == "Frontoffice API"
    assert schema["paths"].keys() == committed_schema()["paths"].keys()


def test_the_schema_is_served_even_with_a_bad_token_header(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token fo_wrong")
    assert client.get("/api/v1/openapi.json").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/redoc"])
def test_the_docs_load_only_local_static_files(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "the docs page references no assets"
    assert all(url.startswith("/static/") for url in urls), urls
    assert "/api/v1/openapi.json" in html
    assert "//cdn" not in html
    assert "https://" not in html


def test_every_operation_documents_the_error_shape():
    schema = committed_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "401" in responses, (method, path)
            for status, response in responses.items():
                if status.startswith("4"):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref in (
                        "#/components/schemas/Error",
                        "#/components/schemas/DuplicateError",
                        "#/components/schemas/PostingRejectedError",
                    )
            assert operation["operationId"]


def test_the_token_scheme_is_documented():
    scheme = committed_schema()["components"]["securitySchemes"]["tokenAuth"]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": scheme["description"],
    }
    assert "Token fo_" in scheme["description"]
