"""Receivables services, one module per area: payments, bank files, reminders and disputes."""
