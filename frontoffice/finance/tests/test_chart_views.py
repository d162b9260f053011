"""Chart of accounts pages: who may see and change what, and what the pages do."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from frontoffice.finance.models import DimensionObject, LedgerAccount
from frontoffice.finance.services.chart import account_create, account_update
from frontoffice.finance.services.posting import journal_entry_post
from frontoffice.finance.tests.conftest import voucher


def _account(org, number="6212") -> LedgerAccount:
    return LedgerAccount.objects.get(legal_entity=org.company, number=number)


# ---------------------------------------------------------------------------- permissions

READ_PAGES = ["finance:account-list", "finance:account-export", "finance:dimension-list"]
CHANGE_PAGES = ["finance:account-create", "finance:account-import", "finance:dimension-create"]


@pytest.mark.parametrize("name", READ_PAGES + CHANGE_PAGES)
def test_finance_manager_opens_every_chart_page(ledger, client_for, name):
    response = client_for("finance_manager").get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["clerk", "auditor"])
@pytest.mark.parametrize("name", READ_PAGES)
def test_clerk_and_auditor_read_the_chart(ledger, client_for, persona, name):
    assert client_for(persona).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("persona", ["clerk", "auditor"])
@pytest.mark.parametrize("name", CHANGE_PAGES)
def test_clerk_and_auditor_may_not_change_the_chart(ledger, client_for, persona, name):
    client = client_for(persona)
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name), {"number": "9000", "name_sv": "X", "type": "asset"}).status_code == 403
    assert not LedgerAccount.objects.filter(number="9000").exists()


@pytest.mark.parametrize("persona", ["clerk", "auditor"])
def test_clerk_and_auditor_may_not_edit_an_account(ledger, org, client_for, persona):
    account = _account(org)
    client = client_for(persona)
    url = reverse("finance:account-edit", args=[account.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"number": "6212", "name_sv": "Hacked", "type": "expense"}).status_code == 403
    assert _account(org).name_sv == "Mobiltelefon"


@pytest.mark.parametrize("name", READ_PAGES + CHANGE_PAGES)
def test_sales_rep_has_no_access_to_the_chart(ledger, client_for, name):
    assert client_for("rep_north").get(reverse(name)).status_code == 403


def test_sales_rep_may_not_open_an_account(ledger, org, client_for):
    url = reverse("finance:account-edit", args=[_account(org).pk])
    assert client_for("rep_north").get(url).status_code == 403


def test_other_company_clerk_gets_404_for_the_first_company_account(ledger, org, client_for):
    """Ids of another legal entity's accounts are not found, not forbidden."""
    client = client_for("other_clerk")
    url = reverse("finance:account-edit", args=[_account(org).pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"number": "6212", "name_sv": "X", "type": "expense"}).status_code == 404


def test_other_company_clerk_sees_none_of_the_first_company_accounts(ledger, client_for):
    response = client_for("other_clerk").get(reverse("finance:account-list"))
    assert response.status_code == 200
    assert response.context["legal_entity"].name == "Other Company AB"
    assert response.context.get("page_obj") is None or response.context["page_obj"].paginator.count == 0
    assert b"Kundfordringar" not in response.content


def test_other_company_clerk_cannot_pick_the_first_company(ledger, org, client_for):
    url = reverse("finance:account-list") + f"?legal_entity={org.company.pk}"
    assert client_for("other_clerk").get(url).status_code == 404


def test_other_company_clerk_gets_404_for_the_first_company_dimension(ledger, org, client_for):
    obj = DimensionObject.objects.create(
        legal_entity=org.company, kind="cost_centre", code="100", name="Umeå"
    )
    assert client_for("other_clerk").get(reverse("finance:dimension-edit", args=[obj.pk])).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(ledger, client):
    response = client.get(reverse("finance:account-list"))
    assert response.status_code == 302
    assert "login" in response["Location"]


# ---------------------------------------------------------------------------------- list


def test_account_list_searches_number_and_names(ledger, client_for):
    client = client_for("clerk")
    rows = client.get(reverse("finance:account-list"), {"q": "1930"}).context["page_obj"].object_list
    assert [a.number for a in rows] == ["1930"]
    rows = client.get(reverse("finance:account-list"), {"q": "kundfordr"}).context["page_obj"].object_list
    assert [a.number for a in rows] == ["1510", "1515", "1519", "6351", "6352"]
    rows = client.get(reverse("finance:account-list"), {"q": "Output VAT 12"}).context["page_obj"].object_list
    assert [a.number for a in rows] == ["2621"]


def test_account_list_filters_by_type_control_and_active(ledger, org, client_for):
    LedgerAccount.objects.filter(legal_entity=org.company, number="2641").update(active=False)
    client = client_for("clerk")
    url = reverse("finance:account-list")
    vat = client.get(url, {"control": "vat"}).context["page_obj"].paginator.count
    assert vat == 10
    payables = client.get(url, {"control": "payables", "type": "liability"}).context["page_obj"].object_list
    assert [a.number for a in payables] == ["2440"]
    inactive = client.get(url, {"active": "no"}).context["page_obj"].object_list
    assert [a.number for a in inactive] == ["2641"]
    income = client.get(url, {"type": "income"}).context["page_obj"].object_list
    assert all(a.type == "income" for a in income)


def _restrict(org, *numbers: str) -> None:
    fm = org.user("finance_manager")
    for number in numbers:
        account_update(actor=fm, account=_account(org, number), manual_voucher_restricted=True)


@pytest.mark.parametrize("persona", ["finance_manager", "clerk", "auditor"])
def test_account_list_marks_accounts_restricted_for_manual_vouchers(ledger, org, client_for, persona):
    """A restricted account shows a "Restricted" badge explaining the certificate rule; the
    other rows show a dash."""
    _restrict(org, "1930")
    response = client_for(persona).get(reverse("finance:account-list"), {"q": "19"})
    content = response.content.decode()
    assert "Manual vouchers" in content  # the column header
    rows = {a.number: a for a in response.context["page_obj"].object_list}
    assert rows["1930"].manual_voucher_restricted is True
    assert content.count('data-testid="account-restricted"') == 1
    row = content[content.index(">1930<") :]
    row = row[: row.index("</tr>")]
    assert 'data-testid="account-restricted"' in row
    assert ">Restricted</span>" in row
    assert (
        'title="Manual vouchers with a line on this account need a valid manual voucher certificate."' in row
    )


def test_account_list_filters_restricted_accounts_only(ledger, org, client_for):
    _restrict(org, "6212", "1930")
    client = client_for("clerk")
    url = reverse("finance:account-list")
    response = client.get(url, {"restricted": "on"})
    assert [a.number for a in response.context["page_obj"].object_list] == ["1930", "6212"]
    assert response.context["is_filtered"] is True
    # Combined with the other filters, and through HTMX as the filter form sends it.
    response = client.get(url, {"restricted": "on", "type": "expense"}, HTTP_HX_REQUEST="true")
    assert [a.number for a in response.context["page_obj"].object_list] == ["6212"]
    assert response.content.decode().lstrip().startswith('<section id="account-results"')
    # Unticked: every account again.
    everything = client.get(url).context["page_obj"].paginator.count
    assert everything == LedgerAccount.objects.filter(legal_entity=org.company).count()
    assert client.get(url).context["is_filtered"] is False


def test_account_list_restricted_filter_finds_nothing_when_no_account_is_restricted(ledger, client_for):
    response = client_for("clerk").get(reverse("finance:account-list"), {"restricted": "on"})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 0
    assert b"No accounts match these filters." in response.content


def test_account_list_restricted_filter_stays_in_the_legal_entity(ledger, org, client_for):
    """Another company's clerk filtering on restricted accounts finds none of the first
    company's."""
    _restrict(org, "1930")
    response = client_for("other_clerk").get(reverse("finance:account-list"), {"restricted": "on"})
    assert response.status_code == 200
    assert response.context.get("page_obj") is None or response.context["page_obj"].paginator.count == 0
    assert b"account-restricted" not in response.content


def test_account_list_htmx_request_gets_only_the_results_fragment(ledger, client_for):
    response = client_for("clerk").get(reverse("finance:account-list"), {"q": "19"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="account-results"')
    assert "<html" not in content
    assert "1930" in content


def test_account_list_offers_set_up_when_there_is_no_chart(org, client_for):
    response = client_for("finance_manager").get(reverse("finance:account-list"))
    assert response.status_code == 200
    assert reverse("finance:ledger-setup").encode() in response.content


@pytest.mark.parametrize("extra", [5, 50])
def test_account_list_query_count_does_not_grow_with_accounts(
    org, client_for, django_assert_max_num_queries, extra
):
    """The list page runs the same number of queries for a chart of 5 or 50 accounts (page size 25)."""
    fm = org.user("finance_manager")
    for i in range(extra):
        account_create(
            actor=fm, legal_entity=org.company, number=f"{9000 + i}", name_sv=f"Konto {i}", type="expense"
        )
    # Every other new account is restricted: the marker is a column, not a query per row.
    LedgerAccount.objects.filter(legal_entity=org.company, number__startswith="9").filter(
        number__regex=r"[02468]$"
    ).update(manual_voucher_restricted=True)
    client = client_for("finance_manager")
    with django_assert_max_num_queries(11):
        response = client.get(reverse("finance:account-list"))
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == min(extra, 25)
    assert response.content.decode().count('data-testid="account-restricted"') == (min(extra, 25) + 1) // 2
    with django_assert_max_num_queries(11):
        response = client.get(reverse("finance:account-list"), {"restricted": "on"})
    assert len(response.context["page_obj"].object_list) == min((extra + 1) // 2, 25)


# ------------------------------------------------------------------------------ changes


def test_finance_manager_creates_an_account(ledger, org, client_for):
    response = client_for("finance_manager").post(
        reverse("finance:account-create"),
        {
            "number": "6075",
            "name_sv": "Gåvor",
            "name_en": "Gifts",
            "type": "expense",
            "default_vat_code": "SE25",
            "active": "on",
        },
    )
    assert response.status_code == 302
    account = _account(org, "6075")
    assert (account.name_sv, account.default_vat_code, account.active) == ("Gåvor", "SE25", True)


def test_creating_a_taken_number_shows_the_error_on_the_number_field(ledger, client_for):
    response = client_for("finance_manager").post(
        reverse("finance:account-create"), {"number": "1930", "name_sv": "Dubblett", "type": "asset"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["number"] == ["Account 1930 already exists."]


def test_edit_of_account_with_posted_lines_keeps_number_and_type(ledger, org, client_for):
    fm = org.user("finance_manager")
    journal_entry_post(
        actor=fm, legal_entity=org.company, entry=voucher(("1930", "100.00", None), ("6212", None, "100.00"))
    )
    account = _account(org)
    response = client_for("finance_manager").post(
        reverse("finance:account-edit", args=[account.pk]),
        {"number": "6299", "name_sv": "Mobil", "type": "asset", "default_vat_code": "SE25"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    # Number and type are disabled fields: the posted values are kept, the rest is saved.
    assert (account.number, account.type, account.name_sv, account.active) == (
        "6212",
        "expense",
        "Mobil",
        False,
    )


def test_export_downloads_the_chart_as_csv(ledger, client_for):
    response = client_for("auditor").get(reverse("finance:account-export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="chart-of-accounts-556036-0793-')
    text = response.content.decode("utf-8")
    assert text.startswith(
        "\ufeffnumber;name_sv;name_en;type;control;vat_code;required_dimension;active;"
        "manual_voucher_restricted\r\n"
    )
    assert "2440;Leverantörsskulder;Accounts payable;liability;payables;;;yes;no" in text


def test_import_with_errors_lists_them_and_saves_nothing(ledger, org, client_for):
    before = LedgerAccount.objects.count()
    upload = SimpleUploadedFile(
        "chart.csv",
        b"number;name_sv;type\n9100;Ny;expense\nabc;Fel;asset\n9101;;expense\n",
        "text/csv",
    )
    response = client_for("finance_manager").post(reverse("finance:account-import"), {"file": upload})
    assert response.status_code == 400
    assert response.context["problems"] == [
        "Line 3: “abc” is not an account number (1 to 10 digits).",
        "Line 4: The name (name_sv) is missing.",
    ]
    assert "Line 3:" in response.content.decode()
    assert LedgerAccount.objects.count() == before


def test_import_of_a_good_file_creates_accounts(ledger, org, client_for):
    upload = SimpleUploadedFile("chart.csv", b"number;name_sv;type\n9100;Ny;expense\n", "text/csv")
    response = client_for("finance_manager").post(reverse("finance:account-import"), {"file": upload})
    assert response.status_code == 302
    assert _account(org, "9100").type == "expense"


def test_finance_manager_creates_and_edits_a_dimension_value(ledger, org, client_for):
    client = client_for("finance_manager")
    response = client.post(
        reverse("finance:dimension-create"),
        {"kind": "project", "code": "P1", "name": "Launch", "active": "on"},
    )
    assert response.status_code == 302
    obj = DimensionObject.objects.get(legal_entity=org.company, code="P1")
    assert (obj.kind, obj.name, obj.active) == ("project", "Launch", True)
    response = client.post(
        reverse("finance:dimension-edit", args=[obj.pk]),
        {"kind": "region", "code": "P1", "name": "Launch 2026"},
    )
    assert response.status_code == 302
    obj.refresh_from_db()
    assert (obj.kind, obj.name, obj.active) == ("project", "Launch 2026", False)
    listing = client_for("auditor").get(reverse("finance:dimension-list"), {"kind": "project"})
    assert [o.code for o in listing.context["page_obj"]] == ["P1"]


def test_standards_page_has_an_anchor_for_every_standard(db, client_for):
    from frontoffice.finance.services.standards import STANDARDS

    response = client_for("rep_north").get(reverse("finance:standards"))
    assert response.status_code == 200
    content = response.content.decode()
    for code in STANDARDS:
        assert f'id="standard-{code}"' in content
