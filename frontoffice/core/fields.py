"""Shared model fields."""

from decimal import Decimal

from django.db import models


class MoneyField(models.DecimalField):
    """Every amount in the product: 14 digits, 2 decimals (exact on SQLite and PostgreSQL)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("default", Decimal("0.00"))
        super().__init__(*args, **kwargs)
