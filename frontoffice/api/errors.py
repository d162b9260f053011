"""One error shape for every API failure.

    {"message": "...", "code": "...", "errors": {"field": ["..."]}}

``errors`` is present for validation failures and names each field (``non_field_errors``
for errors about the whole request).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _field_errors(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list):
                out[key] = [str(v) for v in value if not isinstance(v, dict)]
                for idx, v in enumerate(value):
                    if isinstance(v, dict):
                        for sub, msgs in _field_errors(v).items():
                            out[f"{key}.{idx}.{sub}"] = msgs
            else:
                out[key] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def django_validation_error_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Model/service ``ValidationError`` → DRF's, keeping field names and the code."""
    if hasattr(exc, "error_dict"):
        detail: Any = {
            field if field != "__all__" else "non_field_errors": [m for e in errs for m in e.messages]
            for field, errs in exc.error_dict.items()
        }
    else:
        detail = {"non_field_errors": exc.messages}
    drf_exc = exceptions.ValidationError(detail)
    drf_exc.domain_code = getattr(exc, "code", None) or (  # type: ignore[attr-defined]
        exc.error_list[0].code if hasattr(exc, "error_list") and exc.error_list else None
    )
    return drf_exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error_to_drf(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "message": _("The request has invalid data; see errors for each field."),
            "code": getattr(exc, "domain_code", None) or "invalid",
            "errors": _field_errors(exc.detail),
        }
    else:
        detail = getattr(exc, "detail", None)
        body = {
            "message": str(detail) if detail is not None else str(exc),
            "code": getattr(detail, "code", None) or getattr(exc, "default_code", "error"),
        }
    response.data = body
    return response


def json_error(message: str, code: str, status_code: int) -> JsonResponse:
    """The same shape for errors raised outside DRF views (unknown API routes, 500s)."""
    return JsonResponse({"message": message, "code": code}, status=status_code)


NOT_FOUND = status.HTTP_404_NOT_FOUND
