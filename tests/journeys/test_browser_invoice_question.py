"""Journey 5 end to end in headless Chromium: the clerk drafts an invoice in the HTMX line
editor (live totals), issues it (gapless number, posted to the ledger) and makes a customer
link; the customer, not signed in, asks about one line; the clerk answers, then resolves the
question with a credit note for that line; the customer sees both and rates the answer; the
finance manager's oversight shows the rating.

Only the set-up (the company's ledger and billing, a customer with a billing profile, two
products) is written directly; everything else goes through the pages.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from frontoffice.billing.tests.conftest import billing, ledger  # noqa: F401 - fixtures used below
from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"


def text(locator) -> str:
    """The element's text with non-breaking spaces (in amounts) as plain spaces."""
    return " ".join(locator.inner_text().replace(NBSP, " ").split())


@pytest.fixture
def shop(billing, org, ledger_removable):  # noqa: F811 - the imported billing fixture
    """Rep North's customer with a billing profile (Swedish invoices) and two products."""
    from frontoffice.billing.tests.invoicing_factories import make_customer, make_product
    from frontoffice.finance.services.periods import fiscal_year_create

    today = timezone.localdate()
    for year in range(2027, today.year + 1):  # the ledger fixture opens 2026 only
        fiscal_year_create(
            actor=org.user("finance_manager"),
            legal_entity=billing,
            start_on=datetime.date(year, 1, 1),
            end_on=datetime.date(year, 12, 31),
        )
    return SimpleNamespace(
        customer=make_customer(billing, owner=org.user("rep_north"), region=org.north),
        checkup=make_product(billing, "UND-01", name="Undersökning", price="850.00", vat_code="SE25"),
        book=make_product(billing, "BOK-01", name="Tandvårdsboken", price="199.00", vat_code="SE06"),
        year=today.year,
    )


@pytest.fixture
def customer_page(browser, request):
    """A second browser: the customer, never signed in, reading Swedish."""
    from tests.journeys.conftest import ARTIFACTS

    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-customer.png"), full_page=True)
    context.close()


def assert_balanced(entry) -> None:
    lines = list(entry.lines.select_related("account"))
    debit = sum((line.amount for line in lines if line.side == "D"), Decimal("0"))
    credit = sum((line.amount for line in lines if line.side == "C"), Decimal("0"))
    assert lines and debit == credit, f"voucher {entry.reference} does not balance: {debit} != {credit}"


def test_invoice_issued_question_answered_credited_and_rated(page, customer_page, live_server, org, shop):
    from frontoffice.billing.models import Invoice, InvoiceQuestion
    from frontoffice.finance.models import JournalEntry

    ref = f"F{shop.year}-00001"

    # ---- the clerk drafts the invoice and adds two lines; the totals follow live
    login(page, live_server, "clerk")
    page.click("[data-nav=invoices]")
    page.get_by_test_id("invoice-create").click()
    page.select_option("#id_customer", label="Norrsken Bygg AB")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_test_id("invoice-heading")).to_have_text("Draft invoice")

    page.select_option("#id_line-product", label="UND-01 Undersökning")
    page.fill("#id_line-quantity", "2")
    expect(page.get_by_test_id("line-preview")).to_contain_text(
        f"This line: SEK{NBSP}1,700.00. Invoice total with it: SEK{NBSP}2,125.00"
    )
    page.get_by_test_id("line-add").click()
    expect(page.get_by_test_id("invoice-line")).to_have_count(1)
    expect(page.get_by_test_id("total")).to_have_text(f"SEK{NBSP}2,125.00")

    page.select_option("#id_line-product", label="BOK-01 Tandvårdsboken")
    page.fill("#id_line-quantity", "3")
    expect(page.get_by_test_id("line-preview")).to_contain_text(
        f"This line: SEK{NBSP}597.00. Invoice total with it: SEK{NBSP}2,757.82 (VAT SEK{NBSP}460.82)"
    )
    page.get_by_test_id("line-add").click()
    expect(page.get_by_test_id("invoice-line")).to_have_count(2)
    expect(page.get_by_test_id("net")).to_have_text(f"SEK{NBSP}2,297.00")
    expect(page.get_by_test_id("total")).to_have_text(f"SEK{NBSP}2,757.82")
    assert sorted(text(row) for row in page.get_by_test_id("vat-row").all()) == [
        "VAT 25 % on SEK 1,700.00 SEK 425.00",
        "VAT 6 % on SEK 597.00 SEK 35.82",
    ]

    # ---- issued: the first number of the series, posted as a balanced voucher
    page.get_by_test_id("invoice-issue").click()
    expect(page.get_by_test_id("invoice-heading")).to_have_text(f"Invoice {ref}")
    invoice = Invoice.objects.get(kind=Invoice.Kind.INVOICE)
    assert (invoice.status, invoice.reference, invoice.total_amount) == (
        Invoice.Status.ISSUED,
        ref,
        Decimal("2757.82"),
    )
    assert page.url == f"{live_server.url}/billing/invoices/{invoice.pk}/"
    assert invoice.voucher_id is not None
    voucher = JournalEntry.objects.get(pk=invoice.voucher_id)
    assert voucher.status == "posted"
    assert_balanced(voucher)
    receivable = voucher.lines.get(account__number="1510")
    assert (receivable.side, receivable.amount) == ("D", Decimal("2757.82"))
    expect(page.get_by_test_id("voucher-link")).to_have_text(voucher.reference)
    expect(page.get_by_test_id("open-amount")).to_have_text(f"SEK{NBSP}2,757.82")

    # ---- the customer link, shown once
    page.get_by_test_id("create-link").click()
    link_input = page.locator("#new-customer-link")
    link_input.wait_for()
    customer_url = link_input.input_value()
    assert customer_url.startswith(f"{live_server.url}/c/")
    expect(page.get_by_test_id("customer-link")).to_have_count(1)

    # ---- the customer opens the invoice and asks about line 1
    customer = customer_page
    customer.goto(customer_url)
    expect(customer.get_by_test_id("line")).to_have_count(2)
    assert "2 757,82 kr" in text(customer.get_by_test_id("total"))
    ask = customer.get_by_test_id("ask-line-1")
    ask.locator("summary").click()  # "Ask about this line" (in Swedish here)
    customer.select_option("#ask-1-category", "quantity")
    customer.fill("#ask-1-body", "Varför två undersökningar? Vi var bara där en gång.")
    customer.fill("#ask-1-name", "Nora Norrsken")
    ask.locator("button[type=submit]").click()
    expect(customer.get_by_test_id("question-asked")).to_be_visible()
    expect(customer.get_by_test_id("customer-question")).to_have_count(1)
    question = InvoiceQuestion.objects.get()
    assert (question.invoice_id, question.line.line_no, question.status) == (invoice.pk, 1, "open")
    assert question.assigned_to == org.user("clerk")

    # ---- the clerk finds it in the queue and answers
    page.click("[data-nav=invoice-questions]")
    row = page.get_by_test_id("question-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{ref} · line 1")
    row.locator("a").first.click()
    main = page.get_by_test_id("question-main")
    expect(page.locator("h1")).to_have_text(f"Question about {ref} line 1")
    expect(main.get_by_test_id("question-assignee")).to_have_text("Clerk Test")
    expect(main.get_by_test_id("message")).to_have_count(1)
    page.fill("#id_reply-body", "We are checking the visit log with the clinic and will come back today.")
    page.get_by_test_id("reply-form").get_by_role("button", name="Send answer").click()
    expect(page.get_by_test_id("question-status")).to_have_text("Answered")
    expect(page.get_by_test_id("message")).to_have_count(2)

    # ---- and resolves it with a credit note for one of the two check-ups
    page.fill("#id_resolve-explanation", "You are right: one check-up was booked twice. We credit one.")
    page.check("#id_resolve-credit")
    page.fill("#id_resolve-credit_quantity", "1")
    page.get_by_test_id("resolve-form").get_by_role("button", name="Resolve").click()
    expect(page.get_by_test_id("question-status")).to_have_text("Resolved")
    question.refresh_from_db()
    note = question.credit_note
    assert note is not None
    expect(page.get_by_test_id("question-credit-note")).to_contain_text(note.reference)
    page.goto(f"{live_server.url}/billing/invoices/{invoice.pk}/")
    expect(page.get_by_test_id("credit-notes")).to_contain_text(f"{note.reference} (SEK{NBSP}1,062.50)")
    expect(page.get_by_test_id("open-amount")).to_have_text(f"SEK{NBSP}1,695.32")

    # ---- the customer sees the answer and the credit note, and rates it 4
    customer.reload()
    messages = customer.get_by_test_id("customer-message")
    expect(messages).to_have_count(3)
    expect(messages.nth(1)).to_contain_text("checking the visit log")
    expect(messages.nth(2)).to_contain_text("We credit one.")
    expect(customer.get_by_test_id("question-credit-note")).to_contain_text(note.reference)
    rating = customer.get_by_test_id("rating-form")
    rating.locator("input[name=rating][value='4']").check()
    rating.locator("textarea[name=comment]").fill("Snabbt och vänligt, men borde inte ha hänt.")
    rating.locator("button[type=submit]").click()
    expect(customer.get_by_test_id("question-rated")).to_be_visible()
    expect(customer.get_by_test_id("question-rating")).to_contain_text("4")
    expect(customer.get_by_test_id("rating-form")).to_have_count(0)

    # ---- the finance manager's oversight shows the clerk's rating
    login(page, live_server, "finance_manager")
    page.click("[data-nav=invoice-questions]")
    page.get_by_test_id("question-oversight-link").click()
    clerk_row = page.get_by_test_id("oversight-row").filter(has_text="Clerk Test")
    expect(clerk_row).to_have_count(1)
    cells = [text(cell) for cell in clerk_row.locator("td").all()]
    assert cells[4] == "1", cells  # resolved
    assert cells[7].startswith("4"), cells  # average rating (of 1 rating)
    assert cells[8] == "100 %", cells  # rated 4-5
    assert text(page.get_by_test_id("oversight-total").locator("td").nth(6)).startswith("4")

    # ---- outcomes in the database
    question.refresh_from_db()
    assert question.status == InvoiceQuestion.Status.CLOSED
    assert (question.rating, question.rating_comment) == (4, "Snabbt och vänligt, men borde inte ha hänt.")
    assert question.resolution == InvoiceQuestion.Resolution.CREDIT_NOTE
    assert question.first_response_at is not None and question.resolved_by == org.user("clerk")
    note.refresh_from_db()
    assert (note.kind, note.credits_id, note.status) == (Invoice.Kind.CREDIT_NOTE, invoice.pk, "issued")
    assert [(line.credits_line_id, line.quantity) for line in note.lines.all()] == [
        (question.line_id, Decimal("1.000"))
    ]
    assert note.total_amount == Decimal("1062.50")  # 850.00 + 25 % VAT
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("2757.82") - Decimal("1062.50")
    assert note.voucher_id is not None and note.voucher_id != invoice.voucher_id
    for entry in JournalEntry.objects.filter(legal_entity=org.company):
        assert_balanced(entry)
    assert JournalEntry.objects.filter(legal_entity=org.company).count() == 2
