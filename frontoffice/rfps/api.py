"""``/api/v1/rfps/``."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
