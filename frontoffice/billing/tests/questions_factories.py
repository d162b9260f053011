"""Invoice-question test helpers: an issued invoice with a customer link, on a Monday morning.

Invoices are issued and links made through their services; questions are asked, logged and
answered through ``billing.services.questions``.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from frontoffice.billing.models import Invoice, InvoiceLine, InvoiceQuestion
from frontoffice.billing.services.invoicing import invoice_issue
from frontoffice.billing.services.links import NewLink, link_create
from frontoffice.billing.services.questions import question_ask_by_customer
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - customer, products, ...
from frontoffice.billing.tests.invoicing_factories import make_draft

__all__ = [
    "customer",  # noqa: F405
    "invoice",
    "link",
    "monday",
    "products",  # noqa: F405
    "south_customer",  # noqa: F405
    "south_invoice",
    "south_link",
    "without_pricing_app",  # noqa: F405
]

STHLM = ZoneInfo("Europe/Stockholm")
# Monday 16 March 2026, 10:00 in Stockholm: the invoice's issue day.
MONDAY_10 = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=STHLM)


def sthlm(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A Stockholm time in March 2026 (16 March is a Monday)."""
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=STHLM)


@pytest.fixture
def monday():
    """Time stands still at Monday 16 March 2026, 10:00 Stockholm time (move it with
    ``monday.move_to(...)``)."""
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def invoice(monday, org, customer, products, without_pricing_app) -> Invoice:
    """F2026-00001 to rep North's customer, issued by the clerk: line 1, 2 check-ups at 850.00
    (25 %, net 1700.00); line 2, 3 books at 199.00 (6 %, net 597.00). Total 2757.82."""
    clerk = org.user("clerk")
    draft = make_draft(clerk, customer, (products["checkup"], "2"), (products["book"], "3"))
    return invoice_issue(actor=clerk, invoice=draft)


@pytest.fixture
def south_invoice(monday, org, south_customer, products, without_pricing_app) -> Invoice:
    """An invoice to rep South's customer: one line, 1 check-up."""
    clerk = org.user("clerk")
    return invoice_issue(actor=clerk, invoice=make_draft(clerk, south_customer, (products["checkup"], "1")))


@pytest.fixture
def link(invoice, org) -> NewLink:
    return link_create(actor=org.user("clerk"), invoice=invoice)


@pytest.fixture
def south_link(south_invoice, org) -> NewLink:
    return link_create(actor=org.user("clerk"), invoice=south_invoice)


def line_of(invoice: Invoice, line_no: int = 1) -> InvoiceLine:
    return invoice.lines.get(line_no=line_no)


def ask(
    made: NewLink,
    *,
    line_no: int = 1,
    category: str = InvoiceQuestion.Category.OTHER,
    body: str = "Why are there two check-ups on this invoice?",
    **extra: Any,
) -> InvoiceQuestion:
    """The customer asks about line ``line_no`` of the linked invoice on the invoice page."""
    return question_ask_by_customer(
        link=made.link, line=line_of(made.link.invoice, line_no), category=category, body=body, **extra
    )
