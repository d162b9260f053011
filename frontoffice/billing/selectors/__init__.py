"""Billing reads, one module per area: catalogue, profiles, invoices."""
