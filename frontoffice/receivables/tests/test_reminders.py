import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.billing.models import BillingSettings, Invoice
from frontoffice.core.models import AuditEntry
from frontoffice.receivables.models import InvoiceDispute, Reminder
from frontoffice.receivables.selectors.reminders import reminder_candidates
from frontoffice.receivables.services.payments import AllocationInput, payment_register
from frontoffice.receivables.services.reminders import (
    invoice_dispute_open,
    invoice_dispute_resolve,
    reminder_send,
)
from frontoffice.receivables.tests.factories import make_invoice

pytestmark = pytest.mark.django_db
DUE = datetime.date(2026, 3, 31)
DAY_AFTER = datetime.date(2026, 4, 1)


@pytest.fixture
def overdue(customers, org):
    BillingSettings.objects.filter(legal_entity=org.company).update(
        bankgiro="5050-1055", email="ekonomi@tandhalsan.example"
    )
    return make_invoice(org, customers.north, "1250.00", due_on=DUE)


def send(org, invoice, persona="clerk", on=DAY_AFTER, **kw):
    with time_machine.travel(
        datetime.datetime(on.year, on.month, on.day, 10, tzinfo=datetime.UTC), tick=False
    ):
        return reminder_send(actor=org.user(persona), invoice=invoice, **kw)


def test_a_first_reminder_is_a_courteous_swedish_email_after_the_due_date(
    overdue, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reminder = send(org, overdue)
    assert (reminder.level, reminder.channel, reminder.language) == (1, "email", "sv")
    assert reminder.recipient == "ekonomi@norrsken.example"
    assert reminder.open_amount == Decimal("1250.00")
    assert reminder.sent_by == org.user("clerk")
    (message,) = mail.outbox
    assert message.to == ["ekonomi@norrsken.example"]
    assert message.reply_to == ["ekonomi@tandhalsan.example"]
    assert overdue.reference in message.subject
    assert "Påminnelse" in message.subject
    assert "1 250,00" in message.body.replace("\xa0", " ")
    assert overdue.payment_reference in message.body
    assert "5050-1055" in message.body
    assert "förbisett" in message.body  # "Perhaps it has been overlooked"
    assert AuditEntry.objects.filter(action="receivables.reminder.sent", object_id=str(overdue.pk)).exists()


def test_reminders_to_english_customers_are_in_english(customers, org, django_capture_on_commit_callbacks):
    invoice = make_invoice(org, customers.south, "625.00", due_on=DUE)
    with django_capture_on_commit_callbacks(execute=True):
        reminder = send(org, invoice)
    assert reminder.language == "en"
    (message,) = mail.outbox
    assert "Reminder" in message.subject and invoice.reference in message.subject
    assert "625.00" in message.body
    assert "overlooked" in message.body


def test_levels_follow_each_other_with_the_interval_between_them(
    overdue, org, django_capture_on_commit_callbacks
):
    send(org, overdue)
    with pytest.raises(ValidationError) as error:
        send(org, overdue, on=DAY_AFTER + datetime.timedelta(days=13))
    assert error.value.code == "too_soon"
    second = send(org, overdue, on=DAY_AFTER + datetime.timedelta(days=14))
    third = send(org, overdue, on=DAY_AFTER + datetime.timedelta(days=28))
    assert (second.level, third.level) == (2, 3)
    with pytest.raises(ValidationError) as error:
        send(org, overdue, on=DAY_AFTER + datetime.timedelta(days=60))
    assert error.value.code == "all_levels_sent"
    with django_capture_on_commit_callbacks(execute=True):
        pass
    assert Reminder.objects.filter(invoice=overdue).count() == 3


def test_the_final_reminder_says_so_politely(overdue, org, django_capture_on_commit_callbacks):
    send(org, overdue)
    send(org, overdue, on=DAY_AFTER + datetime.timedelta(days=14))
    with django_capture_on_commit_callbacks(execute=True):
        send(org, overdue, on=DAY_AFTER + datetime.timedelta(days=28))
    (message,) = mail.outbox
    assert "Sista påminnelse" in message.subject
    assert "inkasso" in message.body


def test_no_reminder_before_the_due_date_has_passed(overdue, org):
    with pytest.raises(ValidationError) as error:
        send(org, overdue, on=DUE)
    assert error.value.code == "not_due"
    assert not Reminder.objects.exists()


def test_the_same_level_is_never_sent_twice(overdue, org):
    send(org, overdue, level=1)
    with pytest.raises(ValidationError) as error:
        send(org, overdue, level=1, on=DAY_AFTER + datetime.timedelta(days=30))
    assert error.value.code == "already_sent"
    assert Reminder.objects.count() == 1


def test_levels_cannot_be_skipped(overdue, org):
    with pytest.raises(ValidationError) as error:
        send(org, overdue, level=2)
    assert error.value.code == "level_order"


def test_no_reminder_for_paid_credited_or_disputed_invoices(overdue, customers, org):
    payment_register(
        actor=org.user("clerk"),
        legal_entity=org.company,
        paid_on=DUE,
        amount="1250.00",
        allocations=[AllocationInput(overdue, "1250.00")],
    )
    with pytest.raises(ValidationError) as error:
        send(org, overdue)
    assert error.value.code == "not_remindable"
    credited = make_invoice(org, customers.north, "100.00", due_on=DUE)
    Invoice.objects.filter(pk=credited.pk).update(status=Invoice.Status.CREDITED, open_amount=0)
    with pytest.raises(ValidationError) as error:
        send(org, credited)
    assert error.value.code == "not_remindable"
    disputed = make_invoice(org, customers.north, "200.00", due_on=DUE)
    dispute = invoice_dispute_open(actor=org.user("clerk"), invoice=disputed, reason="Fel antal timmar")
    with pytest.raises(ValidationError) as error:
        send(org, disputed)
    assert error.value.code == "disputed"
    invoice_dispute_resolve(actor=org.user("clerk"), dispute=dispute, resolution="Förklarat per telefon")
    assert send(org, disputed).level == 1
    assert not Reminder.objects.filter(invoice__in=[overdue, credited]).exists()


def test_an_invoice_has_one_open_dispute_at_a_time(overdue, org):
    invoice_dispute_open(actor=org.user("clerk"), invoice=overdue, reason="A")
    with pytest.raises(ValidationError) as error:
        invoice_dispute_open(actor=org.user("clerk"), invoice=overdue, reason="B")
    assert error.value.code == "already_disputed"
    assert InvoiceDispute.objects.count() == 1


def test_a_customer_without_an_email_address_cannot_be_reminded_by_email(customers, org):
    invoice = make_invoice(org, customers.north, "100.00", due_on=DUE)
    Invoice.objects.filter(pk=invoice.pk).update(buyer_email="")
    invoice.profile.billing_email = ""
    invoice.profile.save()
    with pytest.raises(ValidationError) as error:
        send(org, invoice)
    assert error.value.code == "no_email"
    assert send(org, invoice, channel="letter").channel == "letter"


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "receptionist"])
def test_only_clerks_and_the_finance_manager_send_reminders(overdue, org, persona):
    with pytest.raises(PermissionDenied):
        send(org, overdue, persona=persona)
    assert not Reminder.objects.exists()


def test_another_company_clerk_cannot_remind_this_company_customers(overdue, org):
    with pytest.raises((PermissionDenied, ValidationError)):
        send(org, overdue, persona="other_clerk")
    assert not Reminder.objects.exists()


def test_the_candidates_are_overdue_invoices_with_their_next_level(overdue, customers, org):
    make_invoice(org, customers.south, "625.00", due_on=datetime.date(2026, 5, 1))  # not due yet
    disputed = make_invoice(org, customers.south, "300.00", due_on=DUE)
    invoice_dispute_open(actor=org.user("clerk"), invoice=disputed, reason="A")
    send(org, overdue)
    on_day_15 = DAY_AFTER + datetime.timedelta(days=15)
    candidates = reminder_candidates(user=org.user("clerk"), legal_entity=org.company, as_of=on_day_15)
    assert [(c.invoice, c.next_level, c.days_overdue) for c in candidates] == [(overdue, 2, 16)]
    assert reminder_candidates(user=org.user("clerk"), legal_entity=org.company, as_of=DAY_AFTER) == []
    assert reminder_candidates(user=org.user("other_clerk"), legal_entity=org.company, as_of=on_day_15) == []
