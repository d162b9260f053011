"""Invoice drafts, their lines and issuing (``billing.services.invoicing``)."""

from __future__ import annotations

import datetime
import types
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.billing.models import BillingSettings, Invoice, InvoiceCounter, InvoiceLine, VatCode
from frontoffice.billing.services import invoicing
from frontoffice.billing.services.invoicing import (
    invoice_draft_create,
    invoice_draft_update,
    invoice_issue,
    invoice_line_add,
    invoice_line_remove,
    invoice_line_update,
    invoices_issue_batch,
)
from frontoffice.billing.services.ocr import ocr_is_valid
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.invoicing_factories import (
    ISSUE_DAY,
    make_customer,
    make_draft,
    make_product,
    vat,
)
from frontoffice.core.models import AuditEntry
from frontoffice.finance.models import JournalEntry, LockDate, PostingRejection
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.finance.services.verify import ledger_verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_pricing_app")]
D = Decimal


def voucher_lines(invoice: Invoice) -> list[tuple[str, str, Decimal]]:
    return [
        (line.account.number, line.side, line.amount)
        for line in invoice.voucher.lines.select_related("account").order_by("line_no")
    ]


# ---------------------------------------------------------------- drafts


def test_a_draft_takes_terms_currency_and_language_from_the_customers_profile(org, customer):
    customer.payment_terms_days = 15
    customer.language = "en"
    customer.save()
    invoice = invoice_draft_create(actor=org.user("clerk"), legal_entity=org.company, party=customer.party)
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.kind == Invoice.Kind.INVOICE
    assert (invoice.profile, invoice.payment_terms_days, invoice.currency, invoice.language) == (
        customer,
        15,
        "SEK",
        "en",
    )
    assert invoice.series.code == "F"
    assert invoice.number is None
    assert invoice.created_by == org.user("clerk")
    assert AuditEntry.objects.for_object(invoice).filter(action="billing.invoice.draft_created").count() == 1


def test_a_draft_needs_an_active_billing_profile_in_the_legal_entity(org, billing, customer):
    clerk = org.user("clerk")
    no_profile = make_customer(org.other_company, name="Elsewhere AB")
    with pytest.raises(ValidationError) as excinfo:
        invoice_draft_create(actor=clerk, legal_entity=org.company, party=no_profile.party)
    assert excinfo.value.error_dict["party"][0].code == "no_billing_profile"
    customer.active = False
    customer.save()
    with pytest.raises(ValidationError) as excinfo:
        invoice_draft_create(actor=clerk, legal_entity=org.company, party=customer.party)
    assert excinfo.value.error_dict["party"][0].code == "no_billing_profile"
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "nsm", "nobody"])
def test_drafts_need_the_add_invoice_permission(org, customer, persona):
    with pytest.raises(PermissionDenied):
        invoice_draft_create(actor=org.user(persona), legal_entity=org.company, party=customer.party)
    assert Invoice.objects.count() == 0


def test_a_clerk_of_another_legal_entity_cannot_create_drafts_here(org, customer):
    with pytest.raises(PermissionDenied):
        invoice_draft_create(actor=org.user("other_clerk"), legal_entity=org.company, party=customer.party)


def test_a_product_line_takes_list_price_unit_vat_code_and_revenue_account(org, customer, products):
    invoice = make_draft(org.user("clerk"), customer)
    line = invoice_line_add(
        actor=org.user("clerk"), invoice=invoice, product=products["checkup"], quantity="2"
    )
    assert (line.line_no, line.description, line.quantity, line.unit) == (1, "Undersökning", D("2"), "C62")
    assert (line.unit_price_amount, line.discount_percent, line.net_amount) == (
        D("850.00"),
        D("0"),
        D("1700.00"),
    )
    assert (line.vat_code.code, line.vat_rate, line.revenue_account.number) == ("SE25", D("25.00"), "3001")
    assert line.price_source == "list"
    invoice.refresh_from_db()
    assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (
        D("1700.00"),
        D("425.00"),
        D("2125.00"),
    )


def test_a_products_own_revenue_account_wins_over_the_vat_codes(org, billing, customer):
    from frontoffice.finance.models import LedgerAccount

    product = make_product(
        billing,
        "KURS",
        name="Kurs",
        revenue_account=LedgerAccount.objects.get(legal_entity=billing, number="3540"),
    )
    invoice = make_draft(org.user("clerk"), customer, (product, "1"))
    assert invoice.lines.get().revenue_account.number == "3540"


def test_the_profiles_vat_override_sets_vat_code_and_its_revenue_account(org, billing, products):
    export = make_customer(
        billing, name="Oslo Tannlege AS", country="NO", default_vat_code=vat(billing, "EXP")
    )
    invoice = make_draft(org.user("clerk"), export, (products["checkup"], "1"))
    line = invoice.lines.get()
    assert (line.vat_code.code, line.vat_rate, line.revenue_account.number) == ("EXP", D("0.00"), "3105")
    assert (invoice.vat_amount, invoice.total_amount) == (D("0.00"), D("850.00"))


def test_the_pricing_app_prices_product_lines_when_it_is_installed(org, customer, products, monkeypatch):
    calls = []

    def line_price(*, legal_entity, party, product, quantity, on):
        calls.append((legal_entity, party, product, quantity, on))
        return types.SimpleNamespace(
            unit_price_amount=D("800.00"), discount_percent=D("10"), source="Profile Norrsken 2026"
        )

    monkeypatch.setattr(invoicing, "_pricing_line_price", lambda: line_price)
    invoice = make_draft(org.user("clerk"), customer, (products["checkup"], "3"))
    line = invoice.lines.get()
    assert (line.unit_price_amount, line.discount_percent, line.net_amount) == (
        D("800.00"),
        D("10"),
        D("2160.00"),
    )
    assert line.price_source == "Profile Norrsken 2026"
    assert calls == [(org.company, customer.party, products["checkup"], D("3"), ISSUE_DAY)]


def test_a_price_typed_on_a_product_line_is_marked_manual(org, customer, products):
    invoice = make_draft(org.user("clerk"), customer)
    line = invoice_line_add(
        actor=org.user("clerk"),
        invoice=invoice,
        product=products["checkup"],
        quantity="1",
        unit_price="700.00",
        discount_percent="5",
    )
    assert (line.unit_price_amount, line.discount_percent, line.price_source) == (
        D("700.00"),
        D("5"),
        "manual",
    )


def test_a_free_text_line_needs_description_price_and_vat_code(org, customer):
    invoice = make_draft(org.user("clerk"), customer)
    line = invoice_line_add(
        actor=org.user("clerk"),
        invoice=invoice,
        description="Konsultation",
        quantity="1,5",
        unit_price="1 200,00",
        vat_code="SE25",
    )
    assert (line.quantity, line.net_amount, line.revenue_account.number, line.price_source) == (
        D("1.5"),
        D("1800.00"),
        "3001",
        "manual",
    )
    with pytest.raises(ValidationError) as excinfo:
        invoice_line_add(actor=org.user("clerk"), invoice=invoice, quantity="1")
    assert set(excinfo.value.error_dict) == {"description", "unit_price", "vat_code"}


def test_bad_line_input_names_each_field_and_writes_nothing(org, customer, products):
    invoice = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    with pytest.raises(ValidationError) as excinfo:
        invoice_line_add(
            actor=org.user("clerk"),
            invoice=invoice,
            description="Rabatt",
            quantity="-1",
            unit_price="100.00",
            discount_percent="120",
            vat_code="SE99",
        )
    codes = {field: [e.code for e in errors] for field, errors in excinfo.value.error_dict.items()}
    assert codes == {
        "quantity": ["quantity_not_positive"],
        "discount_percent": ["invalid_discount"],
        "vat_code": ["unknown_vat_code"],
    }
    assert invoice.lines.count() == 1
    invoice.refresh_from_db()
    assert invoice.total_amount == D("1062.50")


def test_a_vat_code_of_another_legal_entity_is_unknown_here(org, billing, customer):
    from frontoffice.billing.services.setup import billing_setup
    from frontoffice.finance.services.chart import ledger_setup

    ledger_setup(actor=None, legal_entity=org.other_company, first_year_start=datetime.date(2026, 1, 1))
    billing_setup(actor=None, legal_entity=org.other_company)
    invoice = make_draft(org.user("clerk"), customer)
    with pytest.raises(ValidationError) as excinfo:
        invoice_line_add(
            actor=org.user("clerk"),
            invoice=invoice,
            description="X",
            quantity="1",
            unit_price="1.00",
            vat_code=vat(org.other_company, "SE25"),
        )
    assert excinfo.value.error_dict["vat_code"][0].code == "unknown_vat_code"


def test_an_inactive_vat_code_is_refused(org, billing, customer):
    code = vat(billing, "SE12")
    code.active = False
    code.save()
    invoice = make_draft(org.user("clerk"), customer)
    with pytest.raises(ValidationError) as excinfo:
        invoice_line_add(
            actor=org.user("clerk"),
            invoice=invoice,
            description="X",
            quantity="1",
            unit_price="1.00",
            vat_code="SE12",
        )
    assert excinfo.value.error_dict["vat_code"][0].code == "inactive_vat_code"


def test_updating_and_removing_lines_keeps_the_totals_and_numbering(org, customer, products):
    clerk = org.user("clerk")
    invoice = make_draft(
        clerk, customer, (products["checkup"], "1"), (products["book"], "2"), (products["lunch"], "4")
    )
    # 850.00 at 25 % (212.50), 398.00 at 6 % (23.88), 382.00 at 12 % (45.84)
    assert (invoice.net_amount, invoice.vat_amount) == (D("1630.00"), D("282.22"))
    first, second, _third = invoice.lines.order_by("line_no")
    invoice_line_update(actor=clerk, line=second, quantity="1", description="Tandvårdsboken, pocket")
    second.refresh_from_db()
    assert (second.quantity, second.net_amount, second.description) == (
        D("1"),
        D("199.00"),
        "Tandvårdsboken, pocket",
    )
    invoice_line_remove(actor=clerk, line=first)
    assert list(invoice.lines.order_by("line_no").values_list("line_no", "product__code")) == [
        (1, "BOK-01"),
        (2, "LUN-01"),
    ]
    invoice.refresh_from_db()
    # 199.00 at 6 % = 11.94; 382.00 at 12 % = 45.84
    assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (
        D("581.00"),
        D("57.78"),
        D("638.78"),
    )


def test_changing_the_quantity_reprices_a_product_line_but_keeps_a_manual_price(
    org, customer, products, monkeypatch
):
    def line_price(*, legal_entity, party, product, quantity, on):
        # A quantity tier: 10 or more at 700.00
        price = D("700.00") if quantity >= 10 else product.unit_price_amount
        return types.SimpleNamespace(unit_price_amount=price, discount_percent=D("0"), source="tier")

    monkeypatch.setattr(invoicing, "_pricing_line_price", lambda: line_price)
    clerk = org.user("clerk")
    invoice = make_draft(clerk, customer, (products["checkup"], "1"))
    line = invoice.lines.get()
    line = invoice_line_update(actor=clerk, line=line, quantity="10")
    assert (line.unit_price_amount, line.net_amount) == (D("700.00"), D("7000.00"))
    line = invoice_line_update(actor=clerk, line=line, unit_price="650.00")
    assert line.price_source == "manual"
    line = invoice_line_update(actor=clerk, line=line, quantity="12")
    assert (line.unit_price_amount, line.net_amount) == (D("650.00"), D("7800.00"))


def test_draft_update_changes_dates_references_and_terms(org, customer):
    clerk = org.user("clerk")
    invoice = make_draft(clerk, customer)
    invoice = invoice_draft_update(
        actor=clerk,
        invoice=invoice,
        issue_on=datetime.date(2026, 4, 1),
        delivery_on=datetime.date(2026, 3, 31),
        payment_terms_days=10,
        buyer_reference="Anna Berg",
        seller_reference="Sam",
        notes="Tack för besöket",
    )
    invoice.refresh_from_db()
    assert (invoice.issue_on, invoice.delivery_on, invoice.payment_terms_days) == (
        datetime.date(2026, 4, 1),
        datetime.date(2026, 3, 31),
        10,
    )
    assert (invoice.buyer_reference, invoice.seller_reference, invoice.notes) == (
        "Anna Berg",
        "Sam",
        "Tack för besöket",
    )
    entry = AuditEntry.objects.for_object(invoice).get(action="billing.invoice.draft_updated")
    assert entry.changes["payment_terms_days"] == [30, 10]


def test_moving_a_draft_to_another_customer_takes_that_customers_terms_and_vat(
    org, billing, customer, products
):
    clerk = org.user("clerk")
    export = make_customer(
        billing, name="Oslo Tannlege AS", payment_terms_days=20, default_vat_code=vat(billing, "EXP")
    )
    invoice = make_draft(clerk, customer, (products["checkup"], "1"))
    invoice = invoice_draft_update(actor=clerk, invoice=invoice, party=export.party)
    invoice.refresh_from_db()
    assert (invoice.profile, invoice.payment_terms_days) == (export, 20)
    assert invoice.lines.get().vat_code.code == "EXP"
    assert (invoice.vat_amount, invoice.total_amount) == (D("0.00"), D("850.00"))


def test_bad_draft_fields_are_named(org, customer):
    with pytest.raises(ValidationError) as excinfo:
        invoice_draft_update(
            actor=org.user("clerk"),
            invoice=make_draft(org.user("clerk"), customer),
            payment_terms_days=400,
            delivery_on="yesterday",
        )
    assert set(excinfo.value.error_dict) == {"payment_terms_days", "delivery_on"}


# ---------------------------------------------------------------- issuing


def test_issuing_takes_the_next_number_and_posts_one_balanced_voucher(org, customer, products):
    clerk = org.user("clerk")
    invoice = make_draft(
        clerk, customer, (products["checkup"], "2"), (products["book"], "1"), (products["lunch"], "3")
    )
    issued = invoice_issue(actor=clerk, invoice=invoice)
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.ISSUED
    assert (issued.year, issued.number, issued.reference) == (2026, 1, "F2026-00001")
    # 1700.00 (25 %) + 199.00 (6 %) + 286.50 (12 %)
    assert (issued.net_amount, issued.vat_amount, issued.rounding_amount, issued.total_amount) == (
        D("2185.50"),
        D("425.00") + D("11.94") + D("34.38"),
        D("0.00"),
        D("2656.82"),
    )
    assert issued.open_amount == issued.total_amount
    assert issued.voucher.reference == "F1"
    assert issued.voucher.date == ISSUE_DAY
    assert issued.voucher.source == issued
    assert voucher_lines(issued) == [
        ("1510", "D", D("2656.82")),
        ("3001", "C", D("1700.00")),
        ("3002", "C", D("286.50")),
        ("3003", "C", D("199.00")),
        ("2611", "C", D("425.00")),
        ("2621", "C", D("34.38")),
        ("2631", "C", D("11.94")),
    ]
    assert ledger_verify(legal_entity=org.company).ok is True


def test_issuing_snapshots_the_buyer_and_sets_due_date_and_ocr(org, customer, products):
    clerk = org.user("clerk")
    customer.buyer_reference = "Inköp 42"
    customer.save()
    invoice = make_draft(clerk, customer, (products["checkup"], "1"))
    issued = invoice_issue(actor=clerk, invoice=invoice)
    customer.legal_name = "Norrsken Bygg & Måleri AB"
    customer.street = "Nygatan 9"
    customer.save()
    issued.refresh_from_db()
    assert (issued.buyer_name, issued.buyer_street, issued.buyer_postal_code, issued.buyer_city) == (
        "Norrsken Bygg AB",
        "Storgatan 1",
        "903 26",
        "Umeå",
    )
    assert (issued.buyer_organisation_number, issued.buyer_vat_number, issued.buyer_email) == (
        "556036-0793",
        "SE556036079301",
        "faktura@norrsken.example",
    )
    assert issued.buyer_reference == "Inköp 42"
    assert (issued.issue_on, issued.due_on) == (ISSUE_DAY, ISSUE_DAY + datetime.timedelta(days=30))
    assert ocr_is_valid(issued.payment_reference, length_digit=True) is True
    assert issued.payment_reference.startswith(f"{issued.series_id}260000001")
    assert (issued.issued_by, issued.issued_at is not None) == (clerk, True)
    entry = AuditEntry.objects.for_object(issued).get(action="billing.invoice.issued")
    assert entry.actor == clerk
    assert entry.changes["number"] == [None, "F2026-00001"]


def test_invoices_are_numbered_gaplessly_in_issue_order(org, customer, products):
    clerk = org.user("clerk")
    drafts = [make_draft(clerk, customer, (products["book"], str(n))) for n in range(1, 4)]
    for draft in reversed(drafts):
        invoice_issue(actor=clerk, invoice=draft)
    numbers = {d.pk: Invoice.objects.get(pk=d.pk).number for d in drafts}
    assert [numbers[d.pk] for d in drafts] == [3, 2, 1]
    counter = InvoiceCounter.objects.get(series__code="F", year=2026)
    assert counter.next_number == 4
    assert list(JournalEntry.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]


def test_whole_krona_rounding_posts_the_difference_to_the_rounding_account(org, billing, customer):
    BillingSettings.objects.filter(legal_entity=billing).update(round_to_whole_krona=True)
    clerk = org.user("clerk")
    product = make_product(billing, "X", price="99.60")  # 99.60 + 24.90 = 124.50 -> 125.00
    issued = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (product, "1")))
    assert (issued.rounding_amount, issued.total_amount) == (D("0.50"), D("125.00"))
    assert voucher_lines(issued) == [
        ("1510", "D", D("125.00")),
        ("3001", "C", D("99.60")),
        ("2611", "C", D("24.90")),
        ("3740", "C", D("0.50")),
    ]
    product = make_product(billing, "Y", price="99.50")  # 99.50 + 24.88 = 124.38 -> 124.00
    issued = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (product, "1")))
    assert voucher_lines(issued) == [
        ("1510", "D", D("124.00")),
        ("3740", "D", D("0.38")),
        ("3001", "C", D("99.50")),
        ("2611", "C", D("24.88")),
    ]


def test_a_rejected_posting_writes_nothing_and_shows_the_ledgers_violations(org, customer, products):
    clerk = org.user("clerk")
    LockDate.objects.create(legal_entity=org.company, locked_through=datetime.date(2026, 3, 31))
    invoice = make_draft(clerk, customer, (products["checkup"], "1"))
    audit_before = AuditEntry.objects.count()
    with pytest.raises(PostingRejected) as excinfo:
        invoice_issue(actor=clerk, invoice=invoice)
    assert [v.code for v in excinfo.value.violations] == ["period_locked"]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.voucher, invoice.payment_reference) == (
        "draft",
        None,
        None,
        "",
    )
    assert not InvoiceCounter.objects.filter(next_number__gt=1).exists()
    assert JournalEntry.objects.count() == 0
    assert PostingRejection.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before
    invoice_draft_update(actor=clerk, invoice=invoice, issue_on=datetime.date(2026, 4, 1))
    assert invoice_issue(actor=clerk, invoice=invoice).number == 1


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "nsm", "admin", "nobody"])
def test_issuing_needs_the_issue_permission(org, customer, products, persona):
    invoice = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    with pytest.raises(PermissionDenied):
        invoice_issue(actor=org.user(persona), invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == "draft"


def test_a_clerk_of_another_legal_entity_cannot_issue_here(org, customer, products):
    invoice = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    with pytest.raises(PermissionDenied):
        invoice_issue(actor=org.user("other_clerk"), invoice=invoice)
    with pytest.raises(PermissionDenied):
        invoice_line_add(
            actor=org.user("other_clerk"), invoice=invoice, product=products["book"], quantity="1"
        )


def test_an_issued_invoice_is_not_issued_again_and_its_lines_do_not_change(org, customer, products):
    clerk = org.user("clerk")
    invoice = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (products["checkup"], "1")))
    with pytest.raises(ValidationError) as excinfo:
        invoice_issue(actor=clerk, invoice=invoice)
    assert excinfo.value.code == "not_draft"
    line = invoice.lines.get()
    for call in (
        lambda: invoice_line_add(actor=clerk, invoice=invoice, product=products["book"], quantity="1"),
        lambda: invoice_line_update(actor=clerk, line=line, quantity="5"),
        lambda: invoice_line_remove(actor=clerk, line=line),
        lambda: invoice_draft_update(actor=clerk, invoice=invoice, notes="x"),
    ):
        with pytest.raises(ValidationError) as excinfo:
            call()
        assert excinfo.value.code == "not_draft"
    assert JournalEntry.objects.count() == 1
    line.refresh_from_db()
    assert line.quantity == D("1")


def test_the_same_idempotency_key_returns_the_invoice_issued_the_first_time(org, customer, products):
    clerk = org.user("clerk")
    invoice = make_draft(clerk, customer, (products["checkup"], "1"))
    first = invoice_issue(actor=clerk, invoice=invoice, idempotency_key="issue-1")
    again = invoice_issue(actor=clerk, invoice=Invoice.objects.get(pk=invoice.pk), idempotency_key="issue-1")
    assert again.pk == first.pk and again.number == 1
    assert JournalEntry.objects.count() == 1
    other = make_draft(clerk, customer, (products["book"], "1"))
    with pytest.raises(ValidationError) as excinfo:
        invoice_issue(actor=clerk, invoice=other, idempotency_key="issue-1")
    assert excinfo.value.code == "idempotency_key_reused"
    other.refresh_from_db()
    assert other.status == "draft"


def test_an_invoice_needs_lines_and_a_total_to_be_issued(org, customer, billing):
    clerk = org.user("clerk")
    with pytest.raises(ValidationError) as excinfo:
        invoice_issue(actor=clerk, invoice=make_draft(clerk, customer))
    assert excinfo.value.code == "no_lines"
    free = make_product(billing, "FREE", price="0.00")
    with pytest.raises(ValidationError) as excinfo:
        invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (free, "1")))
    assert excinfo.value.code == "zero_total"
    assert JournalEntry.objects.count() == 0


def test_a_vat_code_deactivated_after_the_line_was_added_stops_the_issue(org, customer, products, billing):
    clerk = org.user("clerk")
    invoice = make_draft(clerk, customer, (products["checkup"], "1"), (products["lunch"], "1"))
    VatCode.objects.filter(legal_entity=billing, code="SE12").update(active=False)
    with pytest.raises(ValidationError) as excinfo:
        invoice_issue(actor=clerk, invoice=invoice)
    assert excinfo.value.code == "invalid_lines"
    assert "SE12" in " ".join(excinfo.value.messages)
    assert "2" in " ".join(excinfo.value.messages)


def test_a_customer_whose_profile_was_deactivated_cannot_be_invoiced(org, customer, products):
    clerk = org.user("clerk")
    invoice = make_draft(clerk, customer, (products["checkup"], "1"))
    customer.active = False
    customer.save()
    with pytest.raises(ValidationError) as excinfo:
        invoice_issue(actor=clerk, invoice=invoice)
    assert excinfo.value.code == "no_billing_profile"


# ---------------------------------------------------------------- batches


def test_a_batch_issues_every_draft_with_consecutive_numbers_and_one_voucher_each(
    org, customer, south_customer, products
):
    clerk = org.user("clerk")
    drafts = [
        make_draft(
            clerk,
            customer if n % 2 else south_customer,
            (products["checkup"], "1"),
            (products["book"], str(n)),
        )
        for n in range(1, 6)
    ]
    issued = invoices_issue_batch(actor=clerk, invoices=drafts)
    assert [i.number for i in issued] == [1, 2, 3, 4, 5]
    assert [i.pk for i in issued] == [d.pk for d in drafts]
    stored = Invoice.objects.filter(pk__in=[d.pk for d in drafts]).order_by("number")
    assert all(i.status == "issued" and i.voucher_id and i.open_amount == i.total_amount for i in stored)
    assert sorted(JournalEntry.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    assert len({i.voucher_id for i in stored}) == 5
    assert len({i.payment_reference for i in stored}) == 5
    assert stored[1].buyer_name == "Söderbergs Tandlab AB"
    assert voucher_lines(stored[2]) == [
        ("1510", "D", D("1695.32")),  # 850.00 + 212.50 + 3 * 199.00 + 35.82 (6 % of 597.00)
        ("3001", "C", D("850.00")),
        ("3003", "C", D("597.00")),
        ("2611", "C", D("212.50")),
        ("2631", "C", D("35.82")),
    ]
    assert AuditEntry.objects.filter(action="billing.invoice.issued").count() == 5
    entry = AuditEntry.objects.for_object(stored[0]).get(action="billing.invoice.issued")
    assert (entry.actor, entry.object_repr) == (clerk, "F2026-00001")
    assert entry.changes == {
        "number": [None, "F2026-00001"],
        "voucher": [None, stored[0].voucher.reference],
        "total_amount": [None, f"{stored[0].total_amount:.2f}"],
        "batch": [None, True],
    }
    assert ledger_verify(legal_entity=org.company).ok is True


def test_a_batch_is_all_or_nothing(org, customer, products, billing):
    clerk = org.user("clerk")
    good = [make_draft(clerk, customer, (products["checkup"], "1")) for _ in range(3)]
    late = make_draft(clerk, customer, (products["checkup"], "1"), issue_on=datetime.date(2027, 1, 5))
    with pytest.raises(ValidationError) as excinfo:
        invoices_issue_batch(actor=clerk, invoices=[*good[:2], late, good[2]])
    assert list(excinfo.value.error_dict) == [f"invoices.{late.pk}"]
    assert Invoice.objects.filter(status="draft").count() == 4
    assert JournalEntry.objects.count() == 0
    assert not InvoiceCounter.objects.filter(next_number__gt=1).exists()
    assert invoices_issue_batch(actor=clerk, invoices=good)[0].number == 1


def test_a_batch_refuses_invoices_that_are_not_drafts(org, customer, products):
    clerk = org.user("clerk")
    issued = invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (products["checkup"], "1")))
    draft = make_draft(clerk, customer, (products["checkup"], "1"))
    with pytest.raises(ValidationError) as excinfo:
        invoices_issue_batch(actor=clerk, invoices=[draft, issued])
    assert list(excinfo.value.error_dict) == [f"invoices.{issued.pk}"]
    assert excinfo.value.error_dict[f"invoices.{issued.pk}"][0].code == "not_draft"
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_batch_needs_the_issue_permission(org, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    with pytest.raises(PermissionDenied):
        invoices_issue_batch(actor=org.user("rep_north"), invoices=[draft])
    with pytest.raises(PermissionDenied):
        invoices_issue_batch(actor=org.user("other_clerk"), invoices=[draft])


def test_lines_are_stored_with_their_vat_rate(org, customer, products):
    invoice = make_draft(org.user("clerk"), customer, (products["lunch"], "1"))
    assert list(InvoiceLine.objects.filter(invoice=invoice).values_list("vat_rate", flat=True)) == [
        D("12.00")
    ]


def test_a_draft_can_be_created_with_its_lines_all_or_nothing(org, customer, products):
    clerk = org.user("clerk")
    invoice = invoice_draft_create(
        actor=clerk,
        legal_entity=org.company,
        party=customer.party,
        lines=[
            {"product": products["checkup"], "quantity": "2"},
            {"description": "Resa", "quantity": "1", "unit_price": "300.00", "vat_code": "SE25"},
        ],
    )
    assert [line.description for line in invoice.lines.order_by("line_no")] == ["Undersökning", "Resa"]
    assert invoice.total_amount == D("2500.00")
    with pytest.raises(ValidationError) as excinfo:
        invoice_draft_create(
            actor=clerk,
            legal_entity=org.company,
            party=customer.party,
            lines=[
                {"product": products["checkup"], "quantity": "1"},
                {"quantity": "-1", "unit_price": "1.00"},
            ],
        )
    assert set(excinfo.value.error_dict) == {"lines.1.quantity", "lines.1.description", "lines.1.vat_code"}
    assert Invoice.objects.count() == 1


_REAL_PRICING_LOOKUP = invoicing._pricing_line_price


def test_an_approved_price_profile_of_the_pricing_app_prices_product_lines(
    org, customer, products, monkeypatch
):
    """With the real pricing app: the customer's approved profile in force on the invoice date."""
    pytest.importorskip("frontoffice.pricing.selectors")
    from frontoffice.pricing.services.profiles import (
        price_profile_create,
        price_profile_submit,
        price_rule_add,
    )

    monkeypatch.setattr(invoicing, "_pricing_line_price", _REAL_PRICING_LOOKUP)
    manager = org.user("finance_manager")
    profile = price_profile_create(
        actor=manager, party=customer.party, name="Avtal 2026", valid_from=datetime.date(2026, 1, 1)
    )
    price_rule_add(actor=manager, profile=profile, product=products["checkup"], discount_percent="10")
    price_profile_submit(actor=manager, profile=profile)
    clerk = org.user("clerk")
    invoice = make_draft(clerk, customer, (products["checkup"], "2"), (products["book"], "1"))
    checkup, book = invoice.lines.order_by("line_no")
    assert (checkup.unit_price_amount, checkup.discount_percent, checkup.net_amount) == (
        D("850.00"),
        D("10.00"),
        D("1530.00"),
    )
    assert "Avtal 2026" in checkup.price_source
    assert (book.unit_price_amount, book.discount_percent, book.net_amount) == (
        D("199.00"),
        D("0.00"),
        D("199.00"),
    )
    early = make_draft(clerk, customer, (products["checkup"], "1"), issue_on=datetime.date(2025, 12, 31))
    assert early.lines.get().discount_percent == D("0.00")  # not yet in force
