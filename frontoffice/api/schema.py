"""OpenAPI pieces: the error shape, standard error responses and the token auth scheme.

drf-spectacular loads the authentication extension when this module is imported
(``ApiConfig.ready``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every failure: ``message`` for people, ``code`` for programs; ``errors`` per field."""

    message = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation failures only: messages per field (`non_field_errors` for the whole request).",
    )

    class Meta:
        ref_name = "Error"


class DuplicateErrorSerializer(ErrorSerializer):
    """Code ``duplicate``: customers sharing the e-mail, phone or organisation number."""

    duplicates = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="With code `duplicate`: ids of the existing customers that match.",
    )

    class Meta:
        ref_name = "DuplicateError"


_DESCRIPTIONS = {
    400: "Invalid input (`invalid` with `errors` per field, `parse_error` for malformed JSON, "
    "or a domain code such as `duplicate` or `locked`).",
    401: "Missing, malformed, unknown or revoked token (`not_authenticated`, `authentication_failed`).",
    403: "Signed in but lacking the permission (`permission_denied`).",
    404: "No such object within your scope, or a page past the end of a list (`not_found`).",
    405: "Method not allowed on this path (`method_not_allowed`).",
    415: "Body is not `application/json` (`unsupported_media_type`).",
}


def error_responses(
    *statuses: int, bad_request: type[serializers.Serializer] = ErrorSerializer
) -> dict[int, OpenApiResponse]:
    """``{status: OpenApiResponse(ErrorSerializer)}`` for the given statuses.

    ``bad_request`` documents a richer 400 body (``DuplicateErrorSerializer``).
    """
    return {
        code: OpenApiResponse(
            bad_request if code == 400 else ErrorSerializer, description=_DESCRIPTIONS[code]
        )
        for code in statuses
    }


READ_ERRORS = (401, 403, 404)
WRITE_ERRORS = (400, 401, 403, 415)


def language_choices() -> list[tuple[str, str]]:
    """The one language choice set (parties, legal entities, users), for ENUM_NAME_OVERRIDES."""
    from frontoffice.parties.models import Party

    return list(Party._meta.get_field("language").choices or [])


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "frontoffice.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Personal API token, sent as `Authorization: Token fo_...`. "
            "Create one under Settings → API tokens; it is shown once and stored hashed.",
        }


def add_standard_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Schema post-processing: an operation whose view documents no errors of its own gets the
    standard ones every endpoint can answer (401 and 403; 404 on a path with an id; 400 and 415
    on writes), all in the one error shape. Views that document their errors keep theirs."""
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "401" in responses:
                continue
            statuses = [401, 403]
            if "{" in path:
                statuses.append(404)
            if method in ("post", "put", "patch"):
                statuses += [400, 415]
            for status in statuses:
                responses.setdefault(str(status), {"content": content, "description": _DESCRIPTIONS[status]})
    return result
