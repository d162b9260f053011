"""Quotes end to end in headless Chromium: a sales rep makes a quote for a customer with an
approved price profile from the customer page (the profile prices the product by itself, the
totals follow live), sends it; the customer opens the private link, reads it and accepts it
with their name; the clerk turns the accepted quote into a draft invoice with the same prices.

Only the set-up (ledger and billing, a product group and product, the customer with a billing
profile and an approved price profile: the ``priced_customer`` fixture) is written directly,
through services.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.journeys.conftest import PRICED_CUSTOMER as CUSTOMER
from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"


def test_rep_quotes_customer_accepts_online_clerk_invoices(page, live_server, org, priced_customer):
    from frontoffice.billing.models import Invoice
    from frontoffice.quotes.models import Quote

    # ---- the rep starts a quote from the customer page's card
    login(page, live_server, "rep_north")
    page.click("[data-nav=parties]")
    page.get_by_role("link", name=CUSTOMER).first.click()
    expect(page.locator("h1")).to_have_text(CUSTOMER)
    page.get_by_test_id("party-quote-new").click()
    assert page.locator("#id_customer option:checked").inner_text() == CUSTOMER
    page.get_by_test_id("quote-create-submit").click()
    expect(page.get_by_test_id("quote-heading")).to_have_text(re.compile(r"Quote Q\d{4}-00001"))

    # ---- the customer's approved profile prices the product; the totals follow live
    page.select_option("#id_line-product", label="UND-01 Undersökning")
    page.fill("#id_line-quantity", "2")
    # 2 x 850.00 less 12 % = 1,496.00; with 25 % VAT 1,870.00
    expect(page.get_by_test_id("line-preview")).to_contain_text(f"This line: SEK{NBSP}1,496.00.")
    expect(page.get_by_test_id("line-preview")).to_contain_text(f"SEK{NBSP}1,870.00")
    page.get_by_test_id("line-add").click()
    line = page.get_by_test_id("quote-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("12 %")
    expect(line).to_contain_text("Price profile “Volym”")
    expect(page.get_by_test_id("total")).to_contain_text(f"SEK{NBSP}1,870.00")

    # ---- sent by e-mail with a private link
    mail.outbox.clear()
    page.get_by_test_id("quote-send").click()
    expect(page.locator("[data-status=sent]").first).to_be_visible()
    quote = Quote.objects.get()
    assert quote.status == "sent"
    [message] = mail.outbox
    assert message.to == ["ekonomi@fjallbjork.example"]
    path = re.search(r"/q/[A-Za-z0-9_-]{43}/", message.body).group(0)

    # ---- the customer opens the link (no sign-in), reads it and accepts it
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_test_id("customer-quote")).to_contain_text(quote.reference)
    expect(page.get_by_test_id("customer-quote-total")).to_contain_text(f"SEK{NBSP}1,870.00")
    accept = page.get_by_test_id("quote-accept-form")
    accept.get_by_label("Your name").fill("Karin Ek")
    accept.get_by_role("button", name="Accept").click()
    expect(accept.locator(".field--error")).to_have_count(1)  # the box is not ticked yet
    accept = page.get_by_test_id("quote-accept-form")
    accept.get_by_label(re.compile("I accept this quote")).check()
    accept.get_by_role("button", name="Accept").click()
    expect(page.get_by_test_id("quote-accepted")).to_contain_text("Karin Ek accepted this quote")
    quote.refresh_from_db()
    assert (quote.status, quote.accepted_by_name) == ("accepted", "Karin Ek")

    # ---- the clerk makes the invoice from the accepted quote
    login(page, live_server, "clerk")
    page.click("[data-nav=quotes]")
    page.get_by_role("link", name=quote.reference).click()
    expect(page.get_by_test_id("accepted-by")).to_contain_text("Karin Ek")
    page.get_by_test_id("quote-invoice").click()
    expect(page.get_by_test_id("invoice-heading")).to_have_text("Draft invoice")
    expect(page.get_by_test_id("invoice-line")).to_contain_text(f"SEK{NBSP}1,496.00")
    invoice = Invoice.objects.get()
    assert (invoice.source_type, invoice.source_id, invoice.total_amount) == (
        "quote",
        str(quote.pk),
        Decimal("1870.00"),
    )
    [invoiced] = invoice.lines.all()
    assert (invoiced.unit_price_amount, invoiced.discount_percent) == (Decimal("850.00"), Decimal("12.00"))
