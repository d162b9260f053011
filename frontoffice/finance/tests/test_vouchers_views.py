"""The voucher desk: list, detail, entry with posting, approval, reversal and attachments,
per persona."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from frontoffice.finance.forms_vouchers import parse_amount_input
from frontoffice.finance.models import Attachment, JournalEntry, PostingRejection
from frontoffice.finance.services.periods import posting_standards_set
from frontoffice.finance.services.posting import journal_entry_draft_save, journal_entry_post
from frontoffice.finance.services.standards import standard_help_url
from frontoffice.finance.tests.conftest import voucher

pytestmark = pytest.mark.django_db

LIST = reverse("finance:voucher-list")
CREATE = reverse("finance:voucher-create")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def url(name: str, entry: JournalEntry) -> str:
    return reverse(f"finance:{name}", args=[entry.pk])


def entry_data(*lines: tuple[str, str, str], date="2026-03-15", text="Office rent", action="post", **extra):
    """Form data: ``lines`` are (account, debit, credit) as typed."""
    data = {
        "series": "A",
        "date": date,
        "text": text,
        "action": action,
        "lines-TOTAL_FORMS": str(len(lines) + 1),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for idx, (account, debit, credit) in enumerate(lines):
        data[f"lines-{idx}-account"] = account
        data[f"lines-{idx}-debit"] = debit
        data[f"lines-{idx}-credit"] = credit
        data[f"lines-{idx}-text"] = ""
    data.update(extra)
    return data


@pytest.fixture
def posted(org, ledger):
    return journal_entry_post(
        actor=org.user("clerk"),
        legal_entity=ledger,
        entry=voucher(("5010", "1000.00", None), ("1930", None, "1000.00"), text="Rent March"),
    )


@pytest.fixture
def draft(org, ledger):
    return journal_entry_draft_save(
        actor=org.user("clerk"),
        legal_entity=ledger,
        entry=voucher(("6110", "80.00", None), ("1930", None, "80.00"), text="Pens"),
    )


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1 250,50", Decimal("1250.50")),
        ("1250.50", Decimal("1250.50")),
        ("1\u00a0250,5", Decimal("1250.50")),
        ("1,250.50", Decimal("1250.50")),
        ("1.250,50", Decimal("1250.50")),
        ("12,3", Decimal("12.30")),
        ("7", Decimal("7.00")),
        ("", None),
    ],
)
def test_amounts_are_read_in_swedish_and_english_style(typed, expected):
    assert parse_amount_input(typed) == expected


@pytest.mark.parametrize("typed", ["1,005", "1.005", "abc", "-5", "1e3", "1,2,3", "12.5.1"])
def test_unreadable_amounts_and_more_than_two_decimals_are_refused(typed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        parse_amount_input(typed)


# ---------------------------------------------------------------- entry


def test_clerk_enters_and_posts_a_balanced_voucher_written_in_swedish_style(org, ledger, client_for):
    client = client_for("clerk")
    response = client.post(CREATE, entry_data(("5010", "1 250,50", ""), ("1930", "", "1250,50")))
    entry = JournalEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("voucher-detail", entry)
    assert (entry.status, entry.reference, entry.total_amount) == ("posted", "A1", Decimal("1250.50"))
    assert [(line.account.number, line.side, line.amount) for line in entry.lines.order_by("line_no")] == [
        ("5010", "D", Decimal("1250.50")),
        ("1930", "C", Decimal("1250.50")),
    ]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Voucher A1" in page.content.decode()
    assert entry.hash in page.content.decode()


def test_saving_a_draft_stores_it_without_a_number(org, ledger, client_for):
    client = client_for("clerk")
    response = client.post(CREATE, entry_data(("5010", "100", ""), ("1930", "", "99"), action="draft"))
    entry = JournalEntry.objects.get()
    assert response.status_code == 302
    assert (entry.status, entry.number, entry.total_amount) == ("draft", None, Decimal("100.00"))
    assert PostingRejection.objects.count() == 0


def test_the_entry_page_offers_active_accounts_and_the_live_balance_script(org, ledger, client_for):
    response = client_for("clerk").get(CREATE)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="1930">' in html
    assert 'list="voucher-accounts"' in html
    assert "frontoffice/voucher-entry.js" in html
    assert 'name="lines-TOTAL_FORMS"' in html
    assert "data-voucher-post" in html


def test_a_rejected_posting_lists_every_violation_with_a_link_and_keeps_the_input(org, ledger, client_for):
    client = client_for("clerk")
    data = entry_data(("2611", "100,00", ""), ("1930", "", "90,00"), date="2025-06-01", text="Wrong")
    response = client.post(CREATE, data)
    html = response.content.decode()
    draft = JournalEntry.objects.get()
    assert response.status_code == 200
    assert draft.status == "draft"
    assert draft.rejection_count == 1
    for code, title in [
        ("no_fiscal_year", "The date must fall in a fiscal year"),
        ("control_account", "No manual posting to control accounts"),
        ("unbalanced", "Debits must equal credits"),
    ]:
        assert f'data-code="{code}"' in html
        assert title in html
        assert f'href="{standard_help_url(code)}"' in html
    assert "breaks 3 posting standards" in html
    # The input as typed, and the form now edits the saved draft.
    assert 'value="100,00"' in html
    assert 'value="90,00"' in html
    assert f'action="{url("voucher-edit", draft)}"' in html


def test_unknown_accounts_and_bad_amounts_are_shown_on_their_line(org, ledger, client_for):
    response = client_for("clerk").post(CREATE, entry_data(("9999", "100", ""), ("1930", "", "1,005")))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Amounts have at most two decimals." in html
    assert JournalEntry.objects.count() == 0
    response = client_for("clerk").post(CREATE, entry_data(("9999", "100", ""), ("1930", "", "100")))
    assert "Account 9999 does not exist." in response.content.decode()
    assert JournalEntry.objects.count() == 0


def test_add_line_without_javascript_returns_the_form_with_one_more_row(org, ledger, client_for):
    data = entry_data(("5010", "10", ""), add_line="1")
    response = client_for("clerk").post(CREATE, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="lines-TOTAL_FORMS" value="3"' in html
    assert 'value="5010"' in html
    assert "lines-2-account" in html
    assert JournalEntry.objects.count() == 0


def test_a_draft_can_be_edited_and_then_posted(org, ledger, client_for, draft):
    client = client_for("clerk")
    page = client.get(url("voucher-edit", draft))
    assert page.status_code == 200
    assert 'value="6110"' in page.content.decode()
    response = client.post(
        url("voucher-edit", draft), entry_data(("5010", "80", ""), ("1930", "", "80"), action="draft")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert [line.account.number for line in draft.lines.order_by("line_no")] == ["5010", "1930"]
    response = client.post(url("voucher-submit", draft))
    draft.refresh_from_db()
    assert response.status_code == 302
    assert (draft.status, draft.reference) == ("posted", "A1")


def test_posting_a_draft_from_its_page_shows_violations(org, ledger, client_for, draft):
    response = client_for("clerk").post(url("voucher-submit", draft))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-code="dimension_required"' in html
    assert standard_help_url("dimension_required") in html
    draft.refresh_from_db()
    assert (draft.status, draft.rejection_count) == ("draft", 1)


def test_posted_vouchers_cannot_be_edited(org, ledger, client_for, posted):
    response = client_for("clerk").get(url("voucher-edit", posted))
    assert response.status_code == 302
    assert response["Location"] == url("voucher-detail", posted)


# ---------------------------------------------------------------- approval and reversal


def test_a_voucher_above_the_limit_waits_for_the_finance_managers_approval(org, ledger, client_for):
    posting_standards_set(
        actor=org.user("finance_manager"), legal_entity=ledger, four_eyes_threshold_amount=Decimal("1000.00")
    )
    client = client_for("clerk")
    client.post(CREATE, entry_data(("5010", "5000", ""), ("1930", "", "5000")))
    entry = JournalEntry.objects.get()
    assert (entry.status, entry.number) == ("awaiting_approval", None)
    detail = client.get(url("voucher-detail", entry)).content.decode()
    assert 'data-testid="voucher-approve"' not in detail
    assert client.post(url("voucher-approve", entry)).status_code == 403

    manager = client_for("finance_manager")
    listing = manager.get(LIST, {"status": "awaiting_approval"}).content.decode()
    assert 'data-testid="tab-awaiting"' in listing
    assert url("voucher-detail", entry) in listing
    response = manager.post(url("voucher-approve", entry))
    entry.refresh_from_db()
    assert response.status_code == 302
    assert (entry.status, entry.reference, entry.approved_by) == ("posted", "A1", org.user("finance_manager"))


def test_nobody_approves_their_own_voucher(org, ledger, client_for):
    posting_standards_set(
        actor=org.user("finance_manager"), legal_entity=ledger, four_eyes_threshold_amount=Decimal("1000.00")
    )
    manager = client_for("finance_manager")
    manager.post(CREATE, entry_data(("5010", "5000", ""), ("1930", "", "5000")))
    entry = JournalEntry.objects.get()
    response = manager.post(url("voucher-approve", entry))
    assert response.status_code == 200
    assert 'data-code="self_approval"' in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == "awaiting_approval"


def test_clerk_reverses_a_voucher_and_both_link_to_each_other(org, ledger, client_for, posted):
    client = client_for("clerk")
    response = client.post(url("voucher-reverse", posted), {"date": "2026-03-20", "text": "Wrong month"})
    reversal = JournalEntry.objects.get(reverses=posted)
    assert response.status_code == 302
    assert response["Location"] == url("voucher-detail", reversal)
    assert (reversal.reference, reversal.date, reversal.text) == (
        "A2",
        datetime.date(2026, 3, 20),
        "Wrong month",
    )
    assert [(line.account.number, line.side) for line in reversal.lines.order_by("line_no")] == [
        ("5010", "C"),
        ("1930", "D"),
    ]
    assert url("voucher-detail", posted) in client.get(url("voucher-detail", reversal)).content.decode()
    original = client.get(url("voucher-detail", posted)).content.decode()
    assert 'data-testid="reversed-by"' in original
    assert url("voucher-detail", reversal) in original
    assert 'data-testid="voucher-reverse"' not in original
    again = client.post(url("voucher-reverse", posted), {})
    assert again.status_code == 302
    assert JournalEntry.objects.filter(reverses=posted).count() == 1


def test_a_reversal_into_a_date_outside_the_year_shows_the_violation(org, ledger, client_for, posted):
    response = client_for("clerk").post(url("voucher-reverse", posted), {"date": "2030-01-01"})
    assert response.status_code == 200
    assert 'data-code="no_fiscal_year"' in response.content.decode()
    assert JournalEntry.objects.filter(reverses=posted).count() == 0


# ---------------------------------------------------------------- attachments


def test_a_pdf_attached_to_a_draft_is_stored_with_its_sha256(
    org, ledger, client_for, draft, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    response = client_for("clerk").post(
        url("voucher-attachment-add", draft),
        {"file": SimpleUploadedFile("receipt.pdf", PDF, "application/pdf")},
    )
    attachment = Attachment.objects.get()
    assert response.status_code == 302
    assert (attachment.entry_id, attachment.name) == (draft.pk, "receipt.pdf")
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.uploaded_by == org.user("clerk")
    assert attachment.sha256 in client_for("clerk").get(url("voucher-detail", draft)).content.decode()


def test_files_that_are_not_pdf_png_or_jpeg_are_refused(org, ledger, client_for, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("receipt.pdf", b"MZ not really a pdf", "application/pdf")
    response = client_for("clerk").post(url("voucher-attachment-add", draft), {"file": fake})
    assert response.status_code == 200
    assert "Attach a PDF, PNG or JPEG file." in response.content.decode()
    assert Attachment.objects.count() == 0


def test_files_above_10_mb_are_refused(org, ledger, client_for, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")
    response = client_for("clerk").post(url("voucher-attachment-add", draft), {"file": big})
    assert response.status_code == 200
    assert "The file is larger than 10 MB." in response.content.decode()
    assert Attachment.objects.count() == 0


def test_posted_vouchers_take_no_attachments(org, ledger, client_for, posted, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("clerk")
    assert "voucher-attachment-add" not in client.get(url("voucher-detail", posted)).content.decode()
    response = client.post(
        url("voucher-attachment-add", posted), {"file": SimpleUploadedFile("r.pdf", PDF, "application/pdf")}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Documents can only be attached to drafts and vouchers awaiting approval." in page
    assert Attachment.objects.count() == 0


# ---------------------------------------------------------------- personas and scope


def test_the_auditor_reads_vouchers_but_may_not_enter_post_or_reverse(org, ledger, client_for, posted, draft):
    client = client_for("auditor")
    assert client.get(LIST).status_code == 200
    assert client.get(url("voucher-detail", posted)).status_code == 200
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, entry_data(("5010", "1", ""), ("1930", "", "1"))).status_code == 403
    assert client.post(url("voucher-submit", draft)).status_code == 403
    assert client.post(url("voucher-reverse", posted)).status_code == 403
    assert client.post(url("voucher-approve", draft)).status_code == 403
    assert JournalEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "voucher-detail"),
        ("get", "voucher-edit"),
        ("post", "voucher-submit"),
        ("post", "voucher-reverse"),
        ("post", "voucher-approve"),
        ("post", "voucher-attachment-add"),
    ],
)
def test_a_sales_rep_gets_403_on_every_voucher_page(org, ledger, client_for, posted, method, name):
    client = client_for("rep_north")
    assert getattr(client, method)(url(name, posted)).status_code == 403
    assert client.get(LIST).status_code == 403
    assert client.get(CREATE).status_code == 403


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "voucher-detail"),
        ("get", "voucher-edit"),
        ("post", "voucher-submit"),
        ("post", "voucher-reverse"),
        ("post", "voucher-attachment-add"),
    ],
)
def test_another_companys_clerk_gets_404_for_the_companys_vouchers(
    org, ledger, client_for, posted, draft, method, name
):
    client = client_for("other_clerk")
    for entry in (posted, draft):
        assert getattr(client, method)(url(name, entry)).status_code == 404


def test_another_companys_clerk_lists_none_of_the_companys_vouchers(org, ledger, client_for, posted):
    response = client_for("other_clerk").get(LIST)
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 0
    assert "Rent March" not in response.content.decode()


# ---------------------------------------------------------------- list


def test_list_filters_by_account_status_text_and_amount(org, ledger, client_for, posted, draft):
    client = client_for("clerk")

    def texts(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        return [e.text for e in response.context["page_obj"]]

    assert sorted(texts()) == ["Pens", "Rent March"]
    assert texts(account="6110") == ["Pens"]
    assert texts(status="posted") == ["Rent March"]
    assert texts(text="rent") == ["Rent March"]
    assert texts(amount_min="500") == ["Rent March"]
    assert texts(amount_max="100,00") == ["Pens"]
    assert texts(series="A", number="1") == ["Rent March"]
    assert texts(date_from="2026-04-01") == []
    assert sorted(texts(amount_min="not a number")) == ["Pens", "Rent March"]


def test_the_list_shows_reference_status_and_total(org, ledger, client_for, posted):
    html = client_for("clerk").get(LIST).content.decode()
    assert ">A1</a>" in html
    assert 'data-status="posted"' in html
    assert "SEK\u00a01,000.00" in html


def test_htmx_filtering_returns_only_the_results_fragment(org, ledger, client_for, posted):
    response = client_for("clerk").get(LIST, {"status": "posted"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="voucher-results"')
    assert "<html" not in html


def _post_many(org, ledger, count):
    for i in range(count):
        journal_entry_post(
            actor=org.user("clerk"),
            legal_entity=ledger,
            entry=voucher(("5010", f"{i + 1}.00", None), ("1930", None, f"{i + 1}.00"), text=f"V{i}"),
        )


def test_the_list_page_costs_the_same_queries_for_3_and_30_vouchers(
    org, ledger, client_for, django_assert_max_num_queries, django_assert_num_queries
):
    client = client_for("clerk")
    _post_many(org, ledger, 3)
    client.get(LIST)  # warm the session and content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    _post_many(org, ledger, 27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 30
