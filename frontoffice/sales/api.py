"""``/api/v1/sales/``."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
