"""Receivables API (``/api/v1/receivables/``)."""
