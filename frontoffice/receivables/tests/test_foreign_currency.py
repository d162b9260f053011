"""Payments in a foreign currency are refused with an error naming the field (page and API) or
the file's line and column (bank import), and nothing is written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontoffice.finance.models import JournalEntry
from frontoffice.receivables.models import Payment
from frontoffice.receivables.tests.test_views import invoices  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_the_payment_form_puts_the_currency_error_on_the_currency_field(invoices, org, client_for):  # noqa: F811
    before = (Payment.objects.count(), JournalEntry.objects.count())
    response = client_for("clerk").post(
        reverse("receivables:payment-create"),
        {"paid_on": "2026-03-20", "amount": "100,00", "currency": "eur"},
    )
    assert response.status_code == 400
    (error,) = response.context["form"].errors["currency"]
    assert "EUR" in error and "SEK" in error
    assert (Payment.objects.count(), JournalEntry.objects.count()) == before


def test_the_api_names_the_currency_field_and_the_code(invoices, org, client_for):  # noqa: F811
    response = client_for("clerk").post(
        "/api/v1/receivables/payments/",
        {"paid_on": "2026-03-20", "amount": "100.00", "currency": "USD"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "wrong_currency" or "wrong_currency" in str(body)
    assert "currency" in str(body.get("details", body))
    assert Payment.objects.count() == 0
