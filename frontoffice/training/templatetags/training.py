"""``{% load training %}``: ``obj|tr:"title"`` (user's language with fallback) and
``text|markdown`` (sanitised HTML)."""

from __future__ import annotations

from typing import Any

from django import template

from frontoffice.training.models import localized
from frontoffice.training.rendering import render_markdown

register = template.Library()


@register.filter
def tr(obj: Any, field: str) -> str:
    return localized(obj, field) if obj is not None else ""


@register.filter
def markdown(text: str) -> str:
    return render_markdown(text)


@register.filter
def minutes(seconds: int | None) -> int:
    return round((seconds or 0) / 60)
