"""``/api/v1/insights/``."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
