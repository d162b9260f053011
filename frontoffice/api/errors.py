"""One error shape for every API failure.

    {"message": "...", "code": "...", "errors": {"field": ["..."]}}

``message`` is a sentence for people, ``code`` a stable identifier for programs (``invalid``,
``duplicate``, ``not_authenticated``, ``permission_denied``, ``not_found``, ...). ``errors``
is present for validation failures only and names each field (``non_field_errors`` for errors
about the whole request). Some failures add documented extra keys, e.g. ``duplicates`` (the
ids of the matching customers) next to code ``duplicate``.

Domain errors raised by services (Django's ``ValidationError`` with a ``code``, Django's
``PermissionDenied``, ``Http404``) get the same shape as DRF's own errors, so views never
translate errors themselves.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD_ERRORS = "non_field_errors"


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _field_errors(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list):
                flat = [str(v) for v in value if not isinstance(v, dict | list)]
                if flat:
                    out[key] = flat
                for idx, v in enumerate(value):
                    if isinstance(v, dict | list):
                        for sub, msgs in _field_errors(v).items():
                            out[f"{key}.{idx}.{sub}"] = msgs
            else:
                out[key] = [str(value)]
        return out
    if isinstance(detail, list):
        return {NON_FIELD_ERRORS: [str(v) for v in detail]}
    return {NON_FIELD_ERRORS: [str(detail)]}


def _first_code(exc: DjangoValidationError) -> str | None:
    """The code the service gave, if it gave one (``duplicate``, ``locked``, ...)."""
    if getattr(exc, "code", None):
        return exc.code
    if hasattr(exc, "error_list") and not hasattr(exc, "error_dict"):
        for error in exc.error_list:
            if getattr(error, "code", None):
                return error.code
    return None


def django_validation_error_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Model/service ``ValidationError`` → DRF's, keeping field names and the code."""
    if hasattr(exc, "error_dict"):
        detail: Any = {
            field if field != "__all__" else NON_FIELD_ERRORS: [m for e in errs for m in e.messages]
            for field, errs in exc.error_dict.items()
        }
    else:
        detail = {NON_FIELD_ERRORS: exc.messages}
    drf_exc = exceptions.ValidationError(detail)
    drf_exc.domain_code = _first_code(exc)  # type: ignore[attr-defined]
    return drf_exc


def with_extra(exc: exceptions.APIException, **extra: Any) -> exceptions.APIException:
    """Attach documented extra keys to the error body (e.g. ``duplicates=[ids]``)."""
    exc.extra = extra  # type: ignore[attr-defined]
    return exc


def error_body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        only_general = list(errors) == [NON_FIELD_ERRORS] and len(errors[NON_FIELD_ERRORS]) == 1
        body: dict[str, Any] = {
            "message": errors[NON_FIELD_ERRORS][0]
            if only_general
            else _("The request has invalid data; see errors for each field."),
            "code": getattr(exc, "domain_code", None) or "invalid",
            "errors": errors,
        }
    else:
        detail = getattr(exc, "detail", None)
        body = {
            "message": str(detail) if detail is not None else str(exc),
            "code": getattr(detail, "code", None) or exc.default_code,
        }
    body.update(getattr(exc, "extra", None) or {})
    return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: every exception a view raises → the one error shape."""
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error_to_drf(exc)
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        # A row vanished or lies outside the user's scope: the same answer either way.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    response.data = error_body(exc)
    return response


def json_error(message: str, code: str, status_code: int) -> JsonResponse:
    """The same shape for errors answered outside DRF views (unknown API routes)."""
    return JsonResponse({"message": message, "code": code}, status=status_code)


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Catch-all for unknown API routes, any method, so even DEBUG answers in JSON."""
    return json_error(_("Not found."), "not_found", 404)
