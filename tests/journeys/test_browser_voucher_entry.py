"""End to end in headless Chromium: the clerk types a voucher, watches the live balance check
reach zero and unlock posting, posts, and lands on the numbered voucher."""

from __future__ import annotations

import datetime

import pytest

from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_enters_a_voucher_sees_it_balance_and_posts_it(page, live_server, org, ledger_removable):
    from frontoffice.finance.models import JournalEntry
    from frontoffice.finance.services.chart import ledger_setup

    ledger_setup(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        first_year_start=datetime.date(2026, 1, 1),
    )
    login(page, live_server, "clerk")
    page.click("[data-nav=vouchers]")
    page.get_by_test_id("voucher-create").click()
    page.wait_for_selector("form[data-voucher-entry]")

    page.fill("#id_date", "2026-03-15")
    page.fill("#id_text", "Office rent March")
    post = page.get_by_test_id("voucher-post")
    difference = page.get_by_test_id("voucher-difference")

    page.fill("#id_lines-0-account", "5010")
    page.fill("#id_lines-0-debit", "1 250,50")
    assert difference.inner_text() == "1,250.50"
    assert post.is_disabled()

    page.fill("#id_lines-1-account", "1930")
    page.fill("#id_lines-1-credit", "1250")
    assert difference.inner_text() == "0.50"
    assert post.is_disabled()

    # A third line through "Add line": the script adds a row without a round trip.
    rows_before = page.locator("[data-line-row]").count()
    page.click("[data-add-line]")
    assert page.locator("[data-line-row]").count() == rows_before + 1
    last = rows_before
    page.fill(f"#id_lines-{last}-account", "1930")
    page.fill(f"#id_lines-{last}-credit", "0.50")

    assert difference.inner_text() == "0.00"
    assert difference.get_attribute("data-ore") == "0"
    assert page.locator("[data-total-debit]").inner_text() == "1,250.50"
    assert page.locator("[data-total-credit]").inner_text() == "1,250.50"
    assert post.is_enabled()

    post.click()
    heading = page.get_by_test_id("voucher-heading")
    heading.wait_for()
    assert heading.inner_text() == "Voucher A1"
    entry = JournalEntry.objects.get()
    assert (entry.status, entry.reference) == ("posted", "A1")
    assert page.url == f"{live_server.url}/finance/vouchers/{entry.pk}/"
    assert [
        (line.account.number, line.side, str(line.amount)) for line in entry.lines.order_by("line_no")
    ] == [
        ("5010", "D", "1250.50"),
        ("1930", "C", "1250.00"),
        ("1930", "C", "0.50"),
    ]
