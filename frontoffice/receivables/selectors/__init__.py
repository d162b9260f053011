"""Receivables selectors, one module per area: payments, aging and DSO, statements, reminders."""
