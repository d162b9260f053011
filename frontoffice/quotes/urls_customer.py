"""Customer-facing quote pages behind private links, mounted at ``/q/`` (no sign-in)."""

from django.urls import path  # noqa: F401

app_name = "customer_quote"
urlpatterns: list = []
