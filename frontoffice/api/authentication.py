"""``Authorization: Token <token>`` against hashed, revocable personal API tokens."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from frontoffice.org.services import api_token_authenticate


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Personal API tokens: ``Authorization: Token fo_...``.

    Requests without that header fall through to session authentication. A malformed,
    unknown or revoked token (or one of a deactivated user) is a 401 whose
    ``WWW-Authenticate: Token`` header names the scheme. Token requests need no CSRF token:
    browsers never attach the header on their own.
    """

    keyword = "Token"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: expected 'Token <token>'."))
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        token = api_token_authenticate(raw=raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return self.keyword
