"""Credit notes (``billing.services.crediting``): for a whole invoice or chosen lines, in the
credit note series, posted as the reversal of those lines, reducing the invoice's open amount."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum

from frontoffice.billing.models import BillingSettings, Invoice, InvoiceLine
from frontoffice.billing.services.crediting import credit_note_create
from frontoffice.billing.services.invoicing import invoice_issue
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.invoicing_factories import make_draft, make_product
from frontoffice.core.models import AuditEntry
from frontoffice.finance.models import JournalEntry, JournalLine, LockDate
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.finance.services.verify import ledger_verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_pricing_app")]
D = Decimal
CREDIT_DAY = datetime.date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _today_is_credit_day():
    """Credit notes are dated today by default: today is 20 March 2026 here."""
    with time_machine.travel(datetime.datetime(2026, 3, 20, 12, 0, tzinfo=datetime.UTC), tick=False):
        yield


def voucher_lines(document: Invoice) -> list[tuple[str, str, Decimal]]:
    return [
        (line.account.number, line.side, line.amount)
        for line in document.voucher.lines.select_related("account").order_by("line_no")
    ]


def receivable_balance(legal_entity) -> Decimal:
    sums = JournalLine.objects.filter(
        entry__legal_entity=legal_entity, entry__status="posted", account__number="1510"
    ).aggregate(debit=Sum("amount", filter=Q(side="D")), credit=Sum("amount", filter=Q(side="C")))
    return (sums["debit"] or D("0")) - (sums["credit"] or D("0"))


@pytest.fixture
def invoice(org, customer, products):
    """F2026-00001: 2 check-ups (25 %), 3 books (6 %), 1 lunch (12 %); total 2 938.48."""
    clerk = org.user("clerk")
    draft = make_draft(
        clerk, customer, (products["checkup"], "2"), (products["book"], "3"), (products["lunch"], "1")
    )
    return invoice_issue(actor=clerk, invoice=draft)


def lines_of(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.order_by("line_no"))


def test_a_whole_invoice_credit_note_reverses_every_line_and_clears_the_receivable(org, invoice):
    clerk = org.user("clerk")
    # 1700.00 + 597.00 + 95.50 = 2392.50; VAT 425.00 + 35.82 + 11.46 = 472.28
    assert invoice.total_amount == D("2864.78")
    note = credit_note_create(actor=clerk, invoice=invoice, reason="Wrong customer", issue_on=CREDIT_DAY)
    note.refresh_from_db()
    invoice.refresh_from_db()
    assert (note.kind, note.status, note.credits, note.reference) == (
        "credit_note",
        "issued",
        invoice,
        "K2026-00001",
    )
    assert (note.net_amount, note.vat_amount, note.rounding_amount, note.total_amount) == (
        invoice.net_amount,
        invoice.vat_amount,
        D("0.00"),
        D("2864.78"),
    )
    assert note.notes == "Wrong customer"
    assert (note.buyer_name, note.issue_on, note.party, note.profile) == (
        invoice.buyer_name,
        CREDIT_DAY,
        invoice.party,
        invoice.profile,
    )
    copied = [
        (
            line.line_no,
            line.product_id,
            line.quantity,
            line.unit_price_amount,
            line.net_amount,
            line.credits_line_id,
        )
        for line in lines_of(note)
    ]
    assert copied == [
        (line.line_no, line.product_id, line.quantity, line.unit_price_amount, line.net_amount, line.pk)
        for line in lines_of(invoice)
    ]
    assert voucher_lines(note) == [
        ("1510", "C", D("2864.78")),
        ("3001", "D", D("1700.00")),
        ("3002", "D", D("95.50")),
        ("3003", "D", D("597.00")),
        ("2611", "D", D("425.00")),
        ("2621", "D", D("11.46")),
        ("2631", "D", D("35.82")),
    ]
    assert note.voucher.date == CREDIT_DAY
    assert (invoice.status, invoice.open_amount, note.open_amount) == ("credited", D("0.00"), D("0.00"))
    assert receivable_balance(org.company) == D("0.00")
    assert ledger_verify(legal_entity=org.company).ok is True
    assert AuditEntry.objects.for_object(note).filter(action="billing.credit_note.issued").count() == 1
    credited = AuditEntry.objects.for_object(invoice).get(action="billing.invoice.credited")
    assert credited.changes["open_amount"] == ["2864.78", "0.00"]


def test_chosen_lines_are_credited_with_chosen_quantities(org, invoice):
    clerk = org.user("clerk")
    _checkup, book, _lunch = lines_of(invoice)
    note = credit_note_create(actor=clerk, invoice=invoice, lines={book.pk: "1"}, reason="One book returned")
    assert [(line.credits_line_id, line.quantity, line.net_amount) for line in lines_of(note)] == [
        (book.pk, D("1"), D("199.00"))
    ]
    # 199.00 at 6 % = 11.94
    assert (note.net_amount, note.vat_amount, note.total_amount) == (D("199.00"), D("11.94"), D("210.94"))
    assert voucher_lines(note) == [
        ("1510", "C", D("210.94")),
        ("3003", "D", D("199.00")),
        ("2631", "D", D("11.94")),
    ]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("issued", D("2653.84"))
    assert note.open_amount == D("0.00")


def test_no_line_is_credited_beyond_what_was_invoiced_across_credit_notes(org, invoice):
    clerk = org.user("clerk")
    _checkup, book, _lunch = lines_of(invoice)
    credit_note_create(actor=clerk, invoice=invoice, lines={book.pk: "2"}, reason="Two returned")
    with pytest.raises(ValidationError) as excinfo:
        credit_note_create(actor=clerk, invoice=invoice, lines={book.pk: "1.5"}, reason="Too many")
    assert excinfo.value.error_dict[f"lines.{book.pk}"][0].code == "over_credit"
    assert "1" in excinfo.value.message_dict[f"lines.{book.pk}"][0]
    assert Invoice.objects.filter(kind="credit_note").count() == 1
    credit_note_create(actor=clerk, invoice=invoice, lines={book.pk: "1"}, reason="The last one")
    with pytest.raises(ValidationError) as excinfo:
        credit_note_create(actor=clerk, invoice=invoice, lines={book.pk: None}, reason="Again")
    assert excinfo.value.error_dict[f"lines.{book.pk}"][0].code == "over_credit"


def test_crediting_the_rest_of_an_invoice_takes_only_what_is_left(org, invoice):
    clerk = org.user("clerk")
    checkup, book, lunch = lines_of(invoice)
    credit_note_create(actor=clerk, invoice=invoice, lines={book.pk: "1", checkup.pk: "2"}, reason="Part")
    rest = credit_note_create(actor=clerk, invoice=invoice, reason="The rest")
    assert [(line.credits_line_id, line.quantity) for line in lines_of(rest)] == [
        (book.pk, D("2")),
        (lunch.pk, D("1")),
    ]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("credited", D("0.00"))
    assert receivable_balance(org.company) == D("0.00")
    with pytest.raises(ValidationError) as excinfo:
        credit_note_create(actor=clerk, invoice=invoice, reason="Once more")
    assert excinfo.value.code == "already_credited"


def test_partial_credits_that_complete_an_invoice_credit_exactly_its_vat_and_total(org, billing, customer):
    """Four lines of 0.02 at 25 %: the invoice's VAT is 0.02 (on 0.08); crediting the lines one
    by one must not give back 0.01 each (0.04): VAT is credited on the running sum."""
    clerk = org.user("clerk")
    tiny = make_product(billing, "TINY", price="0.02")
    invoice = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, *[(tiny, "1")] * 4))
    assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (D("0.08"), D("0.02"), D("0.10"))
    notes = [
        credit_note_create(actor=clerk, invoice=invoice, lines={line.pk: "1"}, reason="One by one")
        for line in lines_of(invoice)
    ]
    assert [n.vat_amount for n in notes] == [D("0.01"), D("0.00"), D("0.01"), D("0.00")]
    assert sum(n.total_amount for n in notes) == D("0.10")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("credited", D("0.00"))
    assert receivable_balance(org.company) == D("0.00")


def test_partial_quantities_never_credit_more_than_the_lines_net(org, billing, customer):
    """3 x 0.005 = 0.015 invoiced as 0.02; thirds would round to 0.01 each (0.03)."""
    clerk = org.user("clerk")
    half_ore = make_product(billing, "HALF", price="0.01")
    invoice = invoice_issue(
        actor=clerk,
        invoice=make_draft(
            clerk, customer, (half_ore, "1.5"), (make_product(billing, "ONE", price="10.00"), "1")
        ),
    )
    line = lines_of(invoice)[0]
    assert line.net_amount == D("0.02")
    for _ in range(2):
        credit_note_create(actor=clerk, invoice=invoice, lines={line.pk: "0.5"}, reason="A third")
    credit_note_create(actor=clerk, invoice=invoice, reason="The rest")
    nets = list(
        InvoiceLine.objects.filter(credits_line=line).order_by("pk").values_list("net_amount", flat=True)
    )
    assert nets == [D("0.01"), D("0.01"), D("0.00")]


def test_whole_krona_rounding_is_given_back_by_the_credit_note_that_completes_the_invoice(
    org, billing, customer
):
    BillingSettings.objects.filter(legal_entity=billing).update(round_to_whole_krona=True)
    clerk = org.user("clerk")
    a = make_product(billing, "A", price="99.60")
    c = make_product(billing, "C", price="0.30")
    invoice = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (a, "1"), (c, "1")))
    # 99.90 + 24.98 = 124.88 -> 125.00
    assert (invoice.rounding_amount, invoice.total_amount) == (D("0.12"), D("125.00"))
    _first, second = lines_of(invoice)
    part = credit_note_create(actor=clerk, invoice=invoice, lines={second.pk: "1"}, reason="C")
    assert (part.rounding_amount, part.total_amount) == (D("0.00"), D("0.38"))  # 0.30 + 0.08
    rest = credit_note_create(actor=clerk, invoice=invoice, reason="Rest")
    assert rest.rounding_amount == D("0.12")
    assert part.total_amount + rest.total_amount == D("125.00")
    assert voucher_lines(rest)[-1] == ("3740", "D", D("0.12"))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("credited", D("0.00"))


def test_crediting_a_paid_invoice_leaves_the_amount_to_give_back_on_the_credit_note(org, invoice):
    Invoice.objects.filter(pk=invoice.pk).update(open_amount=D("0.00"), status="paid")  # paid in full
    invoice.refresh_from_db()
    _checkup, book, _lunch = lines_of(invoice)
    note = credit_note_create(
        actor=org.user("clerk"), invoice=invoice, lines={book.pk: "1"}, reason="Returned"
    )
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (D("0.00"), "paid")
    assert note.open_amount == D("-210.94")


def test_crediting_a_partly_paid_invoice_uses_the_open_amount_first(org, invoice):
    Invoice.objects.filter(pk=invoice.pk).update(open_amount=D("100.00"))  # 2764.78 paid
    note = credit_note_create(actor=org.user("clerk"), invoice=invoice, reason="Cancelled")
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (D("0.00"), "credited")
    assert note.open_amount == D("-2764.78")


def test_a_credit_that_settles_the_rest_marks_the_invoice_paid(org, invoice):
    Invoice.objects.filter(pk=invoice.pk).update(open_amount=D("210.94"))
    _checkup, book, _lunch = lines_of(invoice)
    credit_note_create(actor=org.user("clerk"), invoice=invoice, lines={book.pk: "1"}, reason="Returned")
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (D("0.00"), "paid")


def test_bad_credit_requests_name_the_field_and_write_nothing(org, invoice, customer, products):
    clerk = org.user("clerk")
    checkup, _book, _lunch = lines_of(invoice)
    other = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (products["book"], "1")))
    other_line = lines_of(other)[0]
    with pytest.raises(ValidationError) as excinfo:
        credit_note_create(
            actor=clerk,
            invoice=invoice,
            lines={checkup.pk: "-1", other_line.pk: "1", 999999: "1"},
            reason=" ",
        )
    codes = {field: [e.code for e in errors] for field, errors in excinfo.value.error_dict.items()}
    assert codes == {
        "reason": ["required"],
        f"lines.{checkup.pk}": ["quantity_not_positive"],
        f"lines.{other_line.pk}": ["unknown_line"],
        "lines.999999": ["unknown_line"],
    }
    with pytest.raises(ValidationError) as excinfo:
        credit_note_create(actor=clerk, invoice=invoice, lines={}, reason="Nothing")
    assert excinfo.value.code == "no_lines"
    assert Invoice.objects.filter(kind="credit_note").count() == 0
    assert JournalEntry.objects.count() == 2


def test_only_issued_invoices_are_credited(org, customer, products, invoice):
    clerk = org.user("clerk")
    draft = make_draft(clerk, customer, (products["book"], "1"))
    with pytest.raises(ValidationError) as excinfo:
        credit_note_create(actor=clerk, invoice=draft, reason="Draft")
    assert excinfo.value.code == "not_creditable"
    note = credit_note_create(actor=clerk, invoice=invoice, reason="All")
    with pytest.raises(ValidationError) as excinfo:
        credit_note_create(actor=clerk, invoice=note, reason="A credit note of a credit note")
    assert excinfo.value.code == "not_creditable"


def test_a_rejected_credit_posting_writes_nothing(org, invoice):
    LockDate.objects.create(legal_entity=org.company, locked_through=datetime.date(2026, 3, 31))
    with pytest.raises(PostingRejected) as excinfo:
        credit_note_create(actor=org.user("clerk"), invoice=invoice, reason="Late", issue_on=CREDIT_DAY)
    assert [v.code for v in excinfo.value.violations] == ["period_locked"]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("issued", D("2864.78"))
    assert Invoice.objects.filter(kind="credit_note").count() == 0
    assert not InvoiceLine.objects.filter(credits_line__isnull=False).exists()
    assert JournalEntry.objects.count() == 1


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "nsm", "nobody", "other_clerk"])
def test_credit_notes_need_the_issue_permission_in_the_legal_entity(org, invoice, persona):
    with pytest.raises(PermissionDenied):
        credit_note_create(actor=org.user(persona), invoice=invoice, reason="No")
    assert Invoice.objects.filter(kind="credit_note").count() == 0


def test_the_same_idempotency_key_returns_the_first_credit_note(org, invoice):
    clerk = org.user("clerk")
    first = credit_note_create(actor=clerk, invoice=invoice, reason="All", idempotency_key="cr-1")
    again = credit_note_create(actor=clerk, invoice=invoice, reason="All", idempotency_key="cr-1")
    assert again.pk == first.pk
    assert Invoice.objects.filter(kind="credit_note").count() == 1


def test_credit_notes_are_numbered_in_their_own_series(org, invoice, customer, products):
    clerk = org.user("clerk")
    second = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (products["book"], "1")))
    a = credit_note_create(actor=clerk, invoice=second, reason="x")
    b = credit_note_create(actor=clerk, invoice=invoice, reason="y")
    assert [a.reference, b.reference] == ["K2026-00001", "K2026-00002"]
    assert [a.voucher.reference, b.voucher.reference] == ["F3", "F4"]
    assert a.issue_on == b.issue_on == CREDIT_DAY  # today, by default


def test_an_invoice_rounded_down_is_never_credited_beyond_its_total(org, billing, customer):
    """124.38 invoiced as 124.00: crediting the big line alone (124.36) gives back 124.00 and
    completes the crediting; the 0.01 line is left with nothing to give back."""
    BillingSettings.objects.filter(legal_entity=billing).update(round_to_whole_krona=True)
    clerk = org.user("clerk")
    big, small = make_product(billing, "BIG", price="99.49"), make_product(billing, "SMALL", price="0.01")
    invoice = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (big, "1"), (small, "1")))
    assert (invoice.vat_amount, invoice.rounding_amount, invoice.total_amount) == (
        D("24.88"),
        D("-0.38"),
        D("124.00"),
    )
    note = credit_note_create(
        actor=clerk, invoice=invoice, lines={lines_of(invoice)[0].pk: None}, reason="Big"
    )
    assert (note.net_amount, note.vat_amount, note.rounding_amount, note.total_amount) == (
        D("99.49"),
        D("24.87"),
        D("-0.36"),
        D("124.00"),
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("credited", D("0.00"))
    assert receivable_balance(org.company) == D("0.00")
    with pytest.raises(ValidationError) as excinfo:
        credit_note_create(actor=clerk, invoice=invoice, reason="The small line")
    assert excinfo.value.code == "already_credited"
