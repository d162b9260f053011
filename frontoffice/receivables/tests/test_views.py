import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from frontoffice.billing.models import Invoice
from frontoffice.finance.models import JournalEntry
from frontoffice.receivables.models import BankImport, Payment, Reminder
from frontoffice.receivables.services.payments import AllocationInput, payment_register
from frontoffice.receivables.tests.factories import make_invoice

pytestmark = pytest.mark.django_db
PAID_ON = datetime.date(2026, 3, 20)


def register(org, **kw):
    kw.setdefault("legal_entity", org.company)
    kw.setdefault("paid_on", PAID_ON)
    return payment_register(actor=org.user("clerk"), **kw)


@pytest.fixture
def invoices(customers, org):
    return make_invoice(org, customers.north, "1250.00"), make_invoice(org, customers.south, "625.00")


# ---------------------------------------------------------------- payments list


def test_the_payment_list_shows_filters_and_searches(invoices, org, client_for):
    north, _south = invoices
    register(
        org, amount="1250.00", payer_name="Norrsken Bygg AB", allocations=[AllocationInput(north, "1250.00")]
    )
    register(org, amount="99.50", payer_name="Okänd betalare")
    client = client_for("clerk")
    response = client.get(reverse("receivables:payment-list"))
    assert response.status_code == 200
    assert response.content.count(b'data-testid="payment-row"') == 2
    response = client.get(reverse("receivables:payment-list"), {"q": "okänd"})
    assert response.content.count(b'data-testid="payment-row"') == 1
    assert "Okänd betalare" in response.content.decode()
    queue = client.get(reverse("receivables:payment-queue"))
    assert queue.content.count(b'data-testid="payment-row"') == 1
    assert "Okänd betalare" in queue.content.decode()


def test_htmx_gets_only_the_results_fragment(invoices, org, client_for):
    register(org, amount="10.00")
    response = client_for("clerk").get(
        reverse("receivables:payment-list"), {"q": "10"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="payment-results"')
    assert "<html" not in body


def test_the_payment_list_runs_a_fixed_number_of_queries(
    invoices, org, client_for, django_assert_max_num_queries
):
    client = client_for("clerk")
    for n in range(3):
        register(org, amount=f"{n + 1}.00", payer_name=f"Payer {n}")
    url = reverse("receivables:payment-list")
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for n in range(15):
        register(org, amount=f"{n + 10}.00", payer_name=f"More {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.count(b'data-testid="payment-row"') == 18


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rep_north", 403), ("receptionist", 403), ("auditor", 200), ("finance_manager", 200)],
)
def test_who_may_list_payments(invoices, org, client_for, persona, status):
    assert client_for(persona).get(reverse("receivables:payment-list")).status_code == status


def test_another_company_clerk_sees_none_of_the_payments_and_gets_404_for_one(invoices, org, client_for):
    payment = register(org, amount="10.00", payer_name="Secret payer")
    client = client_for("other_clerk")
    response = client.get(reverse("receivables:payment-list"))
    assert b"Secret payer" not in response.content
    assert (
        client.get(reverse("receivables:payment-list"), {"legal_entity": org.company.pk}).status_code == 404
    )
    assert client.get(reverse("receivables:payment-detail", args=[payment.pk])).status_code == 404


def test_exports_are_safe_from_spreadsheet_formulas(invoices, org, client_for):
    register(org, amount="1250.50", payer_name='=HYPERLINK("http://evil")', reference="@SUM(1)")
    client = client_for("clerk")
    csv = client.get(reverse("receivables:payment-list"), {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(1)" in text
    assert "1250.50" in text
    xlsx = client.get(reverse("receivables:payment-list"), {"format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    row = list(sheet[2])
    assert row[1].value == Decimal("1250.50") or row[1].value == 1250.5
    payer = row[4]
    assert payer.value == '=HYPERLINK("http://evil")'
    assert payer.data_type == "s"


# ---------------------------------------------------------------- registering, allocating


def test_registering_a_payment_with_allocations(invoices, org, client_for):
    north, south = invoices
    client = client_for("clerk")
    form = client.get(reverse("receivables:payment-create"))
    assert form.status_code == 200
    assert form.content.count(b'data-testid="invoice-row"') == 2
    response = client.post(
        reverse("receivables:payment-create"),
        {
            "paid_on": "2026-03-20",
            "amount": "1 875,00",
            "currency": "SEK",
            "payer_name": "Kund",
            f"alloc-{north.pk}": "1 250,00",
            f"alloc-{south.pk}": "625",
            "idempotency_key": "form-1",
        },
    )
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("receivables:payment-detail", args=[payment.pk])
    assert payment.unallocated_amount == Decimal("0.00")
    assert set(Invoice.objects.values_list("status", flat=True)) == {"paid"}
    again = client.post(
        reverse("receivables:payment-create"),
        {"paid_on": "2026-03-20", "amount": "1875", "currency": "SEK", "idempotency_key": "form-1"},
    )
    assert again.status_code == 302 and Payment.objects.count() == 1


def test_the_htmx_invoice_search_returns_only_the_rows(invoices, org, client_for):
    north, _ = invoices
    response = client_for("clerk").get(
        reverse("receivables:payment-create"), {"invoice_q": "Norrsken"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="invoice-rows"') or 'id="invoice-rows"' in body[:200]
    assert body.count('data-testid="invoice-row"') == 1
    assert north.reference in body


def test_a_payment_in_euro_is_refused_and_nothing_is_written(invoices, org, client_for):
    before = (Payment.objects.count(), JournalEntry.objects.count())
    response = client_for("clerk").post(
        reverse("receivables:payment-create"),
        {"paid_on": "2026-03-20", "amount": "100,00", "currency": "EUR"},
    )
    assert response.status_code == 400
    assert "SEK" in response.content.decode()
    assert (Payment.objects.count(), JournalEntry.objects.count()) == before


def test_over_allocation_is_refused_with_the_invoice_named(invoices, org, client_for):
    north, _ = invoices
    response = client_for("clerk").post(
        reverse("receivables:payment-create"),
        {"paid_on": "2026-03-20", "amount": "2000", "currency": "SEK", f"alloc-{north.pk}": "1300"},
    )
    assert response.status_code == 400
    assert north.reference in response.content.decode()
    assert not Payment.objects.exists()


def test_a_bad_amount_on_an_invoice_row_is_shown_on_that_row(invoices, org, client_for):
    north, _ = invoices
    response = client_for("clerk").post(
        reverse("receivables:payment-create"),
        {"paid_on": "2026-03-20", "amount": "100", "currency": "SEK", f"alloc-{north.pk}": "12,345"},
    )
    assert response.status_code == 400
    assert f'id="alloc-{north.pk}-error"' in response.content.decode()
    assert not Payment.objects.exists()


def test_allocating_and_undoing_from_the_payment_page(invoices, org, client_for):
    north, _ = invoices
    payment = register(org, amount="1000.00")
    client = client_for("clerk")
    page = client.get(reverse("receivables:payment-detail", args=[payment.pk]))
    assert b'data-testid="allocate-form"' in page.content
    response = client.post(
        reverse("receivables:payment-allocate", args=[payment.pk]), {f"alloc-{north.pk}": "1000"}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.unallocated_amount == Decimal("0.00")
    allocation = payment.allocations.get()
    response = client.post(reverse("receivables:allocation-undo", args=[allocation.pk]))
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.unallocated_amount == Decimal("1000.00")


def test_over_allocating_from_the_payment_page_changes_nothing(invoices, org, client_for):
    north, _ = invoices
    payment = register(org, amount="100.00")
    response = client_for("clerk").post(
        reverse("receivables:payment-allocate", args=[payment.pk]), {f"alloc-{north.pk}": "200"}
    )
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.unallocated_amount == Decimal("100.00")


def test_the_auditor_reads_payments_but_cannot_change_them(invoices, org, client_for):
    north, _ = invoices
    payment = register(org, amount="100.00")
    client = client_for("auditor")
    page = client.get(reverse("receivables:payment-detail", args=[payment.pk]))
    assert page.status_code == 200 and b'data-testid="allocate-form"' not in page.content
    assert (
        client.post(
            reverse("receivables:payment-allocate", args=[payment.pk]), {f"alloc-{north.pk}": "100"}
        ).status_code
        == 403
    )
    assert client.get(reverse("receivables:payment-create")).status_code == 403


# ---------------------------------------------------------------- bank file wizard


def test_the_bank_file_wizard_uploads_maps_previews_and_imports(invoices, org, client_for):
    north, _ = invoices
    data = (
        "Bokföringsdag;Belopp;Referens;Avsändare\n"
        f"2026-03-20;1 250,00;{north.payment_reference};Norrsken Bygg AB\n"
        "2026-03-21;99,50;hyra;Åsa\n"
    ).encode("cp1252")
    client = client_for("clerk")
    url = reverse("receivables:bank-import")
    assert client.get(url).status_code == 200
    mapping = client.post(url, {"file": SimpleUploadedFile("mars.csv", data, content_type="text/csv")})
    body = mapping.content.decode()
    assert mapping.status_code == 200
    assert 'data-testid="bank-mapping"' in body and "Avsändare" in body
    # The column guesses are preselected.
    assert '<option value="Belopp" selected>' in body
    choice = {
        "date": "Bokföringsdag",
        "amount": "Belopp",
        "reference": "Referens",
        "payer": "Avsändare",
        "save_as": "Bank",
    }
    preview = client.post(url, {**choice, "action": "preview"})
    assert preview.content.count(b'data-testid="preview-row"') == 2
    assert b'data-status="matched"' in preview.content
    assert not BankImport.objects.exists()
    done = client.post(url, {**choice, "action": "import"})
    result = BankImport.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "receivables:bank-import-detail", args=[result.pk]
    )
    assert result.payments.count() == 2
    detail = client.get(done["Location"])
    assert detail.content.count(b'data-testid="payment-row"') == 2
    # The same file again: the preview says so and nothing more is imported.
    client.post(url, {"file": SimpleUploadedFile("again.csv", data, content_type="text/csv")})
    again = client.post(url, {**choice, "action": "import"})
    assert again.status_code == 400
    assert "already imported" in again.content.decode()
    assert BankImport.objects.count() == 1


def test_the_wizard_lists_every_bad_row_and_imports_nothing(invoices, org, client_for):
    data = b"Datum;Belopp\n2026-03-20;abc\n2026-02-30;10,00\n"
    client = client_for("clerk")
    url = reverse("receivables:bank-import")
    client.post(url, {"file": SimpleUploadedFile("bad.csv", data)})
    preview = client.post(url, {"date": "Datum", "amount": "Belopp", "action": "preview"})
    body = preview.content.decode()
    assert "Line 2, column “Belopp”" in body and "Line 3, column “Datum”" in body
    assert 'data-testid="bank-import-confirm"' not in body
    forced = client.post(url, {"date": "Datum", "amount": "Belopp", "action": "import"})
    assert forced.status_code == 400
    assert not Payment.objects.exists()


def test_an_unreadable_upload_is_refused_on_the_upload_form(invoices, org, client_for):
    response = client_for("clerk").post(
        reverse("receivables:bank-import"), {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04\x00\x00")}
    )
    assert response.status_code == 400
    assert "not a CSV" in response.content.decode()


@pytest.mark.parametrize("persona", ["rep_north", "auditor"])
def test_only_clerks_import_bank_files(invoices, org, client_for, persona):
    assert client_for(persona).get(reverse("receivables:bank-import")).status_code == 403


# ---------------------------------------------------------------- aging, DSO, statements


@pytest.fixture
def overdue(customers, org):
    return (
        make_invoice(
            org,
            customers.north,
            "1000.00",
            issue_on=datetime.date(2026, 1, 10),
            due_on=datetime.date(2026, 2, 9),
        ),
        make_invoice(
            org,
            customers.south,
            "500.00",
            issue_on=datetime.date(2026, 3, 1),
            due_on=datetime.date(2026, 3, 31),
        ),
    )


def test_the_aging_page_shows_buckets_and_totals(overdue, org, client_for):
    response = client_for("clerk").get(reverse("receivables:aging"), {"as_of": "2026-04-15"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="aging-row"') == 2
    assert "Norrsken Bygg AB" in body and "Söderljus Tandvård AB" in body
    assert 'data-testid="total"' in body


@pytest.mark.parametrize(
    ("persona", "sees", "hidden"),
    [("rep_north", "Norrsken", "Söderljus"), ("rep_south", "Söderljus", "Norrsken")],
)
def test_sales_reps_see_the_aging_of_their_own_customers(overdue, org, client_for, persona, sees, hidden):
    body = client_for(persona).get(reverse("receivables:aging"), {"as_of": "2026-04-15"}).content.decode()
    assert sees in body and hidden not in body


def test_the_aging_drill_down_lists_the_invoices_and_htmx_gets_the_table(overdue, customers, org, client_for):
    north, _ = overdue
    client = client_for("clerk")
    params = {"as_of": "2026-04-15", "party": customers.north.pk, "bucket": "days_61_90"}
    response = client.get(reverse("receivables:aging-invoices"), params, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="aging-invoices"')
    assert north.reference in body
    assert client.get(reverse("receivables:aging-invoices"), {**params, "bucket": "bogus"}).status_code == 404
    assert client_for("rep_south").get(reverse("receivables:aging-invoices"), params).status_code == 404


def test_the_aging_exports(overdue, org, client_for):
    client = client_for("clerk")
    csv = client.get(reverse("receivables:aging"), {"as_of": "2026-04-15", "format": "csv"})
    text = csv.content.decode("utf-8-sig")
    assert "Norrsken Bygg AB" in text and "1000.00" in text
    xlsx = client.get(reverse("receivables:aging"), {"as_of": "2026-04-15", "format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 4  # header, two customers, total
    rep = client_for("rep_south").get(reverse("receivables:aging"), {"as_of": "2026-04-15", "format": "csv"})
    assert "Norrsken" not in rep.content.decode("utf-8-sig")


def test_dso_and_statement_pages(overdue, customers, org, client_for):
    client = client_for("clerk")
    dso = client.get(reverse("receivables:dso"), {"as_of": "2026-04-15", "days": "90"})
    assert dso.status_code == 200 and b'data-testid="dso-value"' in dso.content
    statement = client.get(
        reverse("receivables:statement", args=[customers.north.pk]), {"as_of": "2026-04-15"}
    )
    assert statement.status_code == 200
    assert statement.content.count(b'data-testid="statement-item"') == 1


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rep_north", 200), ("rep_south", 404), ("other_clerk", 404), ("receptionist", 403), ("auditor", 200)],
)
def test_statement_scope(overdue, customers, org, client_for, persona, status):
    assert (
        client_for(persona).get(reverse("receivables:statement", args=[customers.north.pk])).status_code
        == status
    )


# ---------------------------------------------------------------- reminders


def test_sending_reminders_from_the_list(overdue, org, client_for, django_capture_on_commit_callbacks):
    north, south = overdue
    client = client_for("clerk")
    with time_machine.travel(datetime.datetime(2026, 4, 15, 10, tzinfo=datetime.UTC), tick=False):
        page = client.get(reverse("receivables:reminder-list"))
        assert page.content.count(b'data-testid="reminder-row"') == 2
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("receivables:reminder-list"), {"invoice": [north.pk], "channel": "email"}
            )
        assert response.status_code == 302
        assert list(Reminder.objects.values_list("invoice_id", "level")) == [(north.pk, 1)]
        assert len(mail.outbox) == 1
        page = client.get(reverse("receivables:reminder-list"))
        assert page.content.count(b'data-testid="reminder-row"') == 1  # north waits 14 days for level 2
        client.post(reverse("receivables:dispute-open", args=[south.pk]), {"reason": "Fel pris"})
        page = client.get(reverse("receivables:reminder-list"))
        assert page.content.count(b'data-testid="reminder-row"') == 0
        assert page.content.count(b'data-testid="dispute-row"') == 1


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "receptionist"])
def test_only_clerks_send_reminders(overdue, org, client_for, persona):
    assert client_for(persona).get(reverse("receivables:reminder-list")).status_code == 403


def test_navigation_offers_the_receivables_pages_to_those_allowed(invoices, org, client_for):
    clerk = client_for("clerk").get(reverse("receivables:aging")).content.decode()
    assert reverse("receivables:payment-list") in clerk and reverse("receivables:reminder-list") in clerk
    rep = client_for("rep_north").get(reverse("receivables:aging")).content.decode()
    assert reverse("receivables:payment-list") not in rep
