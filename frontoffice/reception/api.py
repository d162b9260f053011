"""``/api/v1/reception/``."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
