"""The ``demo`` command: a complete demo company, safe to run again."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from frontoffice.core.scoping import visible_to
from frontoffice.org.models import LegalEntity, Location, Region, Staff, User
from frontoffice.org.roles import DEFAULT_ROLES
from frontoffice.org.validators import normalise_organisation_number, normalise_vat_number
from frontoffice.parties.models import Interaction, Party

USERNAMES = {
    "administrator": {"admin"},
    "national_sales_manager": {"nsm"},
    "regional_sales_manager": {"rsm"},
    "sales_rep": {"rep", "rep2"},
    "office_manager": {"office"},
    "receptionist": {"reception"},
    "finance_manager": {"cfo"},
    "accounts_clerk": {"clerk"},
    "auditor": {"auditor"},
}


def run_demo(password: str = "pw", customers: int = 20) -> str:
    out = StringIO()
    call_command("demo", password=password, customers=customers, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db: None) -> str:
    return run_demo()


def test_demo_creates_a_swedish_company_with_two_regions_a_clinic_and_a_sales_office(demo: str) -> None:
    company = LegalEntity.objects.get()
    assert company.base_currency == "SEK"
    assert company.country == "SE"
    assert company.default_language == "sv"
    assert normalise_organisation_number(company.organisation_number) == company.organisation_number
    assert normalise_vat_number(company.vat_number) == company.vat_number
    assert sorted(Region.objects.values_list("name", flat=True)) == ["Norr", "Syd"]
    clinic = Location.objects.get(name="Tandkliniken Centrum")
    office = Location.objects.get(kind=Location.Kind.SALES_OFFICE)
    assert clinic.kind == Location.Kind.CLINIC
    assert clinic.region_id != office.region_id
    assert clinic.opening_hours["mon"] == [["08:00", "17:00"]]
    assert clinic.opening_hours["sun"] == []


def test_demo_has_staff_in_every_default_role_with_supervisors(demo: str) -> None:
    staff = {s.user.username: s for s in Staff.objects.select_related("user", "role", "supervisor__user")}
    by_role: dict[str, set[str]] = {}
    for s in staff.values():
        by_role.setdefault(s.role.code, set()).add(s.user.username)
    assert set(by_role) == set(DEFAULT_ROLES)
    assert by_role == USERNAMES
    assert staff["admin"].supervisor is None
    assert all(s.supervisor is not None for name, s in staff.items() if name != "admin")
    assert staff["clerk"].supervisor.user.username == "cfo"
    assert list(staff["rsm"].regions.values_list("code", flat=True)) == ["norr"]
    assert list(staff["office"].locations.values_list("name", flat=True)) == ["Tandkliniken Centrum"]
    assert staff["rep"].home_region.code != staff["rep2"].home_region.code
    assert all(s.user.email == f"{name}@demo.frontoffice.local" for name, s in staff.items())


def test_demo_admin_is_a_superuser_for_django_admin(demo: str) -> None:
    admin = User.objects.get(username="admin")
    assert admin.is_staff is True
    assert admin.is_superuser is True
    assert User.objects.filter(is_superuser=True).count() == 1


def test_demo_customers_have_normalised_contact_data_and_past_interactions(demo: str) -> None:
    from frontoffice.leads.models import Lead

    # The demo's 20 customers, plus the prospects and patients the desks' seeds bring in
    # (web leads, the clinic's patients).
    assert Party.objects.filter(email__endswith="@kund.demo.frontoffice.local").count() == 20
    assert Lead.objects.filter(created_party=True).exists()
    assert Party.objects.filter(phone__startswith="+467").count() >= 20
    assert Party.objects.filter(email__endswith="@kund.demo.frontoffice.local").count() == 20
    for number in Party.objects.exclude(organisation_number="").values_list("organisation_number", flat=True):
        assert normalise_organisation_number(number) == number
    interactions = list(Interaction.objects.all())
    assert len(interactions) > 0
    now = timezone.now()
    assert all(now - timedelta(days=91) < i.started_at < now for i in interactions)
    # Billing's demo adds contacts without an end (open invoice questions, reminders).
    assert all(i.ended_at > i.started_at for i in interactions if i.ended_at is not None)
    assert {i.kind for i in interactions} >= {"visit", "call", "meeting"}


def test_running_demo_again_creates_no_duplicates_and_resets_passwords(demo: str, client) -> None:
    counts = (
        LegalEntity.objects.count(),
        Region.objects.count(),
        Location.objects.count(),
        User.objects.count(),
        Staff.objects.count(),
        Party.objects.count(),
        Interaction.objects.count(),
    )
    output = run_demo(password="second-pw")
    assert (
        LegalEntity.objects.count(),
        Region.objects.count(),
        Location.objects.count(),
        User.objects.count(),
        Staff.objects.count(),
        Party.objects.count(),
        Interaction.objects.count(),
    ) == counts
    assert "second-pw" in output
    assert client.login(username="rep", password="second-pw") is True
    assert client.login(username="rep", password="pw") is False


def test_demo_users_can_sign_in_with_the_given_password(demo: str, client) -> None:
    for usernames in USERNAMES.values():
        for username in usernames:
            assert client.login(username=username, password="pw") is True, username


def test_demo_prints_one_login_per_role_and_the_url(demo: str) -> None:
    lines = demo.splitlines()
    for username in ("admin", "nsm", "rsm", "rep", "rep2", "office", "reception", "cfo", "clerk", "auditor"):
        assert any(line.split()[-2:] == [username, "pw"] for line in lines if line.strip()), username
    assert "http://127.0.0.1:8000/" in demo


def test_demo_scopes_customers_per_role(demo: str) -> None:
    users = {u.username: u for u in User.objects.all()}
    total = Party.objects.count()
    assert visible_to(Party.objects.all(), users["cfo"]).count() == total
    rep_north = visible_to(Party.objects.all(), users["rep"])
    rep_south = visible_to(Party.objects.all(), users["rep2"])
    assert not set(rep_north.values_list("pk", flat=True)) & set(rep_south.values_list("pk", flat=True))
    assert (
        visible_to(Party.objects.all(), users["reception"]).filter(location__kind="sales_office").count() == 0
    )


def test_demo_issues_invoices_with_payments_a_reminder_a_credit_note_and_questions(demo: str) -> None:
    """Invoices of the last months went through the services: numbered gaplessly per series and
    year, each with its voucher, the ledger balanced and receivables (1510) equal to the open
    amounts; payments, one reminder, one credit note and customers' questions exist."""
    from decimal import Decimal

    from django.db.models import Sum

    from frontoffice.billing.models import Invoice, InvoiceQuestion
    from frontoffice.finance.models import JournalLine
    from frontoffice.receivables.models import Payment, Reminder

    company = LegalEntity.objects.get()
    documents = Invoice.objects.filter(legal_entity=company).exclude(status="draft")
    assert documents.filter(kind="invoice").count() == 30
    assert documents.filter(kind="credit_note").count() == 1
    assert documents.filter(voucher__isnull=True).count() == 0
    for series_id, year in set(documents.values_list("series_id", "year")):
        numbers = sorted(documents.filter(series_id=series_id, year=year).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
    lines = JournalLine.objects.filter(entry__legal_entity=company)
    debit = lines.filter(side="D").aggregate(s=Sum("amount"))["s"] or Decimal("0")
    credit = lines.filter(side="C").aggregate(s=Sum("amount"))["s"] or Decimal("0")
    assert Decimal(debit).quantize(Decimal("0.01")) == Decimal(credit).quantize(Decimal("0.01"))
    receivables = lines.filter(account__number="1510")
    balance = (receivables.filter(side="D").aggregate(s=Sum("amount"))["s"] or Decimal("0")) - (
        receivables.filter(side="C").aggregate(s=Sum("amount"))["s"] or Decimal("0")
    )
    open_amounts = documents.aggregate(s=Sum("open_amount"))["s"] or Decimal("0")
    assert Decimal(balance).quantize(Decimal("0.01")) == Decimal(open_amounts).quantize(Decimal("0.01"))
    assert Payment.objects.filter(legal_entity=company).count() >= 10
    assert documents.filter(status="paid").count() >= 10
    overdue = documents.filter(kind="invoice", status="issued", due_on__lt=timezone.localdate())
    assert overdue.exists()
    assert Reminder.objects.filter(invoice__legal_entity=company).count() == 1
    questions = InvoiceQuestion.objects.filter(legal_entity=company)
    assert questions.filter(status="open").count() == 2
    assert questions.filter(rating__isnull=False).count() == 1
    # Running again adds no invoices.
    run_demo()
    assert Invoice.objects.filter(legal_entity=company).count() == 31
