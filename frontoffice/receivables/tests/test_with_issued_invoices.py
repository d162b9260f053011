"""Receivables on invoices issued and credited by billing's own services (not the ORM-built
invoices of the other tests): OCR matching on real references, credit notes in the aging,
and the ledger's receivables equal to the open amounts throughout."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from frontoffice.billing.models import Invoice
from frontoffice.billing.services.crediting import credit_note_create
from frontoffice.billing.services.invoicing import invoice_issue
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - customer, products, ...
from frontoffice.billing.tests.invoicing_factories import make_draft
from frontoffice.finance.services.verify import ledger_verify
from frontoffice.receivables.bankfile import Mapping
from frontoffice.receivables.selectors.aging import receivables_aging
from frontoffice.receivables.services.bank_import import bank_file_import
from frontoffice.receivables.services.payments import AllocationInput, payment_register, payment_unallocate
from frontoffice.receivables.tests.factories import account_balance, open_total

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2026, 5, 31)


@pytest.fixture
def issued(customer, south_customer, products, org, without_pricing_app):
    clerk = org.user("clerk")
    north = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (products["checkup"], "2")))
    south = invoice_issue(actor=clerk, invoice=make_draft(clerk, south_customer, (products["checkup"], "1")))
    return north, south


def test_a_bank_file_pays_issued_invoices_by_their_ocr_references(issued, org):
    north, south = issued
    assert north.total_amount == Decimal("2125.00") and south.total_amount == Decimal("1062.50")
    data = (
        "Datum;Belopp;OCR;Namn\n"
        f"2026-03-30;2 125,00;{north.payment_reference};Norrsken Bygg AB\n"
        f"2026-03-31;500,00;{south.payment_reference};Söderbergs Tandlab AB\n"
    ).encode()
    result = bank_file_import(
        actor=org.user("clerk"),
        legal_entity=org.company,
        data=data,
        file_name="bg.csv",
        mapping=Mapping(date="Datum", amount="Belopp", reference="OCR", payer="Namn"),
    )
    assert result.matched_count == 2
    north.refresh_from_db()
    south.refresh_from_db()
    assert (north.status, north.open_amount) == (Invoice.Status.PAID, Decimal("0.00"))
    assert south.open_amount == Decimal("562.50")
    assert account_balance(org.company, "1510") == open_total(org.company) == Decimal("562.50")
    assert ledger_verify(legal_entity=org.company).ok


def test_a_credit_note_after_payment_shows_as_negative_in_the_aging_and_blocks_undoing(issued, org):
    north, south = issued
    clerk = org.user("clerk")
    payment = payment_register(
        actor=clerk,
        legal_entity=org.company,
        paid_on=datetime.date(2026, 3, 30),
        amount="2125.00",
        allocations=[AllocationInput(north, "2125.00")],
    )
    note = credit_note_create(
        actor=clerk, invoice=north, reason="Fel pris", issue_on=datetime.date(2026, 4, 2)
    )
    north.refresh_from_db()
    assert north.status == Invoice.Status.CREDITED
    assert note.open_amount == Decimal("-2125.00")  # paid, then credited: to be paid back
    aging = receivables_aging(user=clerk, legal_entity=org.company, as_of=AS_OF)
    by_name = {row.party_name: row for row in aging.rows}
    assert by_name["Norrsken Bygg AB"].total == Decimal("-2125.00")
    assert aging.totals.total == Decimal("-2125.00") + south.open_amount
    assert account_balance(org.company, "1510") == open_total(org.company)
    with pytest.raises(ValidationError) as error:
        payment_unallocate(actor=clerk, allocation=payment.allocations.get(), on=AS_OF)
    assert error.value.code == "not_settleable"
    assert ledger_verify(legal_entity=org.company).ok
