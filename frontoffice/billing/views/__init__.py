"""Billing views, one module per area: catalogue and settings, profiles, invoices."""
