"""Receivables views, one module per area: payments, bank files, reports, reminders."""
