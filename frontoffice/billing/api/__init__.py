"""Billing API (``/api/v1/billing/``), one module per area; each exposes ``urlpatterns``."""
