import datetime
from decimal import Decimal

import pytest

from frontoffice.billing.models import Invoice
from frontoffice.core.scoping import user_scope
from frontoffice.receivables.selectors.aging import (
    BUCKETS,
    aging_invoices,
    days_sales_outstanding,
    receivables_aging,
)
from frontoffice.receivables.selectors.statements import customer_statement
from frontoffice.receivables.services.payments import AllocationInput, payment_register
from frontoffice.receivables.tests.factories import make_invoice

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2026, 6, 30)


def due(days_overdue: int) -> datetime.date:
    return AS_OF - datetime.timedelta(days=days_overdue)


@pytest.fixture
def ledger_of_invoices(customers, org):
    """North: one invoice in every bucket (and the bucket edges); South: one overdue and a credit note."""
    n = customers.north
    make_invoice(org, n, "100.00", issue_on=datetime.date(2026, 6, 1), due_on=AS_OF)  # due today: not due
    make_invoice(org, n, "200.00", issue_on=datetime.date(2026, 5, 1), due_on=due(1))
    make_invoice(org, n, "300.00", issue_on=datetime.date(2026, 5, 1), due_on=due(30))
    make_invoice(org, n, "400.00", issue_on=datetime.date(2026, 4, 1), due_on=due(31))
    make_invoice(org, n, "500.00", issue_on=datetime.date(2026, 3, 1), due_on=due(60))
    make_invoice(org, n, "600.00", issue_on=datetime.date(2026, 3, 1), due_on=due(61))
    make_invoice(org, n, "700.00", issue_on=datetime.date(2026, 2, 1), due_on=due(90))
    make_invoice(org, n, "800.00", issue_on=datetime.date(2026, 1, 2), due_on=due(91))
    paid = make_invoice(org, n, "50.00", issue_on=datetime.date(2026, 6, 1), due_on=due(5))
    payment_register(
        actor=org.user("clerk"),
        legal_entity=org.company,
        paid_on=datetime.date(2026, 6, 10),
        amount="50.00",
        allocations=[AllocationInput(paid, "50.00")],
    )
    make_invoice(
        org, n, "999.00", issue_on=datetime.date(2026, 7, 1), due_on=datetime.date(2026, 7, 31)
    )  # after as_of
    s = customers.south
    partly = make_invoice(org, s, "1000.00", issue_on=datetime.date(2026, 5, 1), due_on=due(45))
    payment_register(
        actor=org.user("clerk"),
        legal_entity=org.company,
        paid_on=datetime.date(2026, 6, 15),
        amount="250.00",
        allocations=[AllocationInput(partly, "250.00")],
    )
    make_invoice(
        org,
        s,
        "125.00",
        issue_on=datetime.date(2026, 6, 20),
        due_on=datetime.date(2026, 6, 20),
        credit_note=True,
    )
    return customers


def buckets(row) -> list[Decimal]:
    return [getattr(row, key) for key, _label in BUCKETS]


def test_aging_puts_open_amounts_in_buckets_per_customer_with_totals(
    ledger_of_invoices, org, django_assert_num_queries
):
    clerk = org.user("clerk")
    user_scope(clerk)  # the user's reach is computed once per request, before the report
    with django_assert_num_queries(1):
        aging = receivables_aging(user=clerk, legal_entity=org.company, as_of=AS_OF)
    north, south = aging.rows
    assert north.party_name == "Norrsken Bygg AB"
    assert buckets(north) == [Decimal(x) for x in ("100.00", "500.00", "900.00", "1300.00", "800.00")]
    assert north.total == Decimal("3600.00")
    assert north.count == 8
    # The credit note (due 2026-06-20, 10 days back) lowers South's 1-30 bucket.
    assert buckets(south) == [Decimal(x) for x in ("0.00", "-125.00", "750.00", "0.00", "0.00")]
    assert south.total == Decimal("625.00")
    assert buckets(aging.totals) == [Decimal(x) for x in ("100.00", "375.00", "1650.00", "1300.00", "800.00")]
    assert aging.totals.total == Decimal("4225.00")


def test_sales_reps_see_the_aging_of_their_own_customers_only(ledger_of_invoices, org):
    (row,) = receivables_aging(user=org.user("rep_north"), legal_entity=org.company, as_of=AS_OF).rows
    assert row.party_name == "Norrsken Bygg AB"
    (row,) = receivables_aging(user=org.user("rep_south"), legal_entity=org.company, as_of=AS_OF).rows
    assert row.party_name == "Söderljus Tandvård AB"
    assert len(receivables_aging(user=org.user("nsm"), legal_entity=org.company, as_of=AS_OF).rows) == 2
    assert receivables_aging(user=org.user("other_clerk"), legal_entity=org.company, as_of=AS_OF).rows == []
    assert receivables_aging(
        user=org.user("nobody"), legal_entity=org.company, as_of=AS_OF
    ).totals.total == Decimal("0.00")


def test_the_drill_down_lists_the_invoices_of_one_bucket(ledger_of_invoices, org):
    north = ledger_of_invoices.north
    invoices = aging_invoices(
        user=org.user("clerk"), legal_entity=org.company, as_of=AS_OF, party=north.pk, bucket="days_31_60"
    )
    assert [i.total_amount for i in invoices] == [Decimal("500.00"), Decimal("400.00")]
    assert (
        aging_invoices(
            user=org.user("rep_south"), legal_entity=org.company, as_of=AS_OF, party=north.pk
        ).count()
        == 0
    )


def test_dso_is_receivables_over_credit_sales_times_days(ledger_of_invoices, org):
    dso = days_sales_outstanding(user=org.user("clerk"), legal_entity=org.company, as_of=AS_OF, days=90)
    # Receivables 4225.00 open; credit sales issued in the 90 days 2026-04-02..2026-06-30:
    # 100 + 200 + 300 + 50 + 1000 - 125 (the 400 of 2026-04-01 is a day too early).
    assert dso.receivables == Decimal("4225.00")
    assert dso.credit_sales == Decimal("1525.00")
    assert (dso.days, dso.date_from) == (90, datetime.date(2026, 4, 2))
    assert dso.dso == Decimal("249.3")


def test_dso_without_sales_is_none(billing, org):
    dso = days_sales_outstanding(user=org.user("clerk"), legal_entity=org.company, as_of=AS_OF, days=30)
    assert (dso.receivables, dso.credit_sales, dso.dso) == (Decimal("0.00"), Decimal("0.00"), None)


def test_a_customer_statement_lists_open_items_payments_and_the_balance(ledger_of_invoices, org):
    south = ledger_of_invoices.south
    payment_register(
        actor=org.user("clerk"),
        legal_entity=org.company,
        paid_on=datetime.date(2026, 6, 25),
        amount="40.00",
        party=south,
    )
    statement = customer_statement(
        user=org.user("clerk"), party=south.pk, as_of=AS_OF, date_from=datetime.date(2026, 6, 1)
    )
    assert [(i.kind, i.open_amount) for i in statement.open_items] == [
        (Invoice.Kind.INVOICE, Decimal("750.00")),
        (Invoice.Kind.CREDIT_NOTE, Decimal("-125.00")),
    ]
    assert [(p.paid_on, p.amount) for p in statement.payments] == [
        (datetime.date(2026, 6, 15), Decimal("250.00")),
        (datetime.date(2026, 6, 25), Decimal("40.00")),
    ]
    assert statement.open_total == Decimal("625.00")
    assert statement.unallocated_total == Decimal("40.00")
    assert statement.balance == Decimal("585.00")


def test_statements_are_scoped(ledger_of_invoices, org):
    from django.http import Http404

    with pytest.raises(Http404):
        customer_statement(user=org.user("rep_north"), party=ledger_of_invoices.south.pk, as_of=AS_OF)
    with pytest.raises(Http404):
        customer_statement(user=org.user("other_clerk"), party=ledger_of_invoices.south.pk, as_of=AS_OF)
    assert customer_statement(
        user=org.user("rep_south"), party=ledger_of_invoices.south.pk, as_of=AS_OF
    ).open_total == Decimal("625.00")
