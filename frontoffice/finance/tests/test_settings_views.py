"""Ledger settings pages: fiscal years, voucher series, lock dates, amount limits, set-up."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from frontoffice.core.models import AuditEntry
from frontoffice.finance.models import FiscalYear, LedgerAccount, LockDate, PostingStandards, VoucherSeries
from frontoffice.finance.services.periods import fiscal_year_create
from frontoffice.org.models import Role

READ_PAGES = ["finance:settings", "finance:fiscal-year-list", "finance:series-list"]
CHANGE_PAGES = [
    "finance:fiscal-year-create",
    "finance:series-create",
    "finance:lock-dates",
    "finance:standards-edit",
]


@pytest.fixture
def root(org):
    from frontoffice.org.models import User

    return User.objects.create_superuser(username="root", email="root@example.com", password="x")


@pytest.mark.parametrize("name", READ_PAGES + CHANGE_PAGES)
def test_finance_manager_opens_every_settings_page(ledger, client_for, name):
    assert client_for("finance_manager").get(reverse(name)).status_code == 200


@pytest.mark.parametrize("persona", ["clerk", "auditor"])
@pytest.mark.parametrize("name", READ_PAGES)
def test_clerk_and_auditor_read_the_settings(ledger, client_for, persona, name):
    assert client_for(persona).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("persona", ["clerk", "auditor"])
@pytest.mark.parametrize("name", [*CHANGE_PAGES, "finance:ledger-setup"])
def test_clerk_and_auditor_may_not_change_settings(ledger, client_for, persona, name):
    client = client_for(persona)
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name), {"everyone": "2026-12-31"}).status_code == 403
    assert LockDate.objects.count() == 0


@pytest.mark.parametrize("name", READ_PAGES + CHANGE_PAGES + ["finance:ledger-setup"])
def test_sales_rep_has_no_access_to_ledger_settings(ledger, client_for, name):
    assert client_for("rep_north").get(reverse(name)).status_code == 403


def test_series_of_another_legal_entity_is_not_found(ledger, org, client_for):
    series = VoucherSeries.objects.get(legal_entity=org.company, code="A")
    assert client_for("other_clerk").get(reverse("finance:series-edit", args=[series.pk])).status_code == 404


def test_clerk_may_not_edit_a_series(ledger, org, client_for):
    series = VoucherSeries.objects.get(legal_entity=org.company, code="A")
    assert client_for("clerk").get(reverse("finance:series-edit", args=[series.pk])).status_code == 403


@pytest.mark.parametrize("extra_years", [0, 3])
def test_fiscal_year_list_shows_years_with_their_periods(
    ledger, org, client_for, django_assert_max_num_queries, extra_years
):
    """Years come newest first with their periods; the query count does not grow with years."""
    for i in range(extra_years):
        fiscal_year_create(
            actor=None,
            legal_entity=org.company,
            start_on=datetime.date(2027 + i, 1, 1),
            end_on=datetime.date(2027 + i, 12, 31),
        )
    client = client_for("auditor")
    with django_assert_max_num_queries(11):
        response = client.get(reverse("finance:fiscal-year-list"))
    years = list(response.context["years"])
    assert len(years) == 1 + extra_years
    assert (years[-1].start_on, years[-1].end_on) == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    assert [p.number for p in years[-1].periods.all()] == list(range(13))


def test_finance_manager_creates_a_broken_fiscal_year(ledger, org, client_for):
    """A fiscal year need not follow the calendar; the create page proposes the next one."""
    client = client_for("finance_manager")
    form = client.get(reverse("finance:fiscal-year-create")).context["form"]
    assert form.initial == {"start_on": datetime.date(2027, 1, 1), "end_on": datetime.date(2027, 12, 31)}
    response = client.post(
        reverse("finance:fiscal-year-create"), {"start_on": "2027-01-01", "end_on": "2028-06-30"}
    )
    assert response.status_code == 302
    year = FiscalYear.objects.get(legal_entity=org.company, start_on=datetime.date(2027, 1, 1))
    assert year.end_on == datetime.date(2028, 6, 30)
    assert year.periods.count() == 19


def test_overlapping_fiscal_year_shows_the_error(ledger, client_for):
    response = client_for("finance_manager").post(
        reverse("finance:fiscal-year-create"), {"start_on": "2026-06-01", "end_on": "2027-05-31"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["start_on"] == ["This fiscal year overlaps an existing one."]


def test_finance_manager_creates_and_edits_a_series_with_allowed_roles(ledger, org, client_for):
    client = client_for("finance_manager")
    clerk_role = Role.objects.get(code="accounts_clerk")
    response = client.post(
        reverse("finance:series-create"),
        {"code": "l", "name": "Löner", "is_manual": "on", "allowed_roles": [clerk_role.pk]},
    )
    assert response.status_code == 302
    series = VoucherSeries.objects.get(legal_entity=org.company, code="L")
    assert (series.name, series.is_manual) == ("Löner", True)
    assert list(series.allowed_roles.values_list("code", flat=True)) == ["accounts_clerk"]
    assert series.counters.count() == 1

    response = client.post(reverse("finance:series-edit", args=[series.pk]), {"code": "L", "name": "Payroll"})
    assert response.status_code == 302
    series.refresh_from_db()
    assert (series.name, series.is_manual, series.allowed_roles.count()) == ("Payroll", False, 0)
    assert AuditEntry.objects.filter(action="finance.series.updated", object_id=str(series.pk)).count() == 1


def test_series_form_offers_the_roles_that_post_vouchers(ledger, client_for):
    form = client_for("finance_manager").get(reverse("finance:series-create")).context["form"]
    codes = sorted(form.fields["allowed_roles"].queryset.values_list("code", flat=True))
    assert codes == ["accounts_clerk", "administrator", "finance_manager"]


def test_lock_dates_are_set_for_everyone_and_per_role(ledger, org, client_for):
    client = client_for("finance_manager")
    clerk_role = Role.objects.get(code="accounts_clerk")
    manager_role = Role.objects.get(code="finance_manager")
    response = client.post(
        reverse("finance:lock-dates"),
        {"everyone": "2026-01-31", f"role_{clerk_role.pk}": "2026-02-28", f"role_{manager_role.pk}": ""},
    )
    assert response.status_code == 302
    dates = {d.role_id: d.locked_through for d in LockDate.objects.filter(legal_entity=org.company)}
    assert dates == {None: datetime.date(2026, 1, 31), clerk_role.pk: datetime.date(2026, 2, 28)}

    # Clearing the clerks' date removes it; the date for everyone stays.
    client.post(reverse("finance:lock-dates"), {"everyone": "2026-01-31", f"role_{clerk_role.pk}": ""})
    dates = {d.role_id: d.locked_through for d in LockDate.objects.filter(legal_entity=org.company)}
    assert dates == {None: datetime.date(2026, 1, 31)}
    assert AuditEntry.objects.filter(action="finance.lock_date.set").count() == 2


def test_amount_limits_are_saved(ledger, org, client_for):
    response = client_for("finance_manager").post(
        reverse("finance:standards-edit"),
        {"four_eyes_threshold_amount": "50000.00", "attachment_threshold_amount": ""},
    )
    assert response.status_code == 302
    standards = PostingStandards.objects.get(legal_entity=org.company)
    assert standards.four_eyes_threshold_amount == Decimal("50000.00")
    assert standards.attachment_threshold_amount is None


def test_negative_amount_limit_is_refused(ledger, client_for):
    response = client_for("finance_manager").post(
        reverse("finance:standards-edit"),
        {"four_eyes_threshold_amount": "-1", "attachment_threshold_amount": ""},
    )
    assert response.status_code == 200
    assert "four_eyes_threshold_amount" in response.context["form"].errors


def test_finance_manager_sets_up_the_ledger_from_the_generic_chart(org, client_for):
    client = client_for("finance_manager")
    response = client.post(
        reverse("finance:ledger-setup"), {"template": "generic", "first_year_start": "2026-04-01"}
    )
    assert response.status_code == 302
    assert LedgerAccount.objects.filter(
        legal_entity=org.company, number="1100", control="receivables"
    ).exists()
    year = FiscalYear.objects.get(legal_entity=org.company)
    assert (year.start_on, year.end_on) == (datetime.date(2026, 4, 1), datetime.date(2027, 3, 31))


def test_set_up_start_must_be_a_first_of_month(org, client_for):
    response = client_for("finance_manager").post(
        reverse("finance:ledger-setup"), {"template": "bas", "first_year_start": "2026-04-15"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["first_year_start"] == [
        "A fiscal year starts on the first day of a month."
    ]
    assert LedgerAccount.objects.count() == 0


def test_set_up_of_a_ledger_that_exists_redirects_to_settings(ledger, client_for):
    response = client_for("finance_manager").get(reverse("finance:ledger-setup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("finance:settings")


def test_administrator_chooses_the_legal_entity_and_sets_up_its_ledger(ledger, org, client_for):
    """Organisation-scope users pick a legal entity; links keep the choice."""
    client = client_for("admin")
    url = reverse("finance:account-list") + f"?legal_entity={org.other_company.pk}"
    response = client.get(url)
    assert response.context["legal_entity"] == org.other_company
    assert response.context["entity_query"] == f"?legal_entity={org.other_company.pk}"
    assert {e.name for e in response.context["entity_choices"]} == {
        "Tandhälsan Norden AB",
        "Other Company AB",
    }

    response = client.post(
        reverse("finance:ledger-setup") + f"?legal_entity={org.other_company.pk}",
        {"template": "generic", "first_year_start": "2026-01-01"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("finance:settings") + f"?legal_entity={org.other_company.pk}"
    assert LedgerAccount.objects.filter(legal_entity=org.other_company).count() == 45


def test_unknown_legal_entity_is_not_found(ledger, root, client):
    client.force_login(root)
    assert client.get(reverse("finance:settings") + "?legal_entity=999999").status_code == 404
    assert client.get(reverse("finance:settings") + "?legal_entity=abc").status_code == 404
