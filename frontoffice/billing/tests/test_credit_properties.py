"""Property-based tests (hypothesis): whatever an invoice holds and however it is credited
(at once, or in parts and then the rest), crediting it in full brings the customer's
receivable back to zero, in open amounts and in the ledger's 1510, and the ledger stays
balanced with its hash chains intact.

Each example runs in a savepoint that is rolled back at the end (a sentinel exception), so
every example starts from the same ledger.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontoffice.billing.models import BillingSettings, Invoice, Product
from frontoffice.billing.services.crediting import credit_note_create
from frontoffice.billing.services.invoicing import (
    invoice_draft_create,
    invoice_issue,
    invoice_line_add,
)
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.invoicing_factories import make_product
from frontoffice.finance.models import JournalLine
from frontoffice.finance.services.verify import ledger_verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_pricing_app")]
D = Decimal
HYPOTHESIS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ISSUE_DAY = datetime.date(2026, 5, 4)
CREDIT_DAY = datetime.date(2026, 5, 20)


class Rollback(Exception):
    """Raised at the end of an example to undo it."""


line_strategy = st.tuples(
    st.sampled_from(["SE25", "SE12", "SE06", "SE00"]),
    st.decimals(min_value=D("0.01"), max_value=D("50000"), places=2),  # unit price
    st.decimals(min_value=D("0.001"), max_value=D("40"), places=3),  # quantity
    st.sampled_from([D("0"), D("0"), D("5"), D("12.5"), D("33.33"), D("99.99")]),  # discount
)


def ledger_receivable(legal_entity) -> Decimal:
    sums = JournalLine.objects.filter(entry__legal_entity=legal_entity, account__number="1510").aggregate(
        debit=Sum("amount", filter=Q(side="D")), credit=Sum("amount", filter=Q(side="C"))
    )
    return D(str(sums["debit"] or 0)) - D(str(sums["credit"] or 0))


def open_for(party) -> Decimal:
    return sum(
        (i.open_amount for i in Invoice.objects.filter(party=party).exclude(status="draft")), D("0.00")
    )


def ledger_totals(legal_entity) -> tuple[Decimal, Decimal]:
    sums = JournalLine.objects.filter(entry__legal_entity=legal_entity).aggregate(
        debit=Sum("amount", filter=Q(side="D")), credit=Sum("amount", filter=Q(side="C"))
    )
    return D(str(sums["debit"])).quantize(D("0.01")), D(str(sums["credit"])).quantize(D("0.01"))


@HYPOTHESIS
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=6),
    whole_krona=st.booleans(),
    parts=st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["all", "half", "0.001"])), max_size=4),
)
def test_a_full_credit_brings_the_customers_receivable_back_to_zero(
    org, billing, customer, lines, whole_krona, parts
):
    # Typed discounts by someone whose discount authority covers them (the approval of typed
    # prices is tested in test_invoice_discounts): the finance manager drafts, the clerk issues.
    clerk = org.user("clerk")
    manager = org.user("finance_manager")
    try:
        with transaction.atomic():
            BillingSettings.objects.filter(legal_entity=billing).update(round_to_whole_krona=whole_krona)
            draft = invoice_draft_create(
                actor=manager, legal_entity=billing, party=customer.party, issue_on=ISSUE_DAY
            )
            for index, (code, price, quantity, discount) in enumerate(lines):
                product = Product.objects.filter(
                    legal_entity=billing, code=f"P{index}"
                ).first() or make_product(billing, f"P{index}", price="1.00", vat_code=code)
                invoice_line_add(
                    actor=manager,
                    invoice=draft,
                    product=product,
                    quantity=quantity,
                    unit_price=price,
                    discount_percent=discount,
                )
            draft.refresh_from_db()
            if draft.total_amount <= 0:
                raise Rollback
            invoice = invoice_issue(actor=clerk, invoice=draft)
            assert open_for(customer.party) == invoice.total_amount == ledger_receivable(billing)

            # Some partial credit notes first (each for one line, part of what is left) ...
            invoice_lines = list(invoice.lines.order_by("line_no"))
            credited = D("0.00")
            for index, how in parts:
                line = invoice_lines[index % len(invoice_lines)]
                left = line.quantity - sum((c.quantity for c in line.credited_by.all()), D("0"))
                if left <= 0:
                    continue
                quantity = {"all": left, "half": (left / 2).quantize(D("0.001")), "0.001": D("0.001")}[how]
                if quantity <= 0:
                    continue
                try:
                    note = credit_note_create(
                        actor=clerk,
                        invoice=invoice,
                        lines={line.pk: quantity},
                        reason="Part",
                        issue_on=CREDIT_DAY,
                    )
                except ValidationError as exc:
                    # A part worth nothing (0.00) cannot be credited alone; rounded down to
                    # whole kronor, earlier parts may already have given back the whole total.
                    assert exc.code in ("zero_total", "already_credited"), exc
                    continue
                credited += note.total_amount
            # ... then everything that is left.
            invoice.refresh_from_db()
            if invoice.status != Invoice.Status.CREDITED:
                note = credit_note_create(
                    actor=clerk, invoice=invoice, reason="The rest", issue_on=CREDIT_DAY
                )
                credited += note.total_amount
            invoice.refresh_from_db()

            assert invoice.status == Invoice.Status.CREDITED
            assert credited == invoice.total_amount
            notes = list(Invoice.objects.filter(credits=invoice))
            assert all(abs(n.rounding_amount) <= D("0.50") for n in notes)
            for note in notes:
                assert note.total_amount == note.net_amount + note.vat_amount + note.rounding_amount > 0
            every_unit = all(
                sum((c.quantity for c in line.credited_by.all()), D("0")) == line.quantity
                for line in invoice_lines
            )
            if every_unit:
                # Every line credited in full: exactly its net, and exactly the invoice's VAT.
                assert sum((n.vat_amount for n in notes), D("0.00")) == invoice.vat_amount
                assert sum((n.net_amount for n in notes), D("0.00")) == invoice.net_amount
                assert sum((n.rounding_amount for n in notes), D("0.00")) == invoice.rounding_amount
                for line in invoice_lines:
                    assert sum((c.net_amount for c in line.credited_by.all()), D("0.00")) == line.net_amount
            else:
                # The parts reached the total before the last unit: what is left is worth
                # nothing, or the invoice was rounded down to whole kronor.
                left = sum(
                    (line.net_amount - sum((c.net_amount for c in line.credited_by.all()), D("0.00")))
                    for line in invoice_lines
                )
                assert left == D("0.00") or invoice.rounding_amount < 0
            assert open_for(customer.party) == D("0.00")
            assert ledger_receivable(billing) == D("0.00")
            debit, credit = ledger_totals(billing)
            assert debit == credit
            assert ledger_verify(legal_entity=billing).ok is True
            raise Rollback
    except Rollback:
        pass
