"""``/api/v1/appointments/``."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
