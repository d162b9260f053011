"""``/api/v1/surveys/``: survey settings, requests and answers; complaints."""

from __future__ import annotations

urlpatterns: list = []
