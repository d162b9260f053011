"""``/api/v1/quotes/``."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
