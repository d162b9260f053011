"""``/api/v1/finance/accounts/`` and ``/api/v1/finance/vouchers/``: scoped reads, drafts,
posting, approval, reversal, idempotent direct posting and every error case."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from frontoffice.api.tests.conftest import assert_error, assert_matches_component, assert_page_of
from frontoffice.finance.models import JournalEntry, LedgerAccount, PostingRejection
from frontoffice.finance.services.periods import posting_standards_set
from frontoffice.finance.services.posting import journal_entry_post
from frontoffice.finance.services.standards import standard_help_url
from frontoffice.finance.tests.conftest import voucher
from frontoffice.org.services import api_token_create

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/finance/accounts/"
VOUCHERS = "/api/v1/finance/vouchers/"
POST_DIRECT = "/api/v1/finance/vouchers/post/"


@pytest.fixture
def api_as(org):
    def _client(name: str) -> APIClient:
        _, raw = api_token_create(actor=org.user(name), name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return _client


@pytest.fixture
def posted(org, ledger):
    return journal_entry_post(
        actor=org.user("clerk"),
        legal_entity=ledger,
        entry=voucher(("5010", "1000.00", None), ("1930", None, "1000.00"), text="Rent March"),
    )


def body(*lines, series="A", date="2026-03-15", text="Office rent", **extra):
    """``lines``: (account, debit, credit) as sent."""
    return {
        "series": series,
        "date": date,
        "text": text,
        "lines": [{"account": a, "debit": d, "credit": c} for a, d, c in lines],
        **extra,
    }


BALANCED = (("5010", "125.00", None), ("1930", None, "125.00"))


def assert_rejected(response, *codes: str) -> dict:
    """400 ``posting_rejected`` listing exactly these standards, each explained and linked."""
    assert response.status_code == 400, response.content[:500]
    data = response.json()
    assert data["code"] == "posting_rejected"
    assert_matches_component(data, "PostingRejectedError")
    assert sorted(v["code"] for v in data["violations"]) == sorted(codes)
    for violation in data["violations"]:
        assert set(violation) == {"code", "title", "message", "line", "help_url"}
        assert violation["title"]
        assert violation["message"]
        assert violation["help_url"] == standard_help_url(violation["code"])
    return data


# ---------------------------------------------------------------- accounts


def test_accounts_are_listed_for_the_own_legal_entity_only(org, ledger, api_as):
    count = LedgerAccount.objects.filter(legal_entity=ledger).count()
    response = api_as("clerk").get(ACCOUNTS, {"page_size": 200})
    assert response.status_code == 200
    data = response.json()
    assert_page_of(data, "LedgerAccount")
    assert data["count"] == count
    assert {row["legal_entity"] for row in data["results"]} == {ledger.pk}
    assert api_as("other_clerk").get(ACCOUNTS).json()["count"] == 0


def test_account_filters(org, ledger, api_as):
    LedgerAccount.objects.filter(legal_entity=ledger, number="5010").update(active=False)
    client = api_as("auditor")

    def numbers(**params):
        response = client.get(ACCOUNTS, {"page_size": 200, **params})
        assert response.status_code == 200, response.content
        return [row["number"] for row in response.json()["results"]]

    assert numbers(q="1930") == ["1930"]
    assert numbers(active="false") == ["5010"]
    assert "5010" not in numbers(active="true")
    assert set(numbers(type="equity")) == set(
        LedgerAccount.objects.filter(legal_entity=ledger, type="equity").values_list("number", flat=True)
    )
    assert_error(client.get(ACCOUNTS, {"type": "nonsense"}), 400, "invalid")


def test_account_detail_is_404_outside_the_legal_entity_and_403_without_permission(org, ledger, api_as):
    account = LedgerAccount.objects.get(legal_entity=ledger, number="1930")
    response = api_as("clerk").get(f"{ACCOUNTS}{account.pk}/")
    assert response.status_code == 200
    assert_matches_component(response.json(), "LedgerAccount")
    assert response.json()["number"] == "1930"
    assert response.json()["name"] == account.name_en
    assert_error(api_as("other_clerk").get(f"{ACCOUNTS}{account.pk}/"), 404, "not_found")
    assert_error(api_as("rep_north").get(f"{ACCOUNTS}{account.pk}/"), 403, "permission_denied")
    assert_error(api_as("rep_north").get(ACCOUNTS), 403, "permission_denied")


def test_accounts_show_the_manual_voucher_restriction_read_only_to_clerks(org, ledger, api_as):
    LedgerAccount.objects.filter(legal_entity=ledger, number="1930").update(manual_voucher_restricted=True)
    rows = api_as("clerk").get(ACCOUNTS, {"page_size": 200}).json()["results"]
    flags = {row["number"]: row["manual_voucher_restricted"] for row in rows}
    assert (flags["1930"], flags["1910"]) == (True, False)
    assert sum(flags.values()) == 1
    account = LedgerAccount.objects.get(legal_entity=ledger, number="1930")
    assert api_as("auditor").get(f"{ACCOUNTS}{account.pk}/").json()["manual_voucher_restricted"] is True
    # Clerks and auditors read it but cannot change it.
    for name in ("clerk", "auditor"):
        response = api_as(name).patch(
            f"{ACCOUNTS}{account.pk}/", {"manual_voucher_restricted": False}, format="json"
        )
        assert_error(response, 403, "permission_denied")
    account.refresh_from_db()
    assert account.manual_voucher_restricted is True


def test_the_finance_manager_restricts_an_account_through_the_api(org, ledger, api_as):
    from frontoffice.core.models import AuditEntry

    account = LedgerAccount.objects.get(legal_entity=ledger, number="1910")
    response = api_as("finance_manager").patch(
        f"{ACCOUNTS}{account.pk}/", {"manual_voucher_restricted": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["number"], response.json()["manual_voucher_restricted"]) == ("1910", True)
    account.refresh_from_db()
    assert account.manual_voucher_restricted is True
    entry = AuditEntry.objects.get(action="finance.account.updated", object_id=str(account.pk))
    assert entry.changes == {"manual_voucher_restricted": [False, True]}
    response = api_as("finance_manager").patch(
        f"{ACCOUNTS}{account.pk}/", {"manual_voucher_restricted": False}, format="json"
    )
    assert response.status_code == 200 and response.json()["manual_voucher_restricted"] is False
    # An empty PATCH changes nothing.
    response = api_as("finance_manager").patch(f"{ACCOUNTS}{account.pk}/", {}, format="json")
    assert response.status_code == 200 and response.json()["manual_voucher_restricted"] is False
    assert AuditEntry.objects.filter(action="finance.account.updated", object_id=str(account.pk)).count() == 2


@pytest.mark.parametrize(
    "body",
    [{"manual_voucher_restricted": "perhaps"}, {"manual_voucher_restricted": True, "name_sv": "Kassa 2"}],
)
def test_account_patch_refuses_bad_input_and_other_fields(org, ledger, api_as, body):
    account = LedgerAccount.objects.get(legal_entity=ledger, number="1910")
    response = api_as("finance_manager").patch(f"{ACCOUNTS}{account.pk}/", body, format="json")
    data = assert_error(response, 400, "invalid")
    wrong = {"manual_voucher_restricted"} if len(body) == 1 else {"name_sv"}
    assert set(data["errors"]) == wrong
    account.refresh_from_db()
    assert (account.name_sv, account.manual_voucher_restricted) == ("Kassa", False)


def test_account_patch_of_another_legal_entity_is_404(org, ledger, api_as):
    from frontoffice.org.models import Role, Staff, User

    other_fm = User.objects.create_user(username="other_fm", email="other_fm@example.com", password="x")
    Staff.objects.create(
        user=other_fm, legal_entity=org.other_company, role=Role.objects.get(code="finance_manager")
    )
    org.people["other_fm"] = other_fm
    account = LedgerAccount.objects.get(legal_entity=ledger, number="1910")
    response = api_as("other_fm").patch(
        f"{ACCOUNTS}{account.pk}/", {"manual_voucher_restricted": True}, format="json"
    )
    assert_error(response, 404, "not_found")
    assert_error(
        api_as("rep_north").patch(
            f"{ACCOUNTS}{account.pk}/", {"manual_voucher_restricted": True}, format="json"
        ),
        403,
        "permission_denied",
    )
    account.refresh_from_db()
    assert account.manual_voucher_restricted is False


# ---------------------------------------------------------------- reading vouchers


def test_a_voucher_reads_with_amounts_as_strings_and_the_currency(org, ledger, api_as, posted):
    response = api_as("auditor").get(f"{VOUCHERS}{posted.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert_matches_component(data, "Voucher")
    assert (data["reference"], data["series"], data["number"], data["status"]) == ("A1", "A", 1, "posted")
    assert (data["total_amount"], data["currency"]) == ("1000.00", "SEK")
    assert [(line["account"], line["debit"], line["credit"]) for line in data["lines"]] == [
        ("5010", "1000.00", None),
        ("1930", None, "1000.00"),
    ]
    assert data["hash"] == posted.hash
    assert data["reversed_by"] == []


def test_the_voucher_list_is_scoped_and_filtered(org, ledger, api_as, posted):
    client = api_as("clerk")
    data = client.get(VOUCHERS).json()
    assert_page_of(data, "Voucher")
    assert [row["id"] for row in data["results"]] == [posted.pk]
    assert client.get(VOUCHERS, {"account": "5010"}).json()["count"] == 1
    assert client.get(VOUCHERS, {"account": "6110"}).json()["count"] == 0
    assert client.get(VOUCHERS, {"amount_min": "1000.01"}).json()["count"] == 0
    assert client.get(VOUCHERS, {"status": "draft"}).json()["count"] == 0
    assert api_as("other_clerk").get(VOUCHERS).json()["count"] == 0
    assert_error(api_as("rep_north").get(VOUCHERS), 403, "permission_denied")


def test_the_voucher_list_costs_the_same_queries_for_3_and_30_vouchers(
    org, ledger, api_as, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_as("clerk")

    def post_many(n):
        for i in range(n):
            journal_entry_post(
                actor=org.user("clerk"),
                legal_entity=ledger,
                entry=voucher(("5010", f"{i + 1}.00", None), ("1930", None, f"{i + 1}.00")),
            )

    post_many(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(VOUCHERS).json()["count"] == 3
    post_many(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(VOUCHERS).json()["count"] == 30


@pytest.mark.parametrize("persona", ["other_clerk", "clerk"])
def test_a_guessed_or_foreign_voucher_id_is_404(org, ledger, api_as, posted, persona):
    client = api_as(persona)
    missing = posted.pk + 1000
    target = posted.pk if persona == "other_clerk" else missing
    assert_error(client.get(f"{VOUCHERS}{target}/"), 404, "not_found")
    assert_error(client.post(f"{VOUCHERS}{target}/post/"), 404, "not_found")
    assert_error(client.post(f"{VOUCHERS}{target}/reverse/", {}), 404, "not_found")


# ---------------------------------------------------------------- drafts and posting


def test_a_draft_is_created_and_then_posted(org, ledger, api_as):
    client = api_as("clerk")
    response = client.post(VOUCHERS, body(*BALANCED), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert_matches_component(data, "Voucher")
    assert (data["status"], data["number"], data["reference"], data["total_amount"]) == (
        "draft",
        None,
        "",
        "125.00",
    )
    response = client.post(f"{VOUCHERS}{data['id']}/post/")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["reference"]) == ("posted", "A1")
    assert_error(client.post(f"{VOUCHERS}{data['id']}/post/"), 400, "not_draft")


def test_posting_a_draft_that_breaks_standards_lists_every_violation(org, ledger, api_as):
    client = api_as("clerk")
    draft = client.post(
        VOUCHERS, body(("2611", "100.00", None), ("1930", None, "90.00"), date="2025-01-10"), format="json"
    ).json()
    data = assert_rejected(
        client.post(f"{VOUCHERS}{draft['id']}/post/"), "control_account", "no_fiscal_year", "unbalanced"
    )
    assert data["errors"]["lines.0"] == [
        "Line 1: 2611 Output VAT 25 % is a control account; it cannot be posted to by hand."
    ]
    assert data["errors"]["non_field_errors"] == [
        "2025-01-10 is not in any fiscal year of the company.",
        "Debits are 100.00 and credits are 90.00: a difference of 10.00.",
    ]
    assert JournalEntry.objects.get(pk=draft["id"]).rejection_count == 1


@pytest.mark.parametrize("value", [125.0, 125, True])
def test_a_json_number_as_amount_is_refused_with_a_field_error(org, ledger, api_as, value):
    response = api_as("clerk").post(
        VOUCHERS, body(("5010", value, None), ("1930", None, "125.00")), format="json"
    )
    data = assert_error(response, 400, "invalid")
    assert data["errors"]["lines.0.debit"] == [
        "Amounts must be strings with at most two decimals, such as “125.00”; numbers are refused."
    ]
    assert JournalEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("125.005", "Amounts must be strings with at most two decimals, such as “125.00”."),
        ("-125.00", "Enter a positive amount such as “125.00”."),
        ("12,50", "Enter a positive amount such as “125.00”."),
        ("abc", "Enter a positive amount such as “125.00”."),
    ],
)
def test_malformed_amount_strings_are_refused(org, ledger, api_as, value, message):
    for url in (VOUCHERS, POST_DIRECT):
        response = api_as("clerk").post(
            url, body(("5010", value, None), ("1930", None, "125.00")), format="json"
        )
        data = assert_error(response, 400, "invalid")
        assert data["errors"]["lines.0.debit"] == [message]
    assert JournalEntry.objects.count() == 0


def test_a_draft_with_an_unknown_account_is_refused_on_its_line(org, ledger, api_as):
    response = api_as("clerk").post(
        VOUCHERS, body(("9999", "125.00", None), ("1930", None, "125.00")), format="json"
    )
    data = assert_error(response, 400, "invalid")
    assert data["errors"] == {"lines.0": ["Account 9999 does not exist."]}
    assert JournalEntry.objects.count() == 0


def test_direct_posting_refuses_unknown_accounts_unbalanced_vouchers_and_wrong_periods(org, ledger, api_as):
    client = api_as("clerk")
    data = assert_rejected(
        client.post(POST_DIRECT, body(("9999", "125.00", None), ("1930", None, "125.00")), format="json"),
        "unknown_account",
    )
    assert data["violations"][0]["line"] == 1
    assert data["errors"] == {"lines.0": ["Line 1: account 9999 does not exist."]}
    assert_rejected(
        client.post(POST_DIRECT, body(("5010", "125.00", None), ("1930", None, "120.00")), format="json"),
        "unbalanced",
    )
    assert_rejected(
        client.post(POST_DIRECT, body(*BALANCED, date="2027-02-01"), format="json"), "no_fiscal_year"
    )
    assert JournalEntry.objects.count() == 0
    assert PostingRejection.objects.count() == 3


def test_direct_posting_with_an_idempotency_key_posts_once(org, ledger, api_as):
    client = api_as("clerk")
    first = client.post(POST_DIRECT, body(*BALANCED), format="json", HTTP_IDEMPOTENCY_KEY="inv-2026-0001")
    assert first.status_code == 201, first.content
    assert first.json()["reference"] == "A1"
    again = client.post(POST_DIRECT, body(*BALANCED), format="json", HTTP_IDEMPOTENCY_KEY="inv-2026-0001")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other = client.post(POST_DIRECT, body(*BALANCED), format="json", HTTP_IDEMPOTENCY_KEY="inv-2026-0002")
    assert (other.status_code, other.json()["reference"]) == (201, "A2")
    assert JournalEntry.objects.count() == 2
    data = assert_error(
        client.post(POST_DIRECT, body(*BALANCED), format="json", HTTP_IDEMPOTENCY_KEY="k" * 101),
        400,
        "invalid",
    )
    assert "Idempotency-Key" in data["errors"]


def test_a_voucher_for_another_legal_entity_is_404(org, ledger, api_as):
    response = api_as("other_clerk").post(POST_DIRECT, body(*BALANCED, legal_entity=ledger.pk), format="json")
    assert_error(response, 404, "not_found")
    assert_error(
        api_as("other_clerk").post(VOUCHERS, body(*BALANCED, legal_entity=ledger.pk), format="json"),
        404,
        "not_found",
    )
    assert JournalEntry.objects.count() == 0


# ---------------------------------------------------------------- approval and reversal


def test_above_the_limit_the_finance_manager_approves(org, ledger, api_as):
    posting_standards_set(
        actor=org.user("finance_manager"), legal_entity=ledger, four_eyes_threshold_amount=Decimal("1000.00")
    )
    response = api_as("clerk").post(
        POST_DIRECT, body(("5010", "5000.00", None), ("1930", None, "5000.00")), format="json"
    )
    assert response.status_code == 201
    entry = response.json()
    assert (entry["status"], entry["number"]) == ("awaiting_approval", None)
    assert_error(api_as("clerk").post(f"{VOUCHERS}{entry['id']}/approve/"), 403, "permission_denied")
    response = api_as("finance_manager").post(f"{VOUCHERS}{entry['id']}/approve/")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["reference"]) == ("posted", "A1")


def test_the_person_who_entered_a_voucher_cannot_approve_it(org, ledger, api_as):
    posting_standards_set(
        actor=org.user("finance_manager"), legal_entity=ledger, four_eyes_threshold_amount=Decimal("1000.00")
    )
    client = api_as("finance_manager")
    entry = client.post(
        POST_DIRECT, body(("5010", "5000.00", None), ("1930", None, "5000.00")), format="json"
    ).json()
    assert_rejected(client.post(f"{VOUCHERS}{entry['id']}/approve/"), "self_approval")


def test_reversing_posts_a_linked_reversal_once(org, ledger, api_as, posted):
    client = api_as("clerk")
    response = client.post(
        f"{VOUCHERS}{posted.pk}/reverse/", {"date": "2026-03-31", "text": "Wrong"}, format="json"
    )
    assert response.status_code == 201, response.content
    reversal = response.json()
    assert (reversal["reference"], reversal["reverses"], reversal["date"], reversal["text"]) == (
        "A2",
        posted.pk,
        "2026-03-31",
        "Wrong",
    )
    assert [(line["account"], line["debit"], line["credit"]) for line in reversal["lines"]] == [
        ("5010", None, "1000.00"),
        ("1930", "1000.00", None),
    ]
    assert client.get(f"{VOUCHERS}{posted.pk}/").json()["reversed_by"] == [reversal["id"]]
    assert_error(client.post(f"{VOUCHERS}{posted.pk}/reverse/", {}, format="json"), 400, "already_reversed")


def test_a_reversal_into_a_closed_date_is_rejected(org, ledger, api_as, posted):
    assert_rejected(
        api_as("clerk").post(f"{VOUCHERS}{posted.pk}/reverse/", {"date": "2030-01-01"}, format="json"),
        "no_fiscal_year",
    )


# ---------------------------------------------------------------- permissions


def test_the_auditor_reads_but_may_not_create_post_approve_or_reverse(org, ledger, api_as, posted):
    client = api_as("auditor")
    assert client.get(f"{VOUCHERS}{posted.pk}/").status_code == 200
    assert_error(client.post(VOUCHERS, body(*BALANCED), format="json"), 403, "permission_denied")
    assert_error(client.post(POST_DIRECT, body(*BALANCED), format="json"), 403, "permission_denied")
    assert_error(client.post(f"{VOUCHERS}{posted.pk}/post/"), 403, "permission_denied")
    assert_error(client.post(f"{VOUCHERS}{posted.pk}/approve/"), 403, "permission_denied")
    assert_error(client.post(f"{VOUCHERS}{posted.pk}/reverse/", {}, format="json"), 403, "permission_denied")
    assert JournalEntry.objects.count() == 1


def test_a_sales_rep_gets_403_everywhere(org, ledger, api_as, posted):
    client = api_as("rep_north")
    for response in (
        client.get(VOUCHERS),
        client.get(f"{VOUCHERS}{posted.pk}/"),
        client.post(VOUCHERS, body(*BALANCED), format="json"),
        client.post(POST_DIRECT, body(*BALANCED), format="json"),
        client.post(f"{VOUCHERS}{posted.pk}/reverse/", {}, format="json"),
    ):
        assert_error(response, 403, "permission_denied")
