"""Setting up recurring invoices (services, pages, API), the last invoice date, pausing and
resuming, and the batch acting as the finance manager when no user is named."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from frontoffice.billing.models import Invoice, RecurringInvoice
from frontoffice.billing.services.recurring import (
    recurring_invoice_create,
    recurring_invoice_pause,
    recurring_invoice_resume,
    recurring_invoice_update,
    recurring_invoices_run,
)
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - the fixtures
from frontoffice.core.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_pricing_app")]

MARCH = datetime.date(2026, 3, 16)
LINES = [{"description": "Service agreement", "quantity": "1", "unit_price": "1000.00", "vat_code": "SE25"}]


def _create(org, customer, actor="clerk", **fields):
    fields.setdefault("lines", LINES)
    fields.setdefault("next_run_on", MARCH)
    return recurring_invoice_create(actor=org.user(actor), party=customer.party, **fields)


def test_a_recurring_invoice_is_set_up_with_checked_lines_and_audited(org, customer, products):
    recurring = _create(
        org,
        customer,
        lines=[*LINES, {"product": str(products["checkup"].pk), "quantity": "2"}],
        interval_months=3,
        description="Quarterly service",
    )
    assert recurring.legal_entity_id == org.company.pk
    assert recurring.lines[1] == {"product": str(products["checkup"].pk), "quantity": "2"}
    assert AuditEntry.objects.filter(action="billing.recurring_invoice.created").count() == 1


def test_bad_lines_and_dates_are_named_and_nothing_is_written(org, customer):
    with pytest.raises(ValidationError) as exc:
        _create(
            org,
            customer,
            lines=[LINES[0], {"description": "X", "quantity": "-1", "unit_price": "1", "vat_code": "NOPE"}],
            end_on=MARCH - datetime.timedelta(days=1),
        )
    errors = exc.value.error_dict
    assert {"lines.1.quantity", "lines.1.vat_code", "end_on"} <= set(errors)
    with pytest.raises(ValidationError) as exc:
        _create(org, customer, lines=[])
    assert "lines" in exc.value.error_dict
    assert not RecurringInvoice.objects.exists()


def test_out_of_scope_customers_and_missing_permissions_are_refused(org, customer, south_customer):
    with pytest.raises(PermissionDenied):
        _create(org, customer, actor="auditor")
    with pytest.raises(ValidationError) as exc:
        _create(org, customer, actor="other_clerk")
    assert "party" in exc.value.error_dict
    recurring = _create(org, customer)
    with pytest.raises(PermissionDenied):
        recurring_invoice_pause(actor=org.user("other_clerk"), recurring=recurring)


def test_no_invoice_is_dated_after_the_last_invoice_date(org, customer):
    _create(org, customer, next_run_on=datetime.date(2026, 1, 16), end_on=datetime.date(2026, 2, 20))
    result = recurring_invoices_run(actor=org.user("clerk"), on=MARCH)
    assert sorted(i.issue_on for i in result.invoices) == [
        datetime.date(2026, 1, 16),
        datetime.date(2026, 2, 16),
    ]
    assert recurring_invoices_run(actor=org.user("clerk"), on=datetime.date(2026, 6, 1)).invoices == []


def test_paused_invoices_are_skipped_and_resuming_does_not_catch_up(org, customer):
    clerk = org.user("clerk")
    recurring = _create(org, customer, next_run_on=datetime.date(2026, 1, 16))
    recurring_invoice_pause(actor=clerk, recurring=recurring)
    with pytest.raises(ValidationError) as exc:
        recurring_invoice_pause(actor=clerk, recurring=recurring)
    assert exc.value.code == "already_paused"
    assert recurring_invoices_run(actor=clerk, on=MARCH).invoices == []
    recurring = recurring_invoice_resume(actor=clerk, recurring=recurring, on=MARCH)
    assert recurring.active is True and recurring.next_run_on == MARCH
    (invoice,) = recurring_invoices_run(actor=clerk, on=MARCH).invoices
    assert invoice.issue_on == MARCH


def test_changing_lines_and_schedule_applies_to_the_next_invoices(org, customer):
    clerk = org.user("clerk")
    recurring = _create(org, customer)
    recurring_invoice_update(
        actor=clerk,
        recurring=recurring,
        lines=[{**LINES[0], "unit_price": "1200.00"}],
        interval_months=2,
    )
    (invoice,) = recurring_invoices_run(actor=clerk, on=MARCH).invoices
    assert invoice.net_amount == Decimal("1200.00")
    recurring.refresh_from_db()
    assert recurring.next_run_on == datetime.date(2026, 5, 16)
    assert AuditEntry.objects.filter(action="billing.recurring_invoice.updated").count() == 1


def test_the_command_without_user_issues_as_the_finance_manager(org, customer):
    _create(org, customer)
    out = StringIO()
    call_command("billing_recurring", "--date", "2026-03-16", stdout=out)
    assert "1 invoice(s) issued" in out.getvalue()
    invoice = Invoice.objects.get(source_type="recurring")
    assert invoice.issued_by == org.user("finance_manager")
    call_command("billing_recurring", "--date", "2026-03-16", stdout=out)
    assert Invoice.objects.filter(source_type="recurring").count() == 1


# ---------------------------------------------------------------- pages


def test_the_list_filters_paginates_and_runs_constant_queries(
    org, customer, client_for, django_assert_max_num_queries
):
    for index in range(4):
        _create(org, customer, description=f"Agreement {index}")
    paused = _create(org, customer, description="Old")
    recurring_invoice_pause(actor=org.user("clerk"), recurring=paused)
    client = client_for("clerk")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("billing:recurring-list")).content.decode()
    assert page.count('data-testid="recurring-row"') == 5
    page = client.get(reverse("billing:recurring-list"), {"state": "paused"}).content.decode()
    assert page.count('data-testid="recurring-row"') == 1 and "Old" in page
    page = client.get(reverse("billing:recurring-list"), {"q": "Agreement 2"}).content.decode()
    assert page.count('data-testid="recurring-row"') == 1
    fragment = client.get(reverse("billing:recurring-list"), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and 'id="recurring-results"' in fragment
    assert (
        client_for("rep_south")
        .get(reverse("billing:recurring-list"))
        .content.decode()
        .count('data-testid="recurring-row"')
        == 0
    )


def test_setting_up_from_the_page_names_the_bad_row(org, customer, client_for):
    client = client_for("clerk")
    form = {
        "customer": str(customer.party_id),
        "interval_months": "1",
        "next_run_on": "2026-03-16",
        "line-0-description": "Service",
        "line-0-quantity": "1",
        "line-0-unit_price": "-5",
        "line-0-vat_code": "SE25",
    }
    response = client.post(reverse("billing:recurring-create"), form)
    assert response.status_code == 200 and not RecurringInvoice.objects.exists()
    form["line-0-unit_price"] = "500"
    response = client.post(reverse("billing:recurring-create"), form)
    recurring = RecurringInvoice.objects.get()
    assert response.status_code == 302 and recurring.lines == [
        {"description": "Service", "quantity": "1", "unit_price": "500", "vat_code": "SE25"}
    ]
    recurring_invoices_run(actor=org.user("clerk"), on=MARCH)
    detail = client.get(reverse("billing:recurring-detail", args=[recurring.pk])).content.decode()
    assert detail.count('data-testid="recurring-run"') == 1
    assert client.post(reverse("billing:recurring-pause", args=[recurring.pk])).status_code == 302
    recurring.refresh_from_db()
    assert recurring.active is False
    edit = client.get(reverse("billing:recurring-edit", args=[recurring.pk]))
    assert edit.status_code == 200 and 'value="500"' in edit.content.decode()


def test_pages_deny_without_permission_or_scope(org, customer, client_for):
    recurring = _create(org, customer)
    assert client_for("auditor").get(reverse("billing:recurring-create")).status_code == 403
    assert (
        client_for("auditor").post(reverse("billing:recurring-pause", args=[recurring.pk])).status_code == 403
    )
    assert (
        client_for("other_clerk").get(reverse("billing:recurring-detail", args=[recurring.pk])).status_code
        == 404
    )
    assert (
        client_for("rep_south").get(reverse("billing:recurring-detail", args=[recurring.pk])).status_code
        == 404
    )
    assert client_for("receptionist").get(reverse("billing:recurring-list")).status_code == 403


# ---------------------------------------------------------------- API


def test_the_api_creates_lists_changes_pauses_and_shows_runs(org, customer, client_for):
    api = client_for("clerk")
    response = api.post(
        "/api/v1/billing/recurring-invoices/",
        {"customer": customer.party_id, "lines": LINES, "next_run_on": "2026-03-16", "interval_months": 1},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    bad = api.post(
        "/api/v1/billing/recurring-invoices/",
        {
            "customer": customer.party_id,
            "lines": [{"description": "X", "quantity": "0", "vat_code": "SE25"}],
            "next_run_on": "2026-03-16",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "lines.0.quantity" in str(bad.json())
    recurring_invoices_run(actor=org.user("clerk"), on=MARCH)
    body = api.get(f"/api/v1/billing/recurring-invoices/{pk}/").json()
    assert [run["period_key"] for run in body["runs"]] == ["2026-03"]
    assert body["state"] == "active"
    response = api.patch(
        f"/api/v1/billing/recurring-invoices/{pk}/", {"end_on": "2026-12-31"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["end_on"] == "2026-12-31"
    assert api.post(f"/api/v1/billing/recurring-invoices/{pk}/pause/").json()["state"] == "paused"
    listing = api.get("/api/v1/billing/recurring-invoices/", {"state": "paused"}).json()
    assert [row["id"] for row in listing["results"]] == [pk]
    assert client_for("other_clerk").get(f"/api/v1/billing/recurring-invoices/{pk}/").status_code == 404
    assert client_for("auditor").post(f"/api/v1/billing/recurring-invoices/{pk}/resume/").status_code == 403
