"""Journey 3 end to end in headless Chromium: a customer who buys every month is due to
reorder; the rep finds them on the repeat-customer worklist, opens their purchase history,
starts a new quote from the last order (same products and quantities, priced by today's
profile) and sends it.

Only the history (a customer with a billing profile and three monthly invoices, 30 days apart,
the last 28 days ago) is written directly, through the billing services.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from frontoffice.billing.tests.conftest import billing, ledger  # noqa: F401 - fixtures used below
from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "Malmbergets Tandvård AB"


@pytest.fixture
def monthly_customer(billing, org, ledger_removable):  # noqa: F811 - the imported billing fixture
    from frontoffice.billing.services.invoicing import invoices_issue_batch
    from frontoffice.billing.tests.invoicing_factories import make_customer, make_draft, make_product

    clerk = org.user("clerk")
    profile = make_customer(
        billing,
        name=CUSTOMER,
        owner=org.user("rep_north"),
        region=org.north,
        billing_email="ekonomi@malmberget.example",
    )
    brush = make_product(billing, "HY-TB", name="Tandborstar, 100-pack", price="1290.00")
    paste = make_product(billing, "HY-TK", name="Tandkräm, 50 tuber", price="640.00")
    today = timezone.localdate()
    drafts = [
        make_draft(clerk, profile, (brush, "2"), (paste, "1"), issue_on=today - datetime.timedelta(days=days))
        for days in (88, 58, 28)
    ]
    invoices_issue_batch(actor=clerk, invoices=drafts)
    return profile


def test_rep_finds_a_customer_due_to_reorder_and_quotes_the_last_order(
    page, live_server, org, monthly_customer
):
    from frontoffice.quotes.models import Quote

    login(page, live_server, "rep_north")
    page.goto(f"{live_server.url}/sales/repeat/")
    row = page.get_by_test_id("repeat-row").filter(has_text=CUSTOMER)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("status-due")).to_be_visible()

    # The customer's purchase history: a monthly rhythm, next order expected in two days.
    row.get_by_role("link", name=CUSTOMER).click()
    expect(page.get_by_test_id("rhythm-overall")).to_contain_text("30")
    expect(page.get_by_test_id("history-invoice")).to_have_count(3)

    page.get_by_test_id("quote-from-last-order").first.click()
    expect(page.get_by_test_id("quote-from-invoice")).to_contain_text("Tandborstar, 100-pack")
    page.get_by_test_id("quote-from-invoice-submit").click()

    expect(page.get_by_test_id("quote-heading")).to_be_visible()
    lines = page.get_by_test_id("quote-line")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text="Tandborstar, 100-pack")).to_contain_text("2")
    # 2 x 1,290 + 640 = 3,220 net, with 25 % VAT 4,025.
    expect(page.get_by_test_id("total")).to_contain_text("025")

    quote = Quote.objects.get(party=monthly_customer.party)
    assert quote.total_amount == quote.net_amount * 5 / 4
    assert quote.net_amount == 3220

    page.get_by_test_id("quote-send").click()
    expect(page.get_by_test_id("quote-heading")).to_be_visible()
    quote.refresh_from_db()
    assert quote.status == "sent"
    assert any("ekonomi@malmberget.example" in message.to for message in mail.outbox)
