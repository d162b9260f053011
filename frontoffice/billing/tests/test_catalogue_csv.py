"""Product CSV import (all or nothing, every problem with its line and column) and export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.billing.models import Product
from frontoffice.billing.selectors.catalogue import products_export_csv
from frontoffice.billing.services.catalogue_import import products_import_csv
from frontoffice.billing.tests.catalogue_factories import (
    make_group,
    make_product,
    other_company_manager,
)
from frontoffice.core.models import AuditEntry

pytestmark = pytest.mark.django_db

GOOD = (
    "code;name;description;kind;group;unit;unit_price;vat_code;revenue_account;active\n"
    "UND-01;Undersökning;Basundersökning;service;TAND;C62;850,00;SE00;;yes\n"
    "TB-01;Tandborste;Mjuk;goods;;C62;49.50;SE25;;\n"
    "KONS;Konsulttimme;;service;;HUR;1 250,00;SE25;3590;ja\n"
)


def _import(org, text, actor="finance_manager"):
    return products_import_csv(actor=org.user(actor), legal_entity=org.company, file=text.encode("utf-8"))


def _problems(error: ValidationError) -> list[tuple[int, str]]:
    return [(e.params["line"], e.params["column"]) for e in error.error_list]


def test_import_creates_products_with_swedish_decimal_commas(billing, org):
    make_group(org.user("finance_manager"), org.company, code="TAND")
    result = _import(org, GOOD)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    products = {p.code: p for p in Product.objects.select_related("group", "vat_code", "revenue_account")}
    assert products["UND-01"].unit_price_amount == Decimal("850.00")
    assert products["UND-01"].group.code == "TAND" and products["UND-01"].vat_code.code == "SE00"
    assert products["TB-01"].kind == "goods" and products["TB-01"].unit_price_amount == Decimal("49.50")
    assert products["KONS"].unit == "HUR" and products["KONS"].unit_price_amount == Decimal("1250.00")
    assert products["KONS"].revenue_account.number == "3590"
    entry = AuditEntry.objects.get(action="billing.products.imported")
    assert entry.changes["created"] == [None, ["UND-01", "TB-01", "KONS"]]


def test_import_reads_commas_and_a_bom(billing, org):
    text = '\ufeffcode,name,unit_price,vat_code\nA1,Alpha,10.00,SE25\nB2,"Beta, big",20,SE12\n'
    result = _import(org, text)
    assert result.created == 2
    assert Product.objects.get(code="B2").name == "Beta, big"


def test_import_updates_existing_products_by_code_and_counts_unchanged(billing, org):
    fm = org.user("finance_manager")
    make_product(fm, org.company, code="A1", name="Alpha", unit_price_amount=Decimal("10.00"))
    make_product(fm, org.company, code="B2", name="Beta", unit_price_amount=Decimal("20.00"))
    result = _import(org, "code;name;unit_price;vat_code\na1;Alpha;12.00;SE25\nB2;Beta;20.00;SE25\n")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert Product.objects.get(code="A1").unit_price_amount == Decimal("12.00")
    assert Product.objects.get(code="B2").unit_price_amount == Decimal("20.00")


def test_import_with_bad_rows_reports_each_line_and_column_and_writes_nothing(billing, org):
    fm = org.user("finance_manager")
    make_product(fm, org.company, code="KEEP", unit_price_amount=Decimal("5.00"))
    text = (
        "code;name;unit_price;vat_code;unit;active\n"
        "KEEP;Kept;6.00;SE25;C62;yes\n"  # fine, but must not be written
        "A1;;-5;SE25;C62;yes\n"  # line 3: name, unit_price
        "A2;Ok;1.005;NOPE;XYZ;maybe\n"  # line 4: unit_price, vat_code, unit, active
        "A1;Dup;1;SE25;C62;yes\n"  # line 5: code twice
        "A3;Too;few\n"  # line 6: shape
        "=cmd;Evil;1;SE25;C62;yes\n"  # line 7: code format
    )
    with pytest.raises(ValidationError) as error:
        _import(org, text)
    assert error.value.code == "invalid_csv"
    assert sorted(_problems(error.value)) == [
        (3, "name"),
        (3, "unit_price"),
        (4, "active"),
        (4, "unit"),
        (4, "unit_price"),
        (4, "vat_code"),
        (5, "code"),
        (6, ""),
        (7, "code"),
    ]
    assert "Line 4, column vat_code:" in " ".join(error.value.messages)
    assert Product.objects.get(code="KEEP").unit_price_amount == Decimal("5.00")
    assert Product.objects.count() == 1
    assert not AuditEntry.objects.filter(action="billing.products.imported").exists()


def test_import_refuses_a_header_without_required_columns_or_with_unknown_ones(billing, org):
    with pytest.raises(ValidationError) as error:
        _import(org, "code;name;colour\nA;B;red\n")
    messages = " ".join(error.value.messages)
    assert "unit_price, vat_code" in messages and "colour" in messages
    assert not Product.objects.exists()


def test_import_refuses_files_that_are_not_utf8_or_empty(billing, org):
    with pytest.raises(ValidationError) as error:
        products_import_csv(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            file="code;name;unit_price;vat_code\nÅ;Ö;1;SE25\n".encode("latin-1"),
        )
    assert error.value.code == "encoding"
    with pytest.raises(ValidationError) as error:
        _import(org, "")
    assert error.value.code == "invalid_csv"
    with pytest.raises(ValidationError) as error:
        _import(org, "code;name;unit_price;vat_code\n\n")
    assert "no product rows" in error.value.messages[0]


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north", "nobody", "admin"])
def test_import_needs_add_and_change_product(billing, org, persona):
    with pytest.raises(PermissionDenied):
        _import(org, GOOD, actor=persona)
    assert not Product.objects.exists()


def test_import_into_another_company_is_refused(billing, org):
    with pytest.raises(PermissionDenied):
        products_import_csv(
            actor=other_company_manager(org), legal_entity=org.company, file=GOOD.encode("utf-8")
        )
    assert not Product.objects.exists()


# ------------------------------------------------------------------------------------ export


def _rows(content: str) -> list[list[str]]:
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def test_export_writes_the_import_format_and_round_trips(billing, org):
    fm = org.user("finance_manager")
    make_group(fm, org.company, code="TAND")
    _import(org, GOOD)
    content = products_export_csv(user=org.user("clerk"), legal_entity=org.company)
    rows = _rows(content)
    assert rows[0] == [
        "code",
        "name",
        "description",
        "kind",
        "group",
        "unit",
        "unit_price",
        "vat_code",
        "revenue_account",
        "active",
    ]
    assert rows[1] == ["KONS", "Konsulttimme", "", "service", "", "HUR", "1250.00", "SE25", "3590", "yes"]
    result = _import(org, content)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)


def test_export_protects_cells_that_spreadsheets_would_run_as_formulas(billing, org):
    fm = org.user("finance_manager")
    make_product(fm, org.company, code="F1", name='=HYPERLINK("http://evil")', description="@SUM(A1)")
    make_product(fm, org.company, code="F2", name="-2+3", description="+46 70")
    rows = _rows(products_export_csv(user=fm, legal_entity=org.company))
    assert rows[1][1:3] == ['\'=HYPERLINK("http://evil")', "'@SUM(A1)"]
    assert rows[2][1:3] == ["'-2+3", "'+46 70"]
    _import(org, products_export_csv(user=fm, legal_entity=org.company))
    assert Product.objects.get(code="F1").name == '=HYPERLINK("http://evil")'


def test_export_shows_only_the_users_legal_entity(billing, org):
    make_product(org.user("finance_manager"), org.company, code="SECRET")
    content = products_export_csv(user=org.user("other_clerk"), legal_entity=org.company)
    assert "SECRET" not in content


def test_export_needs_view_product(billing, org):
    for persona in ("receptionist", "nobody"):
        with pytest.raises(PermissionDenied):
            products_export_csv(user=org.user(persona), legal_entity=org.company)
