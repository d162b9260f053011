import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.billing.models import Invoice
from frontoffice.core.models import AuditEntry
from frontoffice.finance.models import JournalEntry, PostingRejection
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.finance.services.verify import ledger_verify
from frontoffice.receivables.models import Payment, PaymentAllocation, ReceivablesSettings
from frontoffice.receivables.services.common import receivables_settings_for
from frontoffice.receivables.services.payments import (
    AllocationInput,
    payment_allocate,
    payment_register,
    payment_unallocate,
)
from frontoffice.receivables.tests.factories import account_balance, make_invoice, open_total

pytestmark = pytest.mark.django_db
PAID_ON = datetime.date(2026, 3, 20)


def lines(entry: JournalEntry) -> set[tuple[str, str, Decimal]]:
    return {(line.account.number, line.side, line.amount) for line in entry.lines.select_related("account")}


def state() -> tuple[int, ...]:
    return (
        Payment.objects.count(),
        PaymentAllocation.objects.count(),
        JournalEntry.objects.count(),
        AuditEntry.objects.filter(action__startswith="receivables.").count(),
        PostingRejection.objects.count(),
    )


def invoices_state() -> list[tuple[int, Decimal, str]]:
    return list(Invoice.objects.order_by("pk").values_list("pk", "open_amount", "status"))


def assert_receivables_match_ledger(org) -> None:
    assert open_total(org.company) - unallocated_on_receivables(org) == account_balance(org.company, "1510")
    report = ledger_verify(legal_entity=org.company)
    assert report.ok, report.problems


def unallocated_on_receivables(org) -> Decimal:
    settings = ReceivablesSettings.objects.filter(legal_entity=org.company).first()
    if settings is None or settings.prepayment_account_id:
        return Decimal("0.00")
    return sum((p.unallocated_amount for p in Payment.objects.all()), Decimal("0.00"))


def register(org, persona="clerk", **kw):
    kw.setdefault("legal_entity", org.company)
    kw.setdefault("paid_on", PAID_ON)
    kw.setdefault("amount", Decimal("1250.00"))
    return payment_register(actor=org.user(persona), **kw)


# ---------------------------------------------------------------- registering


def test_a_payment_of_a_whole_invoice_pays_it_and_posts_bank_against_receivables(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    payment = register(
        org,
        payer_name="Norrsken Bygg AB",
        allocations=[AllocationInput(invoice=invoice, amount=Decimal("1250.00"))],
    )
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("0.00"), Invoice.Status.PAID)
    assert payment.party == customers.north
    assert payment.unallocated_amount == Decimal("0.00")
    assert payment.currency == "SEK"
    assert payment.source == Payment.Source.MANUAL
    assert payment.bank_account.number == "1930"
    assert payment.voucher.series.code == "B"
    assert payment.voucher.date == PAID_ON
    assert lines(payment.voucher) == {("1930", "D", Decimal("1250.00")), ("1510", "C", Decimal("1250.00"))}
    assert AuditEntry.objects.filter(
        action="receivables.payment.registered", object_id=str(payment.pk)
    ).exists()
    assert_receivables_match_ledger(org)


def test_a_partial_payment_leaves_the_rest_open(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    register(org, amount="500.00", allocations=[AllocationInput(invoice=invoice.pk, amount="500.00")])
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("750.00"), Invoice.Status.ISSUED)
    assert_receivables_match_ledger(org)


def test_one_payment_can_pay_several_invoices(customers, org):
    first = make_invoice(org, customers.north, "1250.00")
    second = make_invoice(org, customers.north, "625.00")
    payment = register(
        org,
        amount="1875.00",
        allocations=[AllocationInput(first, "1250.00"), AllocationInput(second, "625.00")],
    )
    assert set(Invoice.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
        "paid"
    }
    assert payment.allocations.count() == 2
    assert lines(payment.voucher) == {("1930", "D", Decimal("1875.00")), ("1510", "C", Decimal("1875.00"))}


def test_an_overpayment_stays_unallocated_on_the_customer_prepayment_account(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    payment = register(org, amount="1500.00", allocations=[AllocationInput(invoice, "1250.00")])
    assert payment.unallocated_amount == Decimal("250.00")
    assert lines(payment.voucher) == {
        ("1930", "D", Decimal("1500.00")),
        ("1510", "C", Decimal("1250.00")),
        ("2420", "C", Decimal("250.00")),
    }
    assert account_balance(org.company, "2420") == Decimal("-250.00")
    assert_receivables_match_ledger(org)


def test_a_payment_nobody_recognises_goes_to_the_prepayment_account_unallocated(customers, org):
    payment = register(org, amount="300.00", payer_name="Okänd betalare", reference="faktura mars")
    assert payment.party is None
    assert payment.unallocated_amount == Decimal("300.00")
    assert lines(payment.voucher) == {("1930", "D", Decimal("300.00")), ("2420", "C", Decimal("300.00"))}


def test_without_a_prepayment_account_unallocated_money_stays_on_receivables(customers, org):
    receivables_settings_for(org.company)  # the defaults, then without 2420
    ReceivablesSettings.objects.filter(legal_entity=org.company).update(prepayment_account=None)
    invoice = make_invoice(org, customers.north, "1250.00")
    payment = register(org, amount="1500.00", allocations=[AllocationInput(invoice, "1250.00")])
    assert lines(payment.voucher) == {("1930", "D", Decimal("1500.00")), ("1510", "C", Decimal("1500.00"))}
    later = register(org, amount="100.00")
    payment_allocate(
        actor=org.user("clerk"),
        payment=later,
        allocations=[AllocationInput(make_invoice(org, customers.north, "100.00"), "100.00")],
        on=PAID_ON,
    )
    assert later.allocations.get().voucher is None  # nothing moves between accounts
    assert_receivables_match_ledger(org)


def test_a_valid_ocr_reference_matches_the_invoice_automatically(customers, org):
    invoice = make_invoice(org, customers.south, "1250.00")
    payment = register(org, amount="1000.00", reference=f" {invoice.payment_reference} ")
    assert payment.party == customers.south
    allocation = payment.allocations.get()
    assert (allocation.invoice, allocation.amount) == (invoice, Decimal("1000.00"))
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("250.00")


def test_an_ocr_payment_above_the_open_amount_keeps_the_overpayment_unallocated(customers, org):
    invoice = make_invoice(org, customers.south, "1250.00")
    payment = register(org, amount="1300.00", reference=invoice.payment_reference)
    assert payment.allocations.get().amount == Decimal("1250.00")
    assert payment.unallocated_amount == Decimal("50.00")


def test_a_reference_with_a_wrong_check_digit_matches_nothing(customers, org):
    invoice = make_invoice(org, customers.south, "1250.00")
    wrong = invoice.payment_reference[:-1] + str((int(invoice.payment_reference[-1]) + 1) % 10)
    payment = register(org, amount="1250.00", reference=wrong)
    assert payment.allocations.count() == 0
    assert payment.unallocated_amount == Decimal("1250.00")


def test_the_same_idempotency_key_returns_the_first_payment(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    kwargs = {"allocations": [AllocationInput(invoice, "1250.00")], "idempotency_key": "bank-2026-03-20-1"}
    first = register(org, **kwargs)
    before = state()
    again = register(org, **kwargs)
    assert again.pk == first.pk
    assert state() == before


# ---------------------------------------------------------------- bad input leaves nothing


def test_a_payment_in_another_currency_is_refused_and_nothing_is_written(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    before, invoices = state(), invoices_state()
    with pytest.raises(ValidationError) as error:
        register(org, currency="EUR", allocations=[AllocationInput(invoice, "1250.00")])
    assert error.value.error_dict["currency"][0].code == "wrong_currency"
    assert "SEK" in error.value.error_dict["currency"][0].messages[0]
    assert (state(), invoices_state()) == (before, invoices)


def test_allocating_more_than_the_payment_is_refused(customers, org):
    first = make_invoice(org, customers.north, "1250.00")
    second = make_invoice(org, customers.north, "625.00")
    before, invoices = state(), invoices_state()
    with pytest.raises(ValidationError) as error:
        register(
            org,
            amount="1500.00",
            allocations=[AllocationInput(first, "1250.00"), AllocationInput(second, "625.00")],
        )
    assert error.value.error_dict["allocations"][0].code == "over_allocation"
    assert (state(), invoices_state()) == (before, invoices)


def test_allocating_more_than_an_invoice_has_open_is_refused_naming_the_line(customers, org):
    first = make_invoice(org, customers.north, "1250.00")
    second = make_invoice(org, customers.north, "625.00")
    before, invoices = state(), invoices_state()
    with pytest.raises(ValidationError) as error:
        register(
            org,
            amount="2000.00",
            allocations=[AllocationInput(first, "1250.00"), AllocationInput(second, "700.00")],
        )
    assert error.value.error_dict["allocations.1.amount"][0].code == "over_allocation"
    assert (state(), invoices_state()) == (before, invoices)


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0.5, "invalid_amount"),
        ("-10.00", "invalid_amount"),
        ("0", "invalid_amount"),
        ("12.345", "invalid_amount"),
        ("abc", "invalid_amount"),
    ],
)
def test_amounts_are_positive_exact_decimals(customers, org, amount, code):
    before = state()
    with pytest.raises(ValidationError) as error:
        register(org, amount=amount)
    assert error.value.error_dict["amount"][0].code == code
    assert state() == before


def test_the_same_invoice_twice_in_one_payment_is_refused(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    with pytest.raises(ValidationError) as error:
        register(org, allocations=[AllocationInput(invoice, "100.00"), AllocationInput(invoice, "100.00")])
    assert error.value.error_dict["allocations.1.invoice"][0].code == "duplicate_invoice"


def test_a_paid_credit_note_or_draft_cannot_take_an_allocation(customers, org):
    credit = make_invoice(org, customers.north, "100.00", credit_note=True)
    with pytest.raises(ValidationError) as error:
        register(org, amount="100.00", allocations=[AllocationInput(credit, "100.00")])
    assert error.value.error_dict["allocations.0.invoice"][0].code == "not_settleable"


def test_a_foreign_currency_invoice_cannot_take_a_krona_payment(customers, org):
    invoice = make_invoice(org, customers.north, "100.00", currency="EUR")
    with pytest.raises(ValidationError) as error:
        register(org, amount="100.00", allocations=[AllocationInput(invoice, "100.00")])
    assert error.value.error_dict["allocations.0.invoice"][0].code == "wrong_currency"


def test_a_date_outside_the_fiscal_years_is_refused_and_nothing_is_written(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    before, invoices = state(), invoices_state()
    with pytest.raises(ValidationError) as error:
        register(org, paid_on=datetime.date(2025, 12, 31), allocations=[AllocationInput(invoice, "1250.00")])
    assert isinstance(error.value, PostingRejected)
    assert [v.code for v in error.value.violations] == ["no_fiscal_year"]
    assert (state(), invoices_state()) == (before, invoices)


# ---------------------------------------------------------------- scope and permissions


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "nsm", "receptionist", "nobody"])
def test_only_clerks_and_the_finance_manager_register_payments(customers, org, persona):
    before = state()
    with pytest.raises(PermissionDenied):
        register(org, persona=persona)
    assert state() == before


def test_the_finance_manager_registers_payments(customers, org):
    assert register(org, persona="finance_manager").pk


def test_another_company_clerk_cannot_register_in_this_company(customers, org):
    with pytest.raises(PermissionDenied):
        register(org, persona="other_clerk")


def test_another_company_clerk_cannot_reach_this_company_invoices(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    with pytest.raises((PermissionDenied, ValidationError)):
        register(
            org,
            persona="other_clerk",
            legal_entity=org.other_company,
            allocations=[AllocationInput(invoice, "1250.00")],
        )
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("1250.00")


def test_a_customer_outside_the_company_is_refused(customers, org):
    with pytest.raises(ValidationError) as error:
        register(org, party=customers.other)
    assert error.value.error_dict["party"][0].code == "unknown_party"


# ---------------------------------------------------------------- allocating later, undoing


def test_allocating_an_unallocated_payment_later_moves_it_from_prepayments_to_receivables(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    payment = register(org, amount="1000.00")
    payment = payment_allocate(
        actor=org.user("clerk"),
        payment=payment,
        allocations=[AllocationInput(invoice, "1000.00")],
        on=PAID_ON,
    )
    assert payment.unallocated_amount == Decimal("0.00")
    assert payment.party == customers.north
    allocation = payment.allocations.get()
    assert lines(allocation.voucher) == {("2420", "D", Decimal("1000.00")), ("1510", "C", Decimal("1000.00"))}
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("250.00")
    assert account_balance(org.company, "2420") == Decimal("0.00")
    assert_receivables_match_ledger(org)


def test_allocating_later_is_idempotent_with_a_key(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    payment = register(org, amount="1000.00")
    args = {
        "payment": payment,
        "allocations": [AllocationInput(invoice, "400.00")],
        "on": PAID_ON,
        "idempotency_key": "k1",
    }
    payment_allocate(actor=org.user("clerk"), **args)
    before = state()
    payment_allocate(actor=org.user("clerk"), **args)
    assert state() == before
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("850.00")


def test_allocating_more_than_is_unallocated_is_refused(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    payment = register(org, amount="1000.00")
    before, invoices = state(), invoices_state()
    with pytest.raises(ValidationError) as error:
        payment_allocate(
            actor=org.user("clerk"),
            payment=payment,
            allocations=[AllocationInput(invoice, "1000.01")],
            on=PAID_ON,
        )
    assert error.value.error_dict["allocations"][0].code == "over_allocation"
    assert (state(), invoices_state()) == (before, invoices)


def test_undoing_an_allocation_reopens_the_invoice_and_moves_the_money_back(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    payment = register(org, amount="1250.00", allocations=[AllocationInput(invoice, "1250.00")])
    allocation = payment.allocations.get()
    payment = payment_unallocate(actor=org.user("clerk"), allocation=allocation, on=PAID_ON)
    allocation.refresh_from_db()
    invoice.refresh_from_db()
    assert allocation.reversed_at is not None and allocation.reversed_by == org.user("clerk")
    assert lines(allocation.reversal_voucher) == {
        ("1510", "D", Decimal("1250.00")),
        ("2420", "C", Decimal("1250.00")),
    }
    assert (invoice.open_amount, invoice.status) == (Decimal("1250.00"), Invoice.Status.ISSUED)
    assert payment.unallocated_amount == Decimal("1250.00")
    assert_receivables_match_ledger(org)
    with pytest.raises(ValidationError) as error:
        payment_unallocate(actor=org.user("clerk"), allocation=allocation, on=PAID_ON)
    assert error.value.code == "already_reversed"


def test_sales_reps_cannot_allocate(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    payment = register(org, amount="100.00")
    with pytest.raises(PermissionDenied):
        payment_allocate(
            actor=org.user("rep_north"), payment=payment, allocations=[AllocationInput(invoice, "100.00")]
        )
