"""What the receivables views share: permission decorator, the working legal entity, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from frontoffice.receivables.selectors.payments import working_legal_entity


def permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def legal_entity_for(request: HttpRequest) -> Any:
    """The user's legal entity, or the one an organisation-wide user picked (``?legal_entity=``)."""
    raw = request.GET.get("legal_entity") or request.POST.get("legal_entity") or None
    if raw is not None and not str(raw).isdigit():
        raw = None
    return working_legal_entity(user=request.user, legal_entity=raw)


def error_messages(exc: ValidationError) -> list[str]:
    """Every message of a service error, field errors prefixed by nothing (they name the field)."""
    if hasattr(exc, "error_dict"):
        return [m for errors in exc.error_dict.values() for e in errors for m in e.messages]
    return list(exc.messages)
