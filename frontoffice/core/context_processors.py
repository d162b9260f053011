"""Template context shared by every page: the navigation the user may see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from frontoffice.core.registry import registry


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_main": [], "nav_settings": []}
    current = request.path
    items: dict[str, list[dict[str, Any]]] = {"main": [], "settings": []}
    for item in registry.nav:
        if item.permission and not user.has_perm(item.permission):
            continue
        if item.visible is not None and not item.visible(user):
            continue
        url = reverse(item.url_name)
        items[item.section].append({"key": item.key, "label": item.label, "url": url, "active": False})
    # The current page belongs to the entry with the longest matching address only
    # (/activities/meetings/ is "Meetings", not also "Today" at /activities/).
    matches = [entry for entries in items.values() for entry in entries if current.startswith(entry["url"])]
    if matches:
        max(matches, key=lambda entry: len(entry["url"]))["active"] = True
    return {"nav_main": items["main"], "nav_settings": items["settings"]}
