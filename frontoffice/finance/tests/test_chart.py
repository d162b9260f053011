"""Chart of accounts: templates, account services and CSV import/export."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.core.models import AuditEntry
from frontoffice.finance.charts import bas, generic
from frontoffice.finance.models import FiscalYear, LedgerAccount, Period, VoucherSeries
from frontoffice.finance.selectors.chart import chart_export_csv
from frontoffice.finance.services.chart import (
    account_create,
    account_update,
    chart_import_csv,
    ledger_setup,
)
from frontoffice.finance.services.posting import journal_entry_post
from frontoffice.finance.tests.conftest import voucher

BAS = {row[0]: row for row in bas.ACCOUNTS}
FIELDS = (
    "number",
    "name_sv",
    "name_en",
    "type",
    "control",
    "default_vat_code",
    "required_dimension",
    "active",
    "manual_voucher_restricted",
)


@pytest.fixture
def root(org):
    """A superuser: organisation-wide reach and every permission (acts for any legal entity)."""
    from frontoffice.org.models import User

    return User.objects.create_superuser(username="root", email="root@example.com", password="x")


def _accounts(legal_entity) -> list[tuple]:
    return list(
        LedgerAccount.objects.filter(legal_entity=legal_entity).order_by("number").values_list(*FIELDS)
    )


# ------------------------------------------------------------------------------ templates


@pytest.mark.parametrize(
    ("number", "kind", "control"),
    [
        ("1510", "asset", "receivables"),
        ("1910", "asset", ""),
        ("1920", "asset", ""),
        ("1930", "asset", ""),
        ("2081", "equity", ""),
        ("2099", "equity", ""),
        ("2440", "liability", "payables"),
        ("2611", "liability", "vat"),
        ("2614", "liability", "vat"),
        ("2615", "liability", "vat"),
        ("2621", "liability", "vat"),
        ("2631", "liability", "vat"),
        ("2641", "liability", "vat"),
        ("2645", "liability", "vat"),
        ("2650", "liability", "vat"),
        ("2710", "liability", ""),
        ("3740", "income", ""),
        ("4010", "expense", ""),
        ("7830", "expense", ""),
        ("8300", "income", ""),
        ("8400", "expense", ""),
        ("8910", "expense", ""),
    ],
)
def test_bas_template_has_key_account_with_type_and_control_kind(number, kind, control):
    """The BAS chart holds the accounts every SME needs, typed and flagged as control accounts."""
    assert BAS[number][3] == kind
    assert BAS[number][4] == control


@pytest.mark.parametrize(
    ("number", "vat_code"), [("3001", "SE25"), ("3002", "SE12"), ("3003", "SE06"), ("3004", "SE00")]
)
def test_bas_revenue_accounts_carry_the_vat_code_of_their_rate(number, vat_code):
    assert BAS[number][3] == "income"
    assert BAS[number][5] == vat_code


@pytest.mark.parametrize("chart", [bas, generic], ids=["bas", "generic"])
def test_chart_templates_are_well_formed(chart):
    """Numbers are unique digits in order; types, control kinds, VAT codes and dimensions are valid."""
    numbers = [row[0] for row in chart.ACCOUNTS]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)
    for number, name_sv, _name_en, kind, control, vat, dimension in chart.ACCOUNTS:
        assert number.isdigit()
        assert name_sv
        assert kind in {"asset", "liability", "equity", "income", "expense"}
        assert control in {"", "receivables", "payables", "vat"}
        assert vat in {"", "SE25", "SE12", "SE06", "SE00"}
        assert dimension in {"", "cost_centre", "project", "region"}
    assert [s[0] for s in chart.SERIES] == ["A", "F", "B", "R"]


def test_bas_chart_has_the_size_of_an_sme_chart():
    assert 150 <= len(bas.ACCOUNTS) <= 250
    assert 35 <= len(generic.ACCOUNTS) <= 50


def test_ledger_setup_with_generic_template_creates_chart_series_and_fiscal_year(org):
    """A legal entity set up from the generic chart gets its accounts, series and a 12-month year."""
    ledger_setup(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        template="generic",
        first_year_start=datetime.date(2026, 7, 1),
    )
    accounts = LedgerAccount.objects.filter(legal_entity=org.company)
    assert accounts.count() == len(generic.ACCOUNTS)
    receivables = accounts.get(number="1100")
    assert (receivables.name_en, receivables.type, receivables.control) == (
        "Accounts receivable",
        "asset",
        "receivables",
    )
    assert list(accounts.filter(control="vat").values_list("number", flat=True)) == ["2100", "2110", "2120"]
    assert list(VoucherSeries.objects.filter(legal_entity=org.company).values_list("code", flat=True)) == [
        "A",
        "B",
        "F",
        "R",
    ]
    year = FiscalYear.objects.get(legal_entity=org.company)
    assert (year.start_on, year.end_on) == (datetime.date(2026, 7, 1), datetime.date(2027, 6, 30))
    assert Period.objects.filter(fiscal_year=year).count() == 13
    assert AuditEntry.objects.filter(action="finance.ledger.set_up").count() == 1


def test_ledger_setup_refuses_a_second_chart(ledger, org):
    with pytest.raises(ValidationError) as exc:
        ledger_setup(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            first_year_start=datetime.date(2027, 1, 1),
        )
    assert exc.value.code == "chart_exists"


def test_ledger_setup_needs_manage_ledger(org):
    with pytest.raises(PermissionDenied):
        ledger_setup(
            actor=org.user("clerk"), legal_entity=org.company, first_year_start=datetime.date(2026, 1, 1)
        )
    assert LedgerAccount.objects.count() == 0


def test_ledger_setup_of_another_legal_entity_is_refused(org):
    """A finance manager sets up only their own legal entity's ledger."""
    with pytest.raises(PermissionDenied):
        ledger_setup(
            actor=org.user("finance_manager"),
            legal_entity=org.other_company,
            first_year_start=datetime.date(2026, 1, 1),
        )
    assert LedgerAccount.objects.count() == 0


# ------------------------------------------------------------------------------- accounts


def test_account_create_adds_an_account_and_audits_it(ledger, org):
    account = account_create(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        number="6075",
        name_sv="Representation",
        name_en="Entertainment",
        type="expense",
        default_vat_code="se12",
    )
    account.refresh_from_db()
    assert (account.number, account.type, account.default_vat_code, account.active) == (
        "6075",
        "expense",
        "SE12",
        True,
    )
    assert AuditEntry.objects.filter(action="finance.account.created", object_id=str(account.pk)).count() == 1


@pytest.mark.parametrize(
    ("number", "message"),
    [("12a4", "1 to 10 digits"), ("1930", "Account 1930 already exists"), ("", "1 to 10 digits")],
)
def test_account_create_refuses_bad_or_taken_numbers(ledger, org, number, message):
    before = LedgerAccount.objects.count()
    with pytest.raises(ValidationError, match=message) as exc:
        account_create(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            number=number,
            name_sv="X",
            type="asset",
        )
    assert "number" in exc.value.error_dict
    assert LedgerAccount.objects.count() == before


def test_account_create_refuses_unknown_vat_code(ledger, org):
    with pytest.raises(ValidationError, match="Unknown VAT code") as exc:
        account_create(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            number="9000",
            name_sv="X",
            type="expense",
            default_vat_code="SE99",
        )
    assert list(exc.value.error_dict) == ["default_vat_code"]


def test_same_account_number_may_exist_in_another_legal_entity(ledger, org, root):
    account = account_create(
        actor=root, legal_entity=org.other_company, number="1930", name_sv="Bank", type="asset"
    )
    assert account.legal_entity_id == org.other_company.pk


def test_clerk_may_not_create_accounts(ledger, org):
    with pytest.raises(PermissionDenied):
        account_create(
            actor=org.user("clerk"), legal_entity=org.company, number="9000", name_sv="X", type="asset"
        )


def test_account_update_changes_names_and_records_the_diff(ledger, org):
    account = LedgerAccount.objects.get(legal_entity=org.company, number="6212")
    account_update(actor=org.user("finance_manager"), account=account, name_sv="Mobil", active=False)
    account.refresh_from_db()
    assert (account.name_sv, account.active) == ("Mobil", False)
    entry = AuditEntry.objects.get(action="finance.account.updated", object_id=str(account.pk))
    assert entry.changes == {"name_sv": ["Mobiltelefon", "Mobil"], "active": [True, False]}


def test_account_with_posted_lines_cannot_change_number_or_type(ledger, org):
    """Posted vouchers pin an account's number and type; deactivating stays possible."""
    fm = org.user("finance_manager")
    journal_entry_post(
        actor=fm, legal_entity=org.company, entry=voucher(("1930", "100.00", None), ("6212", None, "100.00"))
    )
    account = LedgerAccount.objects.get(legal_entity=org.company, number="6212")
    with pytest.raises(ValidationError, match="has posted vouchers, so its number cannot change") as exc:
        account_update(actor=fm, account=account, number="6213")
    assert list(exc.value.error_dict) == ["number"]
    account = LedgerAccount.objects.get(pk=account.pk)
    with pytest.raises(ValidationError, match="has posted vouchers, so its type cannot change") as exc:
        account_update(actor=fm, account=account, type="asset")
    assert list(exc.value.error_dict) == ["type"]
    account.refresh_from_db()
    assert (account.number, account.type, account.active) == ("6212", "expense", True)

    account_update(actor=fm, account=account, active=False, name_en="Mobile phones")
    account.refresh_from_db()
    assert (account.active, account.name_en) == (False, "Mobile phones")


def test_account_without_posted_lines_may_change_number_and_type(ledger, org):
    account = LedgerAccount.objects.get(legal_entity=org.company, number="6212")
    account_update(actor=org.user("finance_manager"), account=account, number="6213", type="asset")
    account.refresh_from_db()
    assert (account.number, account.type) == ("6213", "asset")


def test_account_update_in_another_legal_entity_is_refused(ledger, org):
    account = LedgerAccount.objects.get(legal_entity=org.company, number="6212")
    other_manager_like = org.user("other_clerk")
    with pytest.raises(PermissionDenied):
        account_update(actor=other_manager_like, account=account, name_sv="X")


# ---------------------------------------------------------------------------- CSV import


def test_csv_export_then_import_into_another_legal_entity_gives_identical_accounts(ledger, org, root):
    """Export → import round-trips every field, including inactive accounts and formula-like names."""
    fm = org.user("finance_manager")
    account_create(
        actor=fm,
        legal_entity=org.company,
        number="6991",
        name_sv="=SUM(A1)",
        name_en='Café; "quoted"',
        type="expense",
    )
    account_update(
        actor=fm, account=LedgerAccount.objects.get(legal_entity=org.company, number="6212"), active=False
    )
    account_update(
        actor=fm,
        account=LedgerAccount.objects.get(legal_entity=org.company, number="1930"),
        manual_voucher_restricted=True,
    )
    content = chart_export_csv(user=fm, legal_entity=org.company)
    assert content.startswith(
        "\ufeffnumber;name_sv;name_en;type;control;vat_code;required_dimension;active;"
        "manual_voucher_restricted\r\n"
    )
    assert "1510;Kundfordringar;Accounts receivable;asset;receivables;;;yes;no\r\n" in content
    assert (
        "\r\n1930;Företagskonto/checkkonto/affärskonto;Business bank account;asset;;;;yes;yes\r\n" in content
    )

    result = chart_import_csv(actor=root, legal_entity=org.other_company, file=content.encode("utf-8"))

    assert result.created == len(bas.ACCOUNTS) + 1
    assert (result.updated, result.unchanged) == (0, 0)
    assert _accounts(org.other_company) == _accounts(org.company)
    assert LedgerAccount.objects.get(legal_entity=org.other_company, number="6991").name_sv == "=SUM(A1)"


def test_csv_import_accepts_commas_without_bom_and_updates_existing_accounts(ledger, org):
    fm = org.user("finance_manager")
    csv_text = (
        "number,name_sv,name_en,type,control,vat_code,required_dimension\n"
        "1930,Bankkonto,Bank,asset,,,\n"
        "1510,Kundfordringar,Accounts receivable,asset,receivables,,\n"
        "9100,Ny kostnad,New expense,expense,,se25,project\n"
    )
    result = chart_import_csv(actor=fm, legal_entity=org.company, file=csv_text.encode())
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    bank = LedgerAccount.objects.get(legal_entity=org.company, number="1930")
    assert (bank.name_sv, bank.name_en) == ("Bankkonto", "Bank")
    new = LedgerAccount.objects.get(legal_entity=org.company, number="9100")
    assert (new.type, new.default_vat_code, new.required_dimension, new.active) == (
        "expense",
        "SE25",
        "project",
        True,
    )
    entry = AuditEntry.objects.get(action="finance.chart.imported")
    assert entry.changes["created"] == [None, ["9100"]]


def test_csv_import_lists_every_bad_row_with_its_line_number_and_writes_nothing(ledger, org):
    fm = org.user("finance_manager")
    before = _accounts(org.company)
    csv_text = (
        "\ufeffnumber;name_sv;name_en;type;control;vat_code;required_dimension\n"
        "1930;Bankkonto;Bank;asset;;;\n"  # line 2: fine (would update)
        "12A4;Fel;Wrong;asset;;;\n"  # line 3: bad number
        "9100;;No name;expense;;;\n"  # line 4: no name
        "9101;Kostnad;Expense;cost;;;\n"  # line 5: unknown type
        "9102;Moms;VAT;liability;taxes;SE99;\n"  # line 6: bad control and VAT code
        "\n"  # line 7: blank, skipped
        "9103;Projekt;Project;expense;;;department\n"  # line 8: unknown dimension
        "9104;Kort;Short;expense\n"  # line 9: too few columns
        "9100;Dubblett;Duplicate;expense;;;\n"  # line 10: duplicate of line 4
        "9200;Bra;Good;expense;;;\n"  # line 11: fine (would create)
    )
    with pytest.raises(ValidationError) as exc:
        chart_import_csv(actor=fm, legal_entity=org.company, file=csv_text.encode("utf-8"))
    problems = [(e.params["line"], e.message) for e in exc.value.error_list]
    assert [line for line, _m in problems] == [3, 4, 5, 6, 6, 8, 9, 10]
    messages = exc.value.messages
    assert messages[0] == "Line 3: “12A4” is not an account number (1 to 10 digits)."
    assert messages[1] == "Line 4: The name (name_sv) is missing."
    assert messages[2].startswith("Line 5: Unknown type “cost”")
    assert messages[3].startswith("Line 6: Unknown control kind “taxes”")
    assert messages[4].startswith("Line 6: Unknown VAT code “SE99”")
    assert messages[5].startswith("Line 8: Unknown dimension “department”")
    assert messages[6] == "Line 9: Expected 7 columns, found 4."
    assert messages[7] == "Line 10: Account 9100 appears twice (also on line 4)."
    assert _accounts(org.company) == before
    assert not AuditEntry.objects.filter(action="finance.chart.imported").exists()


def test_csv_import_refuses_a_missing_header(ledger, org):
    with pytest.raises(ValidationError, match="Line 1: The header row lacks the column"):
        chart_import_csv(
            actor=org.user("finance_manager"), legal_entity=org.company, file=b"1930;Bank;Bank;asset;;;\n"
        )


def test_csv_import_refuses_text_that_is_not_utf8(ledger, org):
    data = "number;name_sv;type\n1930;Företagskonto;asset\n".encode("latin-1")
    with pytest.raises(ValidationError, match="not UTF-8") as exc:
        chart_import_csv(actor=org.user("finance_manager"), legal_entity=org.company, file=data)
    assert exc.value.code == "encoding"


def test_csv_import_refuses_a_type_change_of_an_account_with_posted_lines(ledger, org):
    fm = org.user("finance_manager")
    journal_entry_post(
        actor=fm, legal_entity=org.company, entry=voucher(("1930", "100.00", None), ("6212", None, "100.00"))
    )
    csv_text = "number;name_sv;type\n6212;Mobiltelefon;asset\n"
    with pytest.raises(
        ValidationError, match="Line 2: Account 6212 has posted vouchers, so its type cannot change"
    ):
        chart_import_csv(actor=fm, legal_entity=org.company, file=csv_text)
    assert LedgerAccount.objects.get(legal_entity=org.company, number="6212").type == "expense"


def test_csv_import_needs_manage_ledger(ledger, org):
    with pytest.raises(PermissionDenied):
        chart_import_csv(actor=org.user("clerk"), legal_entity=org.company, file=b"number;name_sv;type\n")


def test_csv_export_needs_view_permission(ledger, org):
    with pytest.raises(PermissionDenied):
        chart_export_csv(user=org.user("rep_north"), legal_entity=org.company)


def test_csv_export_of_another_legal_entity_is_empty(ledger, org):
    """Scope applies to exports: a user outside the legal entity gets the header row only."""
    content = chart_export_csv(user=org.user("other_clerk"), legal_entity=org.company)
    assert content == (
        "\ufeffnumber;name_sv;name_en;type;control;vat_code;required_dimension;active;"
        "manual_voucher_restricted\r\n"
    )


def test_csv_export_shows_the_manual_voucher_restriction_to_clerks(ledger, org):
    account_update(
        actor=org.user("finance_manager"),
        account=LedgerAccount.objects.get(legal_entity=org.company, number="1930"),
        manual_voucher_restricted=True,
    )
    rows = {
        line.split(";")[0]: line.split(";")[-1]
        for line in chart_export_csv(user=org.user("clerk"), legal_entity=org.company).splitlines()[1:]
    }
    assert (rows["1930"], rows["1910"]) == ("yes", "no")
    assert set(rows.values()) == {"yes", "no"}
    assert list(rows.values()).count("yes") == 1


def test_csv_import_sets_the_manual_voucher_restriction_only_when_the_column_is_there(ledger, org):
    fm = org.user("finance_manager")
    bank = LedgerAccount.objects.get(legal_entity=org.company, number="1930")
    account_update(actor=fm, account=bank, manual_voucher_restricted=True)
    # Without the column the account keeps its restriction.
    chart_import_csv(actor=fm, legal_entity=org.company, file="number;name_sv;type\n1930;Bank;asset\n")
    bank.refresh_from_db()
    assert (bank.name_sv, bank.manual_voucher_restricted) == ("Bank", True)
    # With it, yes/no (empty: no) set it, and the audit entry names the field.
    result = chart_import_csv(
        actor=fm,
        legal_entity=org.company,
        file="number;name_sv;type;manual_voucher_restricted\n1930;Bank;asset;\n1910;Kassa;asset;Ja\n",
    )
    assert (result.created, result.updated) == (0, 2)
    restricted = dict(
        LedgerAccount.objects.filter(legal_entity=org.company, number__in=["1930", "1910"]).values_list(
            "number", "manual_voucher_restricted"
        )
    )
    assert restricted == {"1930": False, "1910": True}
    entry = AuditEntry.objects.filter(action="finance.chart.imported").latest("id")
    assert entry.changes["updated"][1]["1930"] == ["manual_voucher_restricted"]


def test_csv_import_refuses_a_bad_manual_voucher_flag_and_writes_nothing(ledger, org):
    with pytest.raises(ValidationError) as exc:
        chart_import_csv(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            file="number;name_sv;type;manual_voucher_restricted\n1930;Bank;asset;maybe\n",
        )
    assert exc.value.messages == ["Line 2: manual_voucher_restricted must be yes or no, not “maybe”."]
    bank = LedgerAccount.objects.get(legal_entity=org.company, number="1930")
    assert (bank.name_sv, bank.manual_voucher_restricted) == ("Företagskonto/checkkonto/affärskonto", False)
