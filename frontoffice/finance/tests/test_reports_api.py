"""``/api/v1/finance/reports/``: the report selectors as JSON, money as strings, per persona."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from frontoffice.finance.tests.test_reports import books  # noqa: F401

pytestmark = pytest.mark.django_db
BASE = "/api/v1/finance/reports"
Q1 = {"start": "2026-01-01", "end": "2026-03-31"}


@pytest.fixture
def api(org):
    def _client(name: str) -> APIClient:
        client = APIClient()
        client.force_login(org.user(name))
        return client

    return _client


def test_trial_balance_api_returns_money_as_strings(api, books):  # noqa: F811
    response = api("auditor").get(f"{BASE}/trial-balance/", Q1)
    assert response.status_code == 200
    data = response.json()
    assert data["legal_entity"]["name"] == "Tandhälsan Norden AB"
    assert (data["start"], data["end"]) == ("2026-01-01", "2026-03-31")
    assert data["debit_total"] == data["credit_total"] == "148486.00"
    assert data["balanced"] is True
    cash = next(r for r in data["rows"] if r["account"]["number"] == "1930")
    assert cash == {
        "account": {
            "id": cash["account"]["id"],
            "number": "1930",
            "name": "Business bank account",
            "type": "asset",
        },
        "opening": "0.00",
        "debit": "101810.00",
        "credit": "44426.00",
        "closing": "57384.00",
    }


def test_income_statement_and_balance_sheet_api(api, books):  # noqa: F811
    client = api("auditor")
    income = client.get(f"{BASE}/income-statement/", Q1).json()
    assert income["result"] == "-42726.00"
    assert income["comparison_start"] is None
    sheet = client.get(f"{BASE}/balance-sheet/", Q1).json()
    assert sheet["balanced"] is True
    assets, equity, _liabilities = sheet["sections"]
    assert assets["closing_total"] == sheet["equity_and_liabilities"] == "57384.00"
    assert equity["result_closing"] == "-42726.00"


def test_vat_return_api_lists_boxes_with_their_accounts(api, books):  # noqa: F811
    data = api("auditor").get(f"{BASE}/vat-return/", Q1).json()
    boxes = {b["box"]: b for b in data["boxes"]}
    assert boxes["05"]["amount"] == "1500.00"
    assert [(a["account"]["number"], a["amount"]) for a in boxes["05"]["accounts"]] == [
        ("3001", "1000.00"),
        ("3002", "500.00"),
    ]
    assert data["payable"] == "-890.00"


def test_general_ledger_api_needs_an_account_and_pages_lines(api, books):  # noqa: F811
    client = api("auditor")
    missing = client.get(f"{BASE}/general-ledger/", Q1)
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid"
    data = client.get(f"{BASE}/general-ledger/", {**Q1, "account": "1930"}).json()
    assert [line["reference"] for line in data["lines"]] == ["A1", "F2", "B2", "B3", "A2"]
    assert data["lines"][-1]["balance"] == data["closing"] == "57384.00"
    assert (data["page"], data["pages"], data["count"]) == (1, 1, 5)
    assert client.get(f"{BASE}/general-ledger/", {**Q1, "account": "9999"}).status_code == 404


def test_report_api_refuses_a_range_over_two_years(api, books):  # noqa: F811
    response = api("auditor").get(f"{BASE}/trial-balance/", {"start": "2026-01-01", "end": "2027-01-31"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {"end": ["A report covers at most one fiscal year; this one ends 2026-12-31."]}


@pytest.mark.parametrize("report", ["trial-balance", "income-statement", "balance-sheet", "vat-return"])
def test_sales_rep_gets_403(api, books, report):  # noqa: F811
    assert api("rep_north").get(f"{BASE}/{report}/", Q1).status_code == 403


def test_other_company_clerk_gets_404_for_the_first_company(api, org, books):  # noqa: F811
    response = api("other_clerk").get(f"{BASE}/trial-balance/", {**Q1, "legal_entity": books.pk})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_admin_chooses_the_legal_entity(api, books):  # noqa: F811
    data = api("admin").get(f"{BASE}/trial-balance/", {**Q1, "legal_entity": books.pk}).json()
    assert data["debit_total"] == "148486.00"
