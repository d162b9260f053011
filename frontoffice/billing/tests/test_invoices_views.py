"""Invoice pages: list (filters, search, pagination, exports, scope), new drafts, the HTMX draft
editor with live totals, the detail page, and the issue and credit actions (403/404)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from frontoffice.billing.models import Invoice
from frontoffice.billing.services.crediting import credit_note_create
from frontoffice.billing.services.invoicing import invoice_issue
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.invoicing_factories import ISSUE_DAY, make_customer, make_draft
from frontoffice.finance.models import JournalEntry, LockDate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_pricing_app")]
D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def documents(org, customer, south_customer, products):
    """North: an issued invoice (F2026-00001) and a draft; South: an issued invoice (F2026-00002)."""
    clerk = org.user("clerk")
    north = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (products["checkup"], "2")))
    south = invoice_issue(
        actor=clerk,
        invoice=make_draft(
            clerk, south_customer, (products["book"], "1"), issue_on=datetime.date(2026, 4, 2)
        ),
    )
    draft = make_draft(clerk, customer, (products["lunch"], "1"), issue_on=None)
    return {"north": north, "south": south, "draft": draft}


def listed(response) -> list[str]:
    return [i.reference or f"draft-{i.pk}" for i in response.context["page_obj"]]


# ---------------------------------------------------------------- list


def test_the_clerk_lists_every_invoice_drafts_first(client_for, documents):
    response = client_for("clerk").get(reverse("billing:invoice-list"))
    assert response.status_code == 200
    assert listed(response) == [f"draft-{documents['draft'].pk}", "F2026-00002", "F2026-00001"]
    assert "F2026-00001" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("rep_north", ["draft", "F2026-00001"]),  # own customer only
        ("rep_south", ["F2026-00002"]),
        ("rsm_north", ["draft", "F2026-00001"]),  # the region's customers
        ("auditor", ["draft", "F2026-00002", "F2026-00001"]),
        ("other_clerk", []),  # another legal entity
    ],
)
def test_the_list_is_scoped_to_the_users_customers(client_for, documents, persona, expected):
    response = client_for(persona).get(reverse("billing:invoice-list"))
    assert response.status_code == 200
    assert [ref if not ref.startswith("draft-") else "draft" for ref in listed(response)] == expected


@pytest.mark.parametrize("persona", ["receptionist", "office_manager", "nobody"])
def test_the_list_needs_the_view_permission(client_for, documents, persona):
    assert client_for(persona).get(reverse("billing:invoice-list")).status_code == 403


def test_the_list_filters_by_status_customer_dates_and_search(
    client_for, documents, customer, south_customer
):
    client = client_for("clerk")
    url = reverse("billing:invoice-list")
    assert listed(client.get(url, {"status": "draft"})) == [f"draft-{documents['draft'].pk}"]
    assert listed(client.get(url, {"customer": south_customer.party_id})) == ["F2026-00002"]
    assert listed(client.get(url, {"date_from": "2026-04-01", "date_to": "2026-04-30"})) == ["F2026-00002"]
    assert listed(client.get(url, {"q": "F2026-00001"})) == ["F2026-00001"]
    assert listed(client.get(url, {"q": "2"})) == ["F2026-00002"]
    assert listed(client.get(url, {"q": "söderberg"})) == ["F2026-00002"]
    assert listed(client.get(url, {"q": documents["north"].payment_reference})) == ["F2026-00001"]
    assert listed(client.get(url, {"date_from": "not a date"})) == listed(client.get(url))


def test_the_list_answers_htmx_with_the_results_only(client_for, documents):
    response = client_for("clerk").get(reverse("billing:invoice-list"), {"status": "issued"}, **HTMX)
    content = response.content.decode()
    assert 'id="invoice-results"' in content
    assert "<html" not in content and 'id="invoice-filters"' not in content
    assert "F2026-00001" in content


def test_the_list_is_paginated(org, client_for, customer, products, settings):
    settings.FRONTOFFICE_PAGE_SIZE = 2
    clerk = org.user("clerk")
    drafts = [make_draft(clerk, customer, (products["book"], str(n + 1))) for n in range(5)]
    client = client_for("clerk")
    first = client.get(reverse("billing:invoice-list"))
    assert first.context["page_obj"].paginator.num_pages == 3
    assert [i.pk for i in first.context["page_obj"]] == [drafts[4].pk, drafts[3].pk]
    third = client.get(reverse("billing:invoice-list"), {"page": 3})
    assert [i.pk for i in third.context["page_obj"]] == [drafts[0].pk]


@pytest.mark.parametrize("count", [2, 12])
def test_the_list_query_count_does_not_grow_with_invoices(
    org, client_for, customer, south_customer, products, django_assert_max_num_queries, count
):
    clerk = org.user("clerk")
    for n in range(count):
        invoice = make_draft(clerk, customer if n % 2 else south_customer, (products["checkup"], "1"))
        if n % 3:
            invoice_issue(actor=clerk, invoice=invoice)
    client = client_for("clerk")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("billing:invoice-list"))
    assert len(response.context["page_obj"].object_list) == count


# ---------------------------------------------------------------- exports


def test_the_csv_export_holds_the_filtered_scoped_list(client_for, documents):
    response = client_for("clerk").get(
        reverse("billing:invoice-export"), {"format": "csv", "status": "issued"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffNumber;Document;Status;Customer")
    rows = text.strip().split("\r\n")
    assert len(rows) == 3
    assert rows[1].startswith(
        "F2026-00002;Invoice;Issued;Söderbergs Tandlab AB;556677-0001;2026-04-02;2026-05-02;199.00;11.94;0.00;210.94;210.94;SEK;"
    )
    assert rows[2].startswith("F2026-00001;")
    # the sales rep's export holds their own customer's invoices only
    rep = client_for("rep_south").get(reverse("billing:invoice-export"), {"format": "csv"})
    assert [row.split(";")[0] for row in rep.content.decode("utf-8").strip().split("\r\n")[1:]] == [
        "F2026-00002"
    ]


def test_the_csv_export_uses_a_decimal_comma_in_swedish(client_for, documents):
    client = client_for("clerk")
    response = client.get(
        reverse("billing:invoice-export"), {"format": "csv", "q": "F2026-00002"}, HTTP_ACCEPT_LANGUAGE="sv"
    )
    text = response.content.decode("utf-8")
    assert ";199,00;11,94;0,00;210,94;" in text


def test_the_csv_export_defuses_spreadsheet_formulas(org, billing, client_for, products):
    clerk = org.user("clerk")
    evil = make_customer(billing, name="=HYPERLINK(1)")
    make_draft(clerk, evil, (products["book"], "1"))
    text = client_for("clerk").get(reverse("billing:invoice-export"), {"format": "csv"}).content.decode()
    assert ";'=HYPERLINK(1);" in text


def test_the_xlsx_export_has_amounts_as_numbers(client_for, documents):
    from openpyxl import load_workbook

    response = client_for("clerk").get(
        reverse("billing:invoice-export"), {"format": "xlsx", "status": "issued"}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Number", "Document", "Status")
    assert rows[1][0] == "F2026-00002"
    assert rows[1][10] == 210.94  # openpyxl reads numbers back as floats
    assert isinstance(rows[1][5], datetime.datetime)
    assert len(rows) == 3


def test_exports_are_scoped_and_need_the_view_permission(client_for, documents):
    url = reverse("billing:invoice-export")
    assert client_for("receptionist").get(url, {"format": "csv"}).status_code == 403
    other = client_for("other_clerk").get(url, {"format": "csv"}).content.decode()
    assert other.strip().count("\r\n") == 0  # the header only
    assert client_for("clerk").get(url, {"format": "pdf"}).status_code == 404


# ---------------------------------------------------------------- drafts and the editor


def test_the_clerk_starts_a_draft_for_a_customer(org, client_for, customer):
    client = client_for("clerk")
    assert client.get(reverse("billing:invoice-create")).status_code == 200
    response = client.post(
        reverse("billing:invoice-create"),
        {"customer": customer.party_id, "issue_on": "2026-03-16", "buyer_reference": "Anna"},
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:invoice-detail", args=[invoice.pk])
    assert (invoice.status, invoice.party, invoice.issue_on, invoice.buyer_reference) == (
        "draft",
        customer.party,
        ISSUE_DAY,
        "Anna",
    )


def test_a_draft_needs_a_customer_the_user_can_bill(org, client_for, billing):
    other = make_customer(org.other_company, name="Elsewhere AB")
    response = client_for("clerk").post(reverse("billing:invoice-create"), {"customer": other.party_id})
    assert response.status_code == 200
    assert response.context["form"].errors["customer"]
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "receptionist"])
def test_starting_a_draft_needs_the_add_permission(client_for, customer, persona):
    response = client_for(persona).post(reverse("billing:invoice-create"), {"customer": customer.party_id})
    assert response.status_code == 403
    assert Invoice.objects.count() == 0


def test_adding_a_line_with_htmx_returns_the_lines_and_totals(org, client_for, customer, products):
    draft = make_draft(org.user("clerk"), customer)
    response = client_for("clerk").post(
        reverse("billing:invoice-line-add", args=[draft.pk]),
        {"line-product": products["checkup"].pk, "line-quantity": "2", "line-description": ""},
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="invoice-lines"')
    assert "<html" not in content
    assert "Undersökning" in content
    assert response.context["totals"].total_amount == D("2125.00")
    draft.refresh_from_db()
    assert (draft.lines.count(), draft.total_amount) == (1, D("2125.00"))


def test_a_bad_line_comes_back_with_errors_naming_the_field(org, client_for, customer, products):
    draft = make_draft(org.user("clerk"), customer)
    response = client_for("clerk").post(
        reverse("billing:invoice-line-add", args=[draft.pk]),
        {"line-product": products["checkup"].pk, "line-quantity": "-1", "line-discount_percent": "150"},
        **HTMX,
    )
    assert response.status_code == 200
    form = response.context["line_form"]
    assert set(form.errors) == {"quantity", "discount_percent"}
    assert "credit note" in " ".join(form.errors["quantity"])
    assert draft.lines.count() == 0


def test_live_totals_preview_a_line_without_saving_it(org, client_for, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    response = client_for("clerk").post(
        reverse("billing:invoice-line-preview", args=[draft.pk]),
        {"line-product": products["book"].pk, "line-quantity": "2"},
        **HTMX,
    )
    assert response.status_code == 200
    preview = response.content.decode()
    # 2 x 199.00 = 398.00 at 6 % (23.88): 1 062.50 + 421.88
    assert "This line: SEK\xa0398.00. Invoice total with it: SEK\xa01,484.38 (VAT SEK\xa0236.38)." in preview
    assert draft.lines.count() == 1
    bad = client_for("clerk").post(
        reverse("billing:invoice-line-preview", args=[draft.pk]), {"line-quantity": "0"}, **HTMX
    )
    assert 'data-testid="line-preview-errors"' in bad.content.decode()
    assert "credit note" in bad.content.decode()


def test_editing_a_line_inline(org, client_for, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"), (products["book"], "1"))
    line = draft.lines.get(line_no=2)
    client = client_for("clerk")
    url = reverse("billing:invoice-line-edit", args=[draft.pk, line.pk])
    row = client.get(url, **HTMX).content.decode()
    assert row.lstrip().startswith(f'<tr id="line-{line.pk}"') and f'form="line-edit-{line.pk}"' in row
    response = client.post(
        url, {f"line-{line.pk}-quantity": "3", f"line-{line.pk}-description": "Boken"}, **HTMX
    )
    assert response.status_code == 200
    line.refresh_from_db()
    assert (line.quantity, line.description, line.net_amount, line.price_source) == (
        D("3"),
        "Boken",
        D("597.00"),
        "list",
    )
    assert response.context["totals"].net_amount == D("1447.00")
    cancel = client.get(url, {"cancel": "1"}, **HTMX).content.decode()
    assert 'data-testid="invoice-line"' in cancel


def test_saving_an_edited_row_with_its_unchanged_price_keeps_the_price_source(
    org, client_for, customer, products
):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    line = draft.lines.get()
    prefix = f"line-{line.pk}"
    response = client_for("clerk").post(
        reverse("billing:invoice-line-edit", args=[draft.pk, line.pk]),
        {
            f"{prefix}-description": "Undersökning",
            f"{prefix}-quantity": "2",
            f"{prefix}-unit": "C62",
            f"{prefix}-unit_price": "850.00",
            f"{prefix}-discount_percent": "0",
            f"{prefix}-vat_code": "SE25",
        },
        **HTMX,
    )
    assert response.status_code == 200
    line.refresh_from_db()
    assert (line.quantity, line.net_amount, line.price_source) == (D("2"), D("1700.00"), "list")


def test_removing_a_line(org, client_for, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"), (products["book"], "1"))
    line = draft.lines.get(line_no=1)
    response = client_for("clerk").post(
        reverse("billing:invoice-line-delete", args=[draft.pk, line.pk]), **HTMX
    )
    assert response.status_code == 200
    assert list(draft.lines.values_list("line_no", "description")) == [(1, "Tandvårdsboken")]
    assert response.context["totals"].total_amount == D("210.94")


def test_editing_needs_the_change_permission_and_the_users_scope(org, client_for, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    line = draft.lines.get()
    add = reverse("billing:invoice-line-add", args=[draft.pk])
    assert client_for("rep_north").post(add, {"line-quantity": "1"}).status_code == 403
    assert client_for("other_clerk").post(add, {"line-quantity": "1"}).status_code == 404
    delete = reverse("billing:invoice-line-delete", args=[draft.pk, line.pk])
    assert client_for("other_clerk").post(delete).status_code == 404
    assert client_for("auditor").post(delete).status_code == 403
    assert draft.lines.count() == 1


def test_the_draft_header_is_saved(org, client_for, customer):
    draft = make_draft(org.user("clerk"), customer)
    response = client_for("clerk").post(
        reverse("billing:invoice-edit", args=[draft.pk]),
        {
            "customer": customer.party_id,
            "issue_on": "2026-04-01",
            "payment_terms_days": "10",
            "notes": "Tack",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.issue_on, draft.payment_terms_days, draft.notes) == (datetime.date(2026, 4, 1), 10, "Tack")


# ---------------------------------------------------------------- detail


def test_the_detail_page_shows_lines_vat_per_rate_voucher_and_audit(org, client_for, customer, products):
    clerk = org.user("clerk")
    invoice = invoice_issue(
        actor=clerk, invoice=make_draft(clerk, customer, (products["checkup"], "2"), (products["book"], "1"))
    )
    response = client_for("finance_manager").get(reverse("billing:invoice-detail", args=[invoice.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Invoice F2026-00001" in content
    assert [(row.rate, row.net_amount, row.vat_amount) for row in response.context["totals"].vat] == [
        (D("25.00"), D("1700.00"), D("425.00")),
        (D("6.00"), D("199.00"), D("11.94")),
    ]
    assert content.count('data-testid="vat-row"') == 2
    assert reverse("finance:voucher-detail", args=[invoice.voucher_id]) in content
    assert "billing.invoice.issued" in content  # the audit trail
    assert invoice.payment_reference in content
    assert 'data-testid="invoice-credit"' in content
    assert 'data-testid="invoice-issue"' not in content
    # The questions panel (log a question taken by phone) and the customer link panel load here.
    assert reverse("billing:invoice-questions", args=[invoice.pk]) in content
    assert reverse("billing:invoice-customer-links", args=[invoice.pk]) in content


def test_the_detail_page_of_a_draft_is_the_editor(org, client_for, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    content = client_for("clerk").get(reverse("billing:invoice-detail", args=[draft.pk])).content.decode()
    assert 'data-testid="line-add-form"' in content and 'data-testid="invoice-issue"' in content
    read_only = (
        client_for("rep_north").get(reverse("billing:invoice-detail", args=[draft.pk])).content.decode()
    )
    assert 'data-testid="line-add-form"' not in read_only and 'data-testid="invoice-issue"' not in read_only


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("clerk", 200),
        ("rep_north", 200),  # own customer
        ("rsm_north", 200),
        ("rep_south", 404),  # someone else's customer
        ("other_clerk", 404),  # another legal entity
        ("receptionist", 403),
        ("nobody", 403),
    ],
)
def test_the_detail_page_is_scoped(client_for, documents, persona, status):
    url = reverse("billing:invoice-detail", args=[documents["north"].pk])
    assert client_for(persona).get(url).status_code == status


def test_an_unknown_invoice_is_not_found(client_for, documents):
    assert client_for("clerk").get(reverse("billing:invoice-detail", args=[999999])).status_code == 404


# ---------------------------------------------------------------- issue


def test_the_clerk_issues_a_draft(org, client_for, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    response = client_for("clerk").post(reverse("billing:invoice-issue", args=[draft.pk]), follow=True)
    draft.refresh_from_db()
    assert draft.status == "issued" and draft.reference == "F2026-00001"
    assert "Invoice F2026-00001 issued and posted as voucher F1." in response.content.decode()


@pytest.mark.parametrize(("persona", "status"), [("rep_north", 403), ("auditor", 403), ("other_clerk", 404)])
def test_issuing_is_permission_checked_and_scoped(org, client_for, customer, products, persona, status):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    assert client_for(persona).post(reverse("billing:invoice-issue", args=[draft.pk])).status_code == status
    assert client_for(persona).get(reverse("billing:invoice-issue", args=[draft.pk])).status_code in (
        403,
        404,
        405,
    )
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert JournalEntry.objects.count() == 0


def test_a_rejected_posting_shows_the_ledgers_violations(org, client_for, customer, products):
    LockDate.objects.create(legal_entity=org.company, locked_through=datetime.date(2026, 3, 31))
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    response = client_for("clerk").post(reverse("billing:invoice-issue", args=[draft.pk]))
    assert response.status_code == 200
    assert 'data-code="period_locked"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_an_invoice_without_lines_is_not_issued(org, client_for, customer):
    draft = make_draft(org.user("clerk"), customer)
    response = client_for("clerk").post(reverse("billing:invoice-issue", args=[draft.pk]), follow=True)
    assert "Add at least one line" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_chosen_drafts_are_issued_as_a_batch_from_the_list(
    org, client_for, customer, south_customer, products
):
    clerk = org.user("clerk")
    a = make_draft(clerk, customer, (products["checkup"], "1"))
    b = make_draft(clerk, south_customer, (products["book"], "1"))
    untouched = make_draft(clerk, customer, (products["lunch"], "1"))
    response = client_for("clerk").post(
        reverse("billing:invoice-issue-batch"), {"invoice": [a.pk, b.pk]}, follow=True
    )
    assert "2 invoices issued: F2026-00001 to F2026-00002." in response.content.decode()
    assert [Invoice.objects.get(pk=pk).number for pk in (a.pk, b.pk, untouched.pk)] == [1, 2, None]


def test_a_batch_with_a_bad_draft_issues_nothing(org, client_for, customer, products):
    clerk = org.user("clerk")
    good = make_draft(clerk, customer, (products["checkup"], "1"))
    empty = make_draft(clerk, customer)
    response = client_for("clerk").post(
        reverse("billing:invoice-issue-batch"), {"invoice": [good.pk, empty.pk]}, follow=True
    )
    assert "Nothing was issued." in response.content.decode()
    assert Invoice.objects.filter(status="draft").count() == 2


def test_a_batch_is_scoped_and_permission_checked(org, client_for, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    url = reverse("billing:invoice-issue-batch")
    assert client_for("rep_north").post(url, {"invoice": [draft.pk]}).status_code == 403
    client_for("other_clerk").post(url, {"invoice": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "draft"


# ---------------------------------------------------------------- credit


def test_the_clerk_credits_chosen_lines(org, client_for, customer, products):
    clerk = org.user("clerk")
    invoice = invoice_issue(
        actor=clerk, invoice=make_draft(clerk, customer, (products["checkup"], "2"), (products["book"], "3"))
    )
    checkup, book = invoice.lines.order_by("line_no")
    client = client_for("clerk")
    form = client.get(reverse("billing:invoice-credit", args=[invoice.pk]))
    assert form.status_code == 200
    assert form.context["form"][f"line_{book.pk}"].initial == "3"
    response = client.post(
        reverse("billing:invoice-credit", args=[invoice.pk]),
        {"reason": "Returned", "issue_on": "2026-03-20", f"line_{checkup.pk}": "0", f"line_{book.pk}": "1"},
    )
    note = Invoice.objects.get(kind="credit_note")
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:invoice-detail", args=[note.pk])
    assert [(line.credits_line_id, line.quantity) for line in note.lines.all()] == [(book.pk, D("1"))]
    page = client.get(reverse("billing:invoice-detail", args=[note.pk])).content.decode()
    assert "Credit note K2026-00001" in page and "F2026-00001" in page


def test_crediting_too_much_names_the_line(org, client_for, customer, products):
    clerk = org.user("clerk")
    invoice = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (products["book"], "1")))
    line = invoice.lines.get()
    response = client_for("clerk").post(
        reverse("billing:invoice-credit", args=[invoice.pk]),
        {"reason": "Too many", "issue_on": "2026-03-20", f"line_{line.pk}": "2"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors[f"line_{line.pk}"]
    assert not Invoice.objects.filter(kind="credit_note").exists()


@pytest.mark.parametrize(("persona", "status"), [("rep_north", 403), ("auditor", 403), ("other_clerk", 404)])
def test_crediting_is_permission_checked_and_scoped(org, client_for, customer, products, persona, status):
    clerk = org.user("clerk")
    invoice = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (products["book"], "1")))
    url = reverse("billing:invoice-credit", args=[invoice.pk])
    assert client_for(persona).get(url).status_code == status
    assert client_for(persona).post(url, {"reason": "x", "issue_on": "2026-03-20"}).status_code == status
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_drafts_and_credit_notes_cannot_be_credited(org, client_for, customer, products):
    clerk = org.user("clerk")
    draft = make_draft(clerk, customer, (products["book"], "1"))
    assert client_for("clerk").get(reverse("billing:invoice-credit", args=[draft.pk])).status_code == 404
    invoice = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (products["book"], "1")))
    note = credit_note_create(actor=clerk, invoice=invoice, reason="x", issue_on=datetime.date(2026, 3, 20))
    assert client_for("clerk").get(reverse("billing:invoice-credit", args=[note.pk])).status_code == 404
