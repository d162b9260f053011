"""Catalogue and billing settings pages: who may see and change what, and what the pages do."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from frontoffice.billing.models import BillingSettings, Product, ProductGroup, VatCode
from frontoffice.billing.tests.catalogue_factories import make_group, make_product, vat
from frontoffice.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(billing, org):
    """Two groups and three products (one inactive) of the company."""
    fm = org.user("finance_manager")
    tand = make_group(fm, org.company, code="TAND", name="Tandvård")
    make_group(fm, org.company, code="HYG", name="Hygien")
    make_product(fm, org.company, code="UND-01", name="Undersökning", group=tand, vat_code="SE00")
    make_product(fm, org.company, code="TB-01", name="Tandborste", unit_price_amount="49.50")
    old = make_product(fm, org.company, code="OLD-01", name="Gammal tjänst")
    old.active = False
    old.save()
    return org.company


def _product(code="UND-01") -> Product:
    return Product.objects.get(code=code)


def _product_post(org, **overrides):
    data = {
        "code": "KONS",
        "name": "Konsulttimme",
        "description": "",
        "kind": "service",
        "group": "",
        "unit": "HUR",
        "unit_price_amount": "1250.00",
        "vat_code": str(vat(org.company, "SE25").pk),
        "revenue_account": "",
        "active": "on",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------------------- permissions

READ_PAGES = [
    "billing:product-list",
    "billing:product-export",
    "billing:product-group-list",
    "billing:vat-code-list",
]
CHANGE_PAGES = [
    "billing:product-create",
    "billing:product-import",
    "billing:product-group-create",
    "billing:vat-code-create",
]
SETTINGS_PAGES = ["billing:settings", "billing:settings-edit"]


@pytest.mark.parametrize("name", READ_PAGES + CHANGE_PAGES + SETTINGS_PAGES)
def test_finance_manager_opens_every_catalogue_page(catalogue, client_for, name):
    assert client_for("finance_manager").get(reverse(name)).status_code == 200


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north", "nsm"])
@pytest.mark.parametrize("name", READ_PAGES)
def test_billing_staff_and_sales_read_the_catalogue(catalogue, client_for, persona, name):
    assert client_for(persona).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north", "admin"])
@pytest.mark.parametrize("name", CHANGE_PAGES)
def test_only_the_finance_manager_changes_the_catalogue(catalogue, org, client_for, persona, name):
    client = client_for(persona)
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name), _product_post(org) | {"name_sv": "X", "rate": "25"}).status_code == 403
    assert not Product.objects.filter(code="KONS").exists()
    assert not ProductGroup.objects.filter(code="KONS").exists()
    assert not VatCode.objects.filter(code="KONS").exists()


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north"])
@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_billing_settings_need_manage_billing(catalogue, client_for, persona, name):
    assert client_for(persona).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("persona", ["receptionist", "office_manager", "nobody"])
@pytest.mark.parametrize("name", READ_PAGES + CHANGE_PAGES + SETTINGS_PAGES)
def test_reception_and_users_without_a_role_see_no_billing_page(catalogue, client_for, persona, name):
    assert client_for(persona).get(reverse(name)).status_code == 403


@pytest.mark.parametrize(
    ("persona", "status"), [("clerk", 403), ("auditor", 403), ("rep_north", 403), ("other_clerk", 404)]
)
@pytest.mark.parametrize("name", ["billing:product-edit", "billing:product-deactivate"])
def test_product_edit_and_deactivate_are_refused(catalogue, org, client_for, persona, status, name):
    """A missing permission is 403; another legal entity's product is not found (404)."""
    client = client_for(persona)
    url = reverse(name, args=[_product().pk])
    if name == "billing:product-edit":
        assert client.get(url).status_code == status
    assert client.post(url, _product_post(org, code="UND-01", name="Hacked")).status_code == status
    product = _product()
    assert (product.name, product.active) == ("Undersökning", True)


@pytest.mark.parametrize(("persona", "status"), [("clerk", 403), ("other_clerk", 404)])
def test_group_and_vat_code_edit_are_refused(catalogue, org, client_for, persona, status):
    client = client_for(persona)
    group = ProductGroup.objects.get(code="TAND")
    code = vat(org.company, "SE25")
    assert client.get(reverse("billing:product-group-edit", args=[group.pk])).status_code == status
    assert (
        client.post(reverse("billing:vat-code-edit", args=[code.pk]), {"name_sv": "X"}).status_code == status
    )
    assert vat(org.company, "SE25").name_sv == "Moms 25 %"


def test_other_company_clerk_sees_none_of_the_company_products(catalogue, client_for):
    client = client_for("other_clerk")
    response = client.get(reverse("billing:product-list"))
    assert response.status_code == 200
    assert response.context["legal_entity"].name == "Other Company AB"
    assert b"UND-01" not in response.content
    export = client.get(reverse("billing:product-export"))
    assert b"UND-01" not in export.content
    assert b"SE25" not in client.get(reverse("billing:vat-code-list")).content


def test_other_company_clerk_cannot_pick_the_company(catalogue, org, client_for):
    client = client_for("other_clerk")
    for name in READ_PAGES:
        assert client.get(reverse(name), {"legal_entity": org.company.pk}).status_code == 404


def test_administrator_picks_a_legal_entity_for_the_settings(catalogue, org, client_for):
    client = client_for("admin")
    response = client.get(reverse("billing:settings"), {"legal_entity": org.other_company.pk})
    assert response.status_code == 200
    assert response.context["legal_entity"] == org.other_company
    assert b'data-testid="billing-not-set-up"' in response.content
    assert response.context["entity_choices"] is not None


def test_anonymous_visitor_is_sent_to_sign_in(catalogue, client):
    response = client.get(reverse("billing:product-list"))
    assert response.status_code == 302 and "login" in response["Location"]


# ------------------------------------------------------------------------------------- list


def test_product_list_shows_active_products_by_default(catalogue, client_for):
    response = client_for("clerk").get(reverse("billing:product-list"))
    assert [p.code for p in response.context["page_obj"]] == ["TB-01", "UND-01"]
    assert "SEK\xa049.50" in response.content.decode()


def test_product_list_searches_and_filters(catalogue, client_for):
    client = client_for("clerk")
    url = reverse("billing:product-list")
    tand = ProductGroup.objects.get(code="TAND")

    def codes(**params):
        return [p.code for p in client.get(url, params).context["page_obj"]]

    assert codes(q="tandb") == ["TB-01"]
    assert codes(q="und") == ["UND-01"]
    assert codes(group=tand.pk) == ["UND-01"]
    assert codes(group="none") == ["TB-01"]
    assert codes(active="no") == ["OLD-01"]
    assert codes(active="") == ["OLD-01", "TB-01", "UND-01"]
    assert codes(group="999999", active="") == ["OLD-01", "TB-01", "UND-01"]  # unknown: ignored


def test_product_list_htmx_request_gets_only_the_results_fragment(catalogue, client_for):
    response = client_for("clerk").get(reverse("billing:product-list"), {"q": "TB"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="product-results"')
    assert "<html" not in content and "TB-01" in content


def test_product_list_empty_states(billing, client_for):
    response = client_for("finance_manager").get(reverse("billing:product-list"))
    assert b"No products yet." in response.content
    assert reverse("billing:product-create").encode() in response.content
    filtered = client_for("finance_manager").get(reverse("billing:product-list"), {"q": "zzz"})
    assert b"No products match these filters." in filtered.content


def test_product_list_without_billing_set_up_points_to_the_settings(ledger, client_for):
    response = client_for("finance_manager").get(reverse("billing:product-list"))
    assert response.status_code == 200
    assert reverse("billing:settings").encode() in response.content


def test_product_list_paginates(billing, org, client_for):
    fm = org.user("finance_manager")
    for i in range(30):
        make_product(fm, org.company, code=f"P{i:02d}", name=f"Produkt {i}")
    client = client_for("clerk")
    first = client.get(reverse("billing:product-list"))
    assert first.context["page_obj"].paginator.num_pages == 2
    second = client.get(reverse("billing:product-list"), {"page": 2})
    assert [p.code for p in second.context["page_obj"]] == ["P25", "P26", "P27", "P28", "P29"]


@pytest.mark.parametrize("extra", [3, 40])
def test_product_list_query_count_does_not_grow_with_products(
    billing, org, client_for, django_assert_max_num_queries, extra
):
    """The same number of queries for 3 or 40 products (page size 25), each with group and codes."""
    fm = org.user("finance_manager")
    group = make_group(fm, org.company)
    for i in range(extra):
        make_product(
            fm, org.company, code=f"P{i:02d}", group=group, revenue_account="3590" if i % 2 else None
        )
    client = client_for("clerk")
    with django_assert_max_num_queries(13):
        response = client.get(reverse("billing:product-list"))
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == min(extra, 25)


# ---------------------------------------------------------------------------------- changes


def test_finance_manager_creates_a_product(catalogue, org, client_for):
    response = client_for("finance_manager").post(reverse("billing:product-create"), _product_post(org))
    assert response.status_code == 302
    product = _product("KONS")
    assert (product.unit_price_amount, product.unit, product.vat_code.code) == (
        Decimal("1250.00"),
        "HUR",
        "SE25",
    )
    assert AuditEntry.objects.for_object(product).get().action == "billing.product.created"


def test_product_form_errors_name_the_field_and_save_nothing(catalogue, org, client_for):
    response = client_for("finance_manager").post(
        reverse("billing:product-create"), _product_post(org, code="UND-01", unit_price_amount="-1")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"unit_price_amount"}
    response = client_for("finance_manager").post(
        reverse("billing:product-create"), _product_post(org, code="und-01")
    )
    assert set(response.context["form"].errors) == {"code"}
    content = response.content.decode()
    assert 'aria-invalid="true"' in content and "already exists" in content
    assert not Product.objects.filter(name="Konsulttimme").exists()


def test_finance_manager_edits_and_deactivates_a_product(catalogue, org, client_for):
    client = client_for("finance_manager")
    product = _product()
    response = client.post(
        reverse("billing:product-edit", args=[product.pk]),
        _product_post(org, code="UND-01", name="Undersökning, vuxen", unit_price_amount="900"),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.unit_price_amount, product.unit) == (
        "Undersökning, vuxen",
        Decimal("900.00"),
        "HUR",
    )
    page = client.get(reverse("billing:product-edit", args=[product.pk]))
    assert b"billing.product.updated" in page.content or b"audit" in page.content.lower()
    assert client.post(reverse("billing:product-deactivate", args=[product.pk])).status_code == 302
    product.refresh_from_db()
    assert product.active is False
    assert client.get(reverse("billing:product-deactivate", args=[product.pk])).status_code == 405


def test_product_import_page_shows_every_problem_and_imports_nothing(catalogue, client_for):
    bad = SimpleUploadedFile("p.csv", b"code;name;unit_price;vat_code\nN1;;1;SE25\nN2;Ok;x;NOPE\n")
    response = client_for("finance_manager").post(reverse("billing:product-import"), {"file": bad})
    assert response.status_code == 400
    problems = response.context["problems"]
    assert problems == [
        "Line 2, column name: This field is required.",
        "Line 3, column unit_price: Enter a number, for example 850.00.",
        "Line 3, column vat_code: VAT code “NOPE” does not exist in this legal entity.",
    ]
    assert not Product.objects.filter(code__in=["N1", "N2"]).exists()


def test_product_import_page_imports_a_good_file(catalogue, client_for):
    good = SimpleUploadedFile("p.csv", b"code;name;unit_price;vat_code\nN1;Nytt;10,50;SE12\n")
    response = client_for("finance_manager").post(reverse("billing:product-import"), {"file": good})
    assert response.status_code == 302
    assert _product("N1").unit_price_amount == Decimal("10.50")


def test_product_export_is_a_csv_download(catalogue, client_for):
    response = client_for("auditor").get(reverse("billing:product-export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="products-556036-0793-')
    assert "UND-01;Undersökning" in response.content.decode("utf-8")


def test_groups_and_vat_codes_are_created_and_edited(catalogue, org, client_for):
    client = client_for("finance_manager")
    assert (
        client.post(
            reverse("billing:product-group-create"), {"code": "kons", "name": "Konsult", "active": "on"}
        ).status_code
        == 302
    )
    group = ProductGroup.objects.get(code="KONS")
    client.post(
        reverse("billing:product-group-edit", args=[group.pk]), {"code": "KONS", "name": "Konsulttjänster"}
    )
    group.refresh_from_db()
    assert (group.name, group.active) == ("Konsulttjänster", False)
    data = {
        "code": "SE25T",
        "name_sv": "Moms 25 % tjänster",
        "name_en": "",
        "category": "S",
        "rate": "25",
        "revenue_account": str(vat(org.company, "SE25").revenue_account_id),
        "vat_account": "",
        "exemption_reason": "",
        "active": "on",
    }
    response = client.post(reverse("billing:vat-code-create"), data)
    assert set(response.context["form"].errors) == {"vat_account"}
    data["vat_account"] = str(vat(org.company, "SE25").vat_account_id)
    assert client.post(reverse("billing:vat-code-create"), data).status_code == 302
    code = VatCode.objects.get(code="SE25T")
    assert (code.rate, code.name_en) == (Decimal("25.00"), "Moms 25 % tjänster")
    response = client.post(
        reverse("billing:vat-code-edit", args=[code.pk]), data | {"name_en": "VAT 25 % services"}
    )
    assert response.status_code == 302
    assert VatCode.objects.get(code="SE25T").name_en == "VAT 25 % services"


# -------------------------------------------------------------------------------- settings


def test_settings_page_offers_set_up_and_sets_billing_up(ledger, org, client_for):
    client = client_for("finance_manager")
    page = client.get(reverse("billing:settings"))
    assert b'data-testid="billing-setup"' in page.content
    assert client.get(reverse("billing:settings-edit")).status_code == 302
    response = client.post(reverse("billing:settings-setup"))
    assert response.status_code == 302
    assert BillingSettings.objects.filter(legal_entity=org.company).exists()
    assert VatCode.objects.filter(legal_entity=org.company).count() == 8


def test_settings_without_a_chart_point_to_the_ledger(org, client_for):
    page = client_for("finance_manager").get(reverse("billing:settings"))
    assert reverse("finance:settings").encode() in page.content
    assert b'data-testid="billing-setup"' not in page.content


def _settings_post(**overrides):
    data = {
        "street": "Storgatan 1",
        "postal_code": "903 26",
        "city": "Umeå",
        "phone": "090-12 34 56",
        "email": "faktura@tandhalsan.example",
        "website": "",
        "bankgiro": "5050-1055",
        "plusgiro": "",
        "iban": "",
        "bic": "",
        "f_tax_registered": "on",
        "default_payment_terms_days": "30",
        "late_interest_text": "",
        "receivables_account": "",
        "rounding_account": "",
        "invoice_voucher_series": "F",
        "payment_voucher_series": "B",
    }
    data.update(overrides)
    return data


def test_finance_manager_changes_the_billing_settings(billing, org, client_for):
    settings = BillingSettings.objects.get(legal_entity=org.company)
    client = client_for("finance_manager")
    response = client.post(
        reverse("billing:settings-edit"),
        _settings_post(receivables_account=str(settings.receivables_account_id), bankgiro="50501055"),
    )
    assert response.status_code == 302
    settings.refresh_from_db()
    assert (settings.bankgiro, settings.city, settings.phone) == ("5050-1055", "Umeå", "+4690123456")
    page = client.get(reverse("billing:settings"))
    assert b"5050-1055" in page.content


def test_billing_settings_errors_name_the_field(billing, org, client_for):
    settings = BillingSettings.objects.get(legal_entity=org.company)
    response = client_for("finance_manager").post(
        reverse("billing:settings-edit"),
        _settings_post(
            receivables_account=str(settings.receivables_account_id), bankgiro="5050-1056", iban="SE00"
        ),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"bankgiro", "iban"}
    settings.refresh_from_db()
    assert settings.bankgiro == ""


# ------------------------------------------------------------------------------ navigation


def _nav(client):
    response = client.get(reverse("core:home"))
    return {i["key"] for i in response.context["nav_main"]}, {
        i["key"] for i in response.context["nav_settings"]
    }


def test_navigation_shows_products_and_billing_settings_to_who_may_use_them(billing, client_for):
    main, settings = _nav(client_for("finance_manager"))
    assert "products" in main and "billing-settings" in settings
    main, settings = _nav(client_for("clerk"))
    assert "products" in main and "billing-settings" not in settings
    main, settings = _nav(client_for("admin"))
    assert "billing-settings" in settings
    main, settings = _nav(client_for("receptionist"))
    assert "products" not in main and "billing-settings" not in settings


def test_invoices_appear_in_the_navigation_once_their_page_exists():
    from django.urls import NoReverseMatch

    from frontoffice.core.registry import registry

    try:
        reverse("billing:invoice-list")
        exists = True
    except NoReverseMatch:
        exists = False
    assert any(item.key == "invoices" for item in registry.nav) is exists


@pytest.mark.parametrize(
    "model", ["vatcode", "product", "productgroup", "billingprofile", "billingsettings", "invoice"]
)
def test_admin_shows_billing_rows_read_only(catalogue, client, model):
    from frontoffice.org.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    assert client.get(f"/django-admin/billing/{model}/").status_code == 200
    assert client.get(f"/django-admin/billing/{model}/add/").status_code == 403
