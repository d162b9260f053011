"""Small request helpers shared by the desks' views."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, default: str) -> str:
    """``next`` from the form or query string when it points into this site, else ``default``
    (never an open redirect to another host or scheme)."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default
