import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.billing.models import Invoice
from frontoffice.core.models import AuditEntry
from frontoffice.finance.models import JournalEntry, PostingRejection
from frontoffice.finance.services.verify import ledger_verify
from frontoffice.receivables.bankfile import Mapping
from frontoffice.receivables.models import BankFileMapping, BankImport, Payment, PaymentAllocation
from frontoffice.receivables.services.bank_import import (
    bank_file_import,
    bank_file_mapping_suggest,
    bank_file_preview,
)
from frontoffice.receivables.tests.factories import account_balance, make_invoice, open_total

pytestmark = pytest.mark.django_db
MAPPING = Mapping(date="Bokföringsdag", amount="Belopp", reference="Referens", payer="Avsändare")


def bank_file(*rows: str, header: str = "Bokföringsdag;Belopp;Referens;Avsändare") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("cp1252")


def state():
    return (
        BankImport.objects.count(),
        Payment.objects.count(),
        PaymentAllocation.objects.count(),
        JournalEntry.objects.count(),
        AuditEntry.objects.filter(action__startswith="receivables.").count(),
        PostingRejection.objects.count(),
        list(Invoice.objects.order_by("pk").values_list("open_amount", "status")),
        BankFileMapping.objects.count(),
    )


@pytest.fixture
def invoices(customers, org):
    return (
        make_invoice(org, customers.north, "1250.00"),
        make_invoice(org, customers.south, "625.00"),
    )


def test_importing_a_bank_file_registers_and_matches_every_payment(invoices, customers, org):
    north, south = invoices
    data = bank_file(
        f"2026-03-20;1 250,00;{north.payment_reference};Norrsken Bygg AB",
        f"2026-03-21;500,00;{south.payment_reference};Söderljus Tandvård",
        "2026-03-22;99,50;Faktura 17;Åsa Öberg",
    )
    result = bank_file_import(
        actor=org.user("clerk"), legal_entity=org.company, data=data, file_name="bg-mars.csv", mapping=MAPPING
    )
    assert (result.row_count, result.matched_count, result.unmatched_count) == (3, 2, 1)
    assert result.total_amount == Decimal("1849.50")
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.mapping["date"] == "Bokföringsdag"
    assert result.imported_by == org.user("clerk")
    payments = list(result.payments.order_by("bank_import_line"))
    assert [(p.bank_import_line, p.amount, p.party, p.unallocated_amount) for p in payments] == [
        (2, Decimal("1250.00"), customers.north, Decimal("0.00")),
        (3, Decimal("500.00"), customers.south, Decimal("0.00")),
        (4, Decimal("99.50"), None, Decimal("99.50")),
    ]
    assert payments[2].payer_name == "Åsa Öberg"
    assert {p.source for p in payments} == {Payment.Source.BANK_FILE}
    assert all(p.voucher.series.code == "B" for p in payments)
    assert len({p.voucher_id for p in payments}) == 3
    north.refresh_from_db()
    south.refresh_from_db()
    assert (north.status, south.open_amount) == (Invoice.Status.PAID, Decimal("125.00"))
    assert open_total(org.company) == account_balance(org.company, "1510")
    assert account_balance(org.company, "1930") == Decimal("1849.50")
    assert account_balance(org.company, "2420") == Decimal("-99.50")
    assert ledger_verify(legal_entity=org.company).ok
    assert AuditEntry.objects.filter(
        action="receivables.bank_file.imported", object_id=str(result.pk)
    ).exists()


def test_the_same_file_twice_is_refused(invoices, org):
    data = bank_file("2026-03-22;99,50;;Åsa Öberg")
    first = bank_file_import(
        actor=org.user("clerk"), legal_entity=org.company, data=data, file_name="a.csv", mapping=MAPPING
    )
    before = state()
    with pytest.raises(ValidationError) as error:
        bank_file_import(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            data=data,
            file_name="renamed.csv",
            mapping=MAPPING,
        )
    assert error.value.code == "duplicate_file"
    assert "a.csv" in error.value.messages[0]
    assert state() == before
    assert (
        bank_file_preview(
            actor=org.user("clerk"), legal_entity=org.company, data=data, mapping=MAPPING
        ).duplicate
        == first
    )


def test_a_malformed_file_is_refused_with_every_problem_and_nothing_is_written(invoices, org):
    data = bank_file(
        "2026-03-20;1 250,00;;A",
        "2026-13-01;100,00;;B",
        "2026-03-21;1,2,3;;C",
        "2026-03-22;-5,00;;Bank fee",
    )
    before = state()
    with pytest.raises(ValidationError) as error:
        bank_file_import(
            actor=org.user("clerk"), legal_entity=org.company, data=data, file_name="bad.csv", mapping=MAPPING
        )
    assert error.value.code == "invalid_file"
    messages = error.value.messages
    assert len(messages) == 3
    assert messages[0].startswith("Line 3, column “Bokföringsdag”")
    assert messages[1].startswith("Line 4, column “Belopp”")
    assert messages[2].startswith("Line 5, column “Belopp”")
    assert state() == before


def test_a_payment_in_another_currency_refuses_the_whole_file(invoices, org):
    data = bank_file(
        "2026-03-20;100,00;;A;SEK", "2026-03-21;100,00;;B;EUR", header="Datum;Belopp;Ref;Namn;Valuta"
    )
    mapping = Mapping(date="Datum", amount="Belopp", reference="Ref", payer="Namn", currency="Valuta")
    before = state()
    with pytest.raises(ValidationError) as error:
        bank_file_import(
            actor=org.user("clerk"), legal_entity=org.company, data=data, file_name="eur.csv", mapping=mapping
        )
    assert error.value.messages == [
        "Line 3, column “Valuta”: the payment is in EUR; only payments in SEK can be registered"
    ]
    assert state() == before


def test_a_date_outside_the_fiscal_years_is_reported_with_its_line(invoices, org):
    data = bank_file("2026-03-20;100,00;;A", "2025-12-31;100,00;;B")
    before = state()
    with pytest.raises(ValidationError) as error:
        bank_file_import(
            actor=org.user("clerk"), legal_entity=org.company, data=data, file_name="old.csv", mapping=MAPPING
        )
    assert len(error.value.messages) == 1
    assert error.value.messages[0].startswith("Line 3, column “Bokföringsdag”")
    assert state() == before


def test_an_unreadable_file_is_refused_before_anything_else(org, invoices):
    with pytest.raises(ValidationError) as error:
        bank_file_import(
            actor=org.user("clerk"),
            legal_entity=org.company,
            data=b"PK\x03\x04\x00",
            file_name="x.xlsx",
            mapping=MAPPING,
        )
    assert error.value.code == "not_csv"
    assert not BankImport.objects.exists()


def test_two_rows_paying_one_invoice_leave_the_second_overpayment_unallocated(invoices, org):
    north, _south = invoices
    data = bank_file(
        f"2026-03-20;1 000,00;{north.payment_reference};A", f"2026-03-21;1 000,00;{north.payment_reference};A"
    )
    preview = bank_file_preview(actor=org.user("clerk"), legal_entity=org.company, data=data, mapping=MAPPING)
    assert [(r.status, r.allocate) for r in preview.rows] == [
        ("partial", Decimal("1000.00")),
        ("overpaid", Decimal("250.00")),
    ]
    result = bank_file_import(
        actor=org.user("clerk"), legal_entity=org.company, data=data, file_name="twice.csv", mapping=MAPPING
    )
    second = result.payments.get(bank_import_line=3)
    assert (second.allocated_amount, second.unallocated_amount) == (Decimal("250.00"), Decimal("750.00"))
    north.refresh_from_db()
    assert north.status == Invoice.Status.PAID


def test_the_preview_proposes_matches_and_writes_nothing(invoices, org):
    north, south = invoices
    bad_ocr = north.payment_reference[:-1] + str((int(north.payment_reference[-1]) + 1) % 10)
    data = bank_file(
        f"2026-03-20;1 250,00;{north.payment_reference};A",
        f"2026-03-21;700,00;{south.payment_reference};B",
        f"2026-03-22;10,00;{bad_ocr};C",
        "2026-03-22;10,00;hyra;D",
    )
    before = state()
    preview = bank_file_preview(actor=org.user("clerk"), legal_entity=org.company, data=data, mapping=MAPPING)
    assert state() == before
    assert preview.ok is True
    assert [(r.status, r.invoice, r.allocate) for r in preview.rows] == [
        ("matched", north, Decimal("1250.00")),
        ("overpaid", south, Decimal("625.00")),
        ("invalid_ocr", None, Decimal("0.00")),
        ("no_match", None, Decimal("0.00")),
    ]
    assert (preview.matched_count, preview.unmatched_count, preview.total) == (2, 2, Decimal("1970.00"))
    assert preview.file.encoding == "cp1252"


def test_outgoing_rows_are_skipped_when_the_mapping_says_so(invoices, org):
    data = bank_file("2026-03-20;100,00;;A", "2026-03-21;-40,00;;Bankavgift")
    mapping = Mapping(**{**MAPPING.as_dict(), "skip_negative": True})
    result = bank_file_import(
        actor=org.user("clerk"), legal_entity=org.company, data=data, file_name="s.csv", mapping=mapping
    )
    assert (result.row_count, result.skipped_count, result.payments.count()) == (2, 1, 1)


def test_a_mapping_is_saved_and_suggested_for_files_with_the_same_columns(invoices, org):
    data = bank_file("2026-03-20;100,00;;A")
    bank_file_import(
        actor=org.user("clerk"),
        legal_entity=org.company,
        data=data,
        file_name="s.csv",
        mapping=MAPPING,
        save_mapping_as="Handelsbanken",
    )
    saved = BankFileMapping.objects.get()
    assert (saved.name, saved.columns["amount"]) == ("Handelsbanken", "Belopp")
    header = ["Bokföringsdag", "Belopp", "Referens", "Avsändare", "Saldo"]
    assert (
        bank_file_mapping_suggest(actor=org.user("clerk"), legal_entity=org.company, header=header) == saved
    )
    assert (
        bank_file_mapping_suggest(
            actor=org.user("clerk"), legal_entity=org.company, header=["Datum", "Belopp"]
        )
        is None
    )
    assert (
        bank_file_mapping_suggest(actor=org.user("other_clerk"), legal_entity=org.company, header=header)
        is None
    )


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "other_clerk"])
def test_only_clerks_of_the_company_import_bank_files(invoices, org, persona):
    before = state()
    with pytest.raises(PermissionDenied):
        bank_file_import(
            actor=org.user(persona),
            legal_entity=org.company,
            data=bank_file("2026-03-20;100,00;;A"),
            file_name="s.csv",
            mapping=MAPPING,
        )
    assert state() == before
