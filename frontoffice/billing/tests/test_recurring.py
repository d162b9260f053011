"""Recurring invoices: the batch creates and issues what is due, catches up missed periods,
and is safe to run twice (a period is invoiced once, whatever happens to ``next_run_on``)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from frontoffice.billing.models import Invoice, RecurringInvoice, RecurringRun
from frontoffice.billing.services.recurring import add_months, recurring_invoices_run
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.invoicing_factories import make_customer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_pricing_app")]

MARCH = datetime.date(2026, 3, 16)


@pytest.fixture
def clerk(org):
    return org.user("clerk")


def make_recurring(profile, *, next_run_on=MARCH, interval_months=1, **fields) -> RecurringInvoice:
    fields.setdefault(
        "lines",
        [
            {
                "description": "Service agreement",
                "quantity": "1",
                "unit_price": "1000.00",
                "vat_code": "SE25",
            },
            {"description": "Support hours", "quantity": "2", "unit_price": "450.00", "vat_code": "SE25"},
        ],
    )
    return RecurringInvoice.objects.create(
        legal_entity=profile.legal_entity,
        party=profile.party,
        next_run_on=next_run_on,
        interval_months=interval_months,
        **fields,
    )


def issued() -> list[Invoice]:
    return list(Invoice.objects.filter(source_type="recurring").order_by("issue_on", "number"))


def test_a_due_recurring_invoice_is_created_and_issued(clerk, customer):
    recurring = make_recurring(customer)
    result = recurring_invoices_run(actor=clerk, on=MARCH)
    (invoice,) = result.invoices
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.number is not None and invoice.voucher_id is not None
    assert invoice.issue_on == MARCH
    assert invoice.party == customer.party
    assert invoice.net_amount == Decimal("1900.00")
    assert invoice.total_amount == Decimal("2375.00")
    assert [line.description for line in invoice.lines.order_by("line_no")] == [
        "Service agreement",
        "Support hours",
    ]
    recurring.refresh_from_db()
    assert recurring.next_run_on == datetime.date(2026, 4, 16)
    assert RecurringRun.objects.get().invoice == invoice


def test_running_twice_creates_nothing_twice(clerk, customer):
    make_recurring(customer)
    make_recurring(customer, interval_months=3)
    first = recurring_invoices_run(actor=clerk, on=MARCH)
    second = recurring_invoices_run(actor=clerk, on=MARCH)
    assert len(first.invoices) == 2
    assert second.invoices == []
    assert len(issued()) == 2
    assert RecurringRun.objects.count() == 2


def test_a_period_already_invoiced_is_skipped_even_if_the_date_is_set_back(clerk, customer):
    recurring = make_recurring(customer)
    recurring_invoices_run(actor=clerk, on=MARCH)
    RecurringInvoice.objects.filter(pk=recurring.pk).update(next_run_on=MARCH)
    again = recurring_invoices_run(actor=clerk, on=MARCH)
    assert again.invoices == []
    assert again.skipped == 1
    assert len(issued()) == 1
    recurring.refresh_from_db()
    assert recurring.next_run_on == datetime.date(2026, 4, 16)


def test_the_period_key_is_unique_per_recurring_invoice(clerk, customer):
    recurring = make_recurring(customer)
    (invoice,) = recurring_invoices_run(actor=clerk, on=MARCH).invoices
    other = Invoice.objects.create(
        legal_entity=invoice.legal_entity, party=invoice.party, profile=invoice.profile, series=invoice.series
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        RecurringRun.objects.create(recurring=recurring, period_key="2026-03", invoice=other)


def test_missed_periods_are_caught_up_one_invoice_each(clerk, customer):
    make_recurring(customer, next_run_on=datetime.date(2026, 1, 31))
    result = recurring_invoices_run(actor=clerk, on=MARCH)
    assert [invoice.issue_on for invoice in issued()] == [
        datetime.date(2026, 1, 31),
        datetime.date(2026, 2, 28),
    ]
    assert len(result.invoices) == 2
    numbers = [invoice.number for invoice in issued()]
    assert numbers == sorted(numbers) and len(set(numbers)) == 2
    assert recurring_invoices_run(actor=clerk, on=MARCH).invoices == []


def test_inactive_and_not_yet_due_are_left_alone(clerk, customer):
    make_recurring(customer, active=False)
    make_recurring(customer, next_run_on=MARCH + datetime.timedelta(days=1))
    assert recurring_invoices_run(actor=clerk, on=MARCH).invoices == []
    assert issued() == []


def test_a_bad_template_writes_nothing_for_its_legal_entity(clerk, customer):
    make_recurring(customer)
    make_recurring(
        customer, lines=[{"description": "Broken", "quantity": "-1", "unit_price": "1", "vat_code": "SE25"}]
    )
    with pytest.raises(ValidationError):
        recurring_invoices_run(actor=clerk, on=MARCH)
    assert not Invoice.objects.exists()
    assert not RecurringRun.objects.exists()
    assert set(RecurringInvoice.objects.values_list("next_run_on", flat=True)) == {MARCH}


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "nobody"])
def test_running_needs_the_invoicing_permissions(org, customer, persona):
    make_recurring(customer)
    with pytest.raises(PermissionDenied):
        recurring_invoices_run(actor=org.user(persona), on=MARCH)
    assert not Invoice.objects.exists()


def test_another_companys_clerk_runs_nothing_of_ours(org, customer):
    make_recurring(customer)
    assert recurring_invoices_run(actor=org.user("other_clerk"), on=MARCH).invoices == []
    assert not Invoice.objects.exists()


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2026, 3, 16), 12) == datetime.date(2027, 3, 16)


def test_the_command_runs_the_batch_and_is_safe_to_run_twice(clerk, billing, org, customer):
    make_recurring(customer)
    make_recurring(make_customer(billing, name="Söder AB", owner=org.user("rep_south"), region=org.south))
    out = StringIO()
    call_command("billing_recurring", "--date", "2026-03-16", "--user", "clerk", stdout=out)
    assert "2 invoice(s) issued" in out.getvalue()
    out = StringIO()
    call_command("billing_recurring", "--date", "2026-03-16", "--user", "clerk", stdout=out)
    assert "0 invoice(s) issued" in out.getvalue()
    assert len(issued()) == 2


def test_the_command_names_bad_input():
    with pytest.raises(CommandError, match="--date"):
        call_command("billing_recurring", "--date", "16/3", "--user", "clerk")
    with pytest.raises(CommandError, match="--user"):
        call_command("billing_recurring", "--date", "2026-03-16", "--user", "ghost")


# One scheduler: waits for "go" on stdin (so all start together), then runs the command.
CHILD = r"""
import sys
import django
django.setup()
from django.core.management import call_command
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
call_command("billing_recurring", "--date", "2026-03-16", "--user", "clerk")
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_schedulers_at_once_invoice_each_period_once(org, billing, customer):
    """Four processes run the batch at the same moment: each due period is invoiced exactly once."""
    import os
    import subprocess
    import sys

    from frontoffice.finance.tests.test_concurrency import ROOT, child_database_url

    for _ in range(3):
        make_recurring(customer, next_run_on=datetime.date(2026, 2, 10))
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DB_CONN_MAX_AGE": "0",
        "TASKS_BACKEND": "immediate",
    }
    children = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", CHILD],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    assert [child.returncode for child in children] == [0] * 4, [err for _out, err in outputs]
    assert sum(int(out.split(": ")[1].split()[0]) for out, _err in outputs) == 6
    assert len(issued()) == 6  # 3 recurring invoices x (February, March)
    assert RecurringRun.objects.count() == 6
    numbers = sorted(invoice.number for invoice in issued())
    assert numbers == list(range(1, 7))
