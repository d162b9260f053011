"""``/api/v1/training/``."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
