#!/usr/bin/env python
"""Issuing invoices in a batch: numbering, buyer snapshot, totals, OCR and ledger postings.

Usage (from the repository root):

    .venv/bin/python bench/billing.py            # 10,000 five-line invoices
    .venv/bin/python bench/billing.py --quick    # 1,000 invoices (< 1 minute)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontoffice .venv/bin/python bench/billing.py

The benchmark never touches real data. On PostgreSQL it creates (and afterwards drops) its own
database ``frontoffice_bench_billing`` on the server DATABASE_URL names; on SQLite it uses a
file in a temporary directory. It migrates that database and sets up one legal entity with the
BAS chart, the fiscal year 2026 and billing (``billing_setup``), 200 customers with billing
profiles and 20 products over the 25/12/6/0 % VAT codes.

The drafts are BULK-INSERTED: each line carries exactly the values ``invoice_line_add`` stores
(taken from ``invoice_line_preview``, the same code path, per product and quantity) and each
draft the totals ``billing.services.totals`` computes from them; a sample draft is built
through the services and compared, so the bench cannot drift from the app.

Measures ``billing.issue_batch``: ``invoices_issue_batch`` issuing all drafts in ONE call (one
transaction, all or nothing): invoice counter, buyer snapshot, totals, due date, OCR reference,
one voucher per invoice through ``journal_entries_post_batch`` with every posting standard
checked, and an audit entry per invoice. ``--batch-size`` splits the drafts into several calls.
Afterwards the numbers are checked to be gapless, every invoice to have its own voucher, the
ledger to verify and the receivables account to equal the open amounts.

Printed figure:

    figure billing.issue_batch <n> invoices/s
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import pstats
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import benchdb  # bench/benchdb.py: the scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "frontoffice_bench_billing"
YEAR_START = datetime.date(2026, 1, 1)
CUSTOMERS = 200
LINES_PER_INVOICE = 5
# (code, name, price, VAT code): a dental clinic's and a B2B catalogue.
PRODUCTS = [
    (f"P{n:02d}", name, price, vat)
    for n, (name, price, vat) in enumerate(
        [
            ("Undersökning", "850.00", "SE25"),
            ("Tandstensborttagning", "695.00", "SE25"),
            ("Fluorbehandling", "320.00", "SE25"),
            ("Röntgen", "410.50", "SE25"),
            ("Konsultation, timme", "1250.00", "SE25"),
            ("Tandborste", "49.90", "SE25"),
            ("Tandkräm", "39.00", "SE25"),
            ("Tandtråd", "29.50", "SE25"),
            ("Munskölj", "59.00", "SE25"),
            ("Blekning", "2495.00", "SE25"),
            ("Lunch, kurs", "125.00", "SE12"),
            ("Fika, kurs", "45.00", "SE12"),
            ("Kursmaterial, bok", "349.00", "SE06"),
            ("Broschyr", "19.00", "SE06"),
            ("Tidskrift", "89.00", "SE06"),
            ("Tandvård, momsfri", "1100.00", "SE00"),
            ("Implantat, momsfri", "9800.00", "SE00"),
            ("Akut besök, momsfri", "1450.00", "SE00"),
            ("Hyra av behandlingsrum", "3000.00", "SE25"),
            ("Frakt", "99.00", "SE25"),
        ]
    )
]
QUANTITIES = ["1", "2", "3", "0.5", "1.25", "10"]


def setup_django() -> None:
    benchdb.production_like_environment()
    import django
    from django.conf import settings

    django.setup()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ---------------------------------------------------------------------- data


def build_company() -> dict[str, Any]:
    from frontoffice.billing.models import BillingProfile, Product, VatCode
    from frontoffice.billing.services.setup import billing_setup
    from frontoffice.finance.models import PostingStandards
    from frontoffice.finance.services.chart import ledger_setup
    from frontoffice.org.models import LegalEntity, Organisation, Role, Staff, User
    from frontoffice.parties.models import Party

    organisation = Organisation.objects.create(name="Bench Group")
    company = LegalEntity.objects.create(
        organisation=organisation,
        name="Bench Tandvård AB",
        organisation_number="559218-3411",
        vat_number="SE559218341101",
    )
    roles = {r.code: r for r in Role.objects.all()}

    def person(username: str, role: str) -> Any:
        user = User.objects.create_user(username=username, email=f"{username}@bench.local", password="x")
        Staff.objects.create(user=user, legal_entity=company, role=roles[role])
        return user

    cfo, clerk = person("cfo", "finance_manager"), person("clerk", "accounts_clerk")
    ledger_setup(actor=cfo, legal_entity=company, first_year_start=YEAR_START)
    # Every standard is checked on every voucher: limits exist, above the amounts posted.
    PostingStandards.objects.filter(legal_entity=company).update(
        four_eyes_threshold_amount=Decimal("100000000.00"),
        attachment_threshold_amount=Decimal("100000000.00"),
    )
    billing_setup(actor=cfo, legal_entity=company)
    parties = Party.objects.bulk_create(
        [
            Party(
                kind=Party.Kind.ORGANISATION,
                organisation_name=f"Kund {n:03d} AB",
                display_name=f"Kund {n:03d} AB",
                legal_entity=company,
            )
            for n in range(CUSTOMERS)
        ]
    )
    profiles = BillingProfile.objects.bulk_create(
        [
            BillingProfile(
                legal_entity=company,
                party=party,
                legal_name=party.display_name,
                organisation_number=f"55{n:04d}-{n:04d}",
                vat_number=f"SE55{n:04d}{n:04d}01",
                street=f"Storgatan {n + 1}",
                postal_code="903 26",
                city="Umeå",
                billing_email=f"faktura{n}@kund.example",
                payment_terms_days=(10, 20, 30)[n % 3],
            )
            for n, party in enumerate(parties)
        ]
    )
    codes = {c.code: c for c in VatCode.objects.filter(legal_entity=company)}
    products = Product.objects.bulk_create(
        [
            Product(
                legal_entity=company,
                code=code,
                name=name,
                unit_price_amount=Decimal(price),
                vat_code=codes[vat],
            )
            for code, name, price, vat in PRODUCTS
        ]
    )
    return {"company": company, "cfo": cfo, "clerk": clerk, "profiles": profiles, "products": products}


def _line_plan(n: int) -> list[tuple[int, str]]:
    """Invoice n's lines: (product index, quantity)."""
    return [
        ((n * 7 + k * 3) % len(PRODUCTS), QUANTITIES[(n + k) % len(QUANTITIES)])
        for k in range(LINES_PER_INVOICE)
    ]


def build_drafts(ctx: dict[str, Any], count: int) -> list[Any]:
    """``count`` five-line drafts, bulk-inserted with the values the services would store."""
    from django.db import transaction

    from frontoffice.billing.models import Invoice, InvoiceLine, InvoiceSeries
    from frontoffice.billing.services.invoicing import (
        billing_settings_for,
        invoice_draft_create,
        invoice_line_add,
        invoice_line_preview,
        lines_totals,
    )

    company, clerk, profiles, products = ctx["company"], ctx["clerk"], ctx["profiles"], ctx["products"]
    settings = billing_settings_for(company)
    series = InvoiceSeries.objects.get(legal_entity=company, code="F")
    issue_on = datetime.date(2026, 6, 15)

    # A sample through the services: its lines and totals must equal the bulk-built ones.
    sample = invoice_draft_create(
        actor=clerk, legal_entity=company, party=profiles[0].party, issue_on=issue_on
    )
    for index, quantity in _line_plan(0):
        invoice_line_add(actor=clerk, invoice=sample, product=products[index], quantity=quantity)
    sample.refresh_from_db()
    # Line values per (product, quantity), from the services' own preview (nothing written).
    values: dict[tuple[int, str], dict[str, Any]] = {}
    for index in range(len(products)):
        for quantity in QUANTITIES:
            values[(index, quantity)], _totals = invoice_line_preview(
                invoice=sample, product=products[index], quantity=quantity
            )

    def lines_for(n: int) -> list[Any]:
        return [
            InvoiceLine(line_no=k, **values[(index, quantity)])
            for k, (index, quantity) in enumerate(_line_plan(n), start=1)
        ]

    built = lines_for(0)
    stored = list(sample.lines.order_by("line_no"))
    fields = ["description", "quantity", "unit_price_amount", "discount_percent", "vat_rate", "net_amount"]
    fields += ["product_id", "vat_code_id", "revenue_account_id", "price_source", "unit"]
    for a, b in zip(built, stored, strict=True):
        mismatch = [f for f in fields if getattr(a, f) != getattr(b, f)]
        if mismatch:
            sys.exit(f"bulk-built line differs from the service's in {mismatch}")
    totals = lines_totals(built, round_to_whole_krona=settings.round_to_whole_krona)
    if (totals.net_amount, totals.vat_amount, totals.total_amount) != (
        sample.net_amount,
        sample.vat_amount,
        sample.total_amount,
    ):
        sys.exit("bulk-built totals differ from the service's")
    sample.lines.all().delete()
    sample.delete()

    started = time.perf_counter()
    drafts = []
    with transaction.atomic():
        for start in range(0, count, 2000):
            chunk = []
            chunk_lines = []
            for n in range(start, min(start + 2000, count)):
                profile = profiles[n % len(profiles)]
                lines = lines_for(n)
                totals = lines_totals(lines, round_to_whole_krona=settings.round_to_whole_krona)
                chunk.append(
                    Invoice(
                        legal_entity=company,
                        kind=Invoice.Kind.INVOICE,
                        status=Invoice.Status.DRAFT,
                        party_id=profile.party_id,
                        profile=profile,
                        series=series,
                        issue_on=issue_on,
                        payment_terms_days=profile.payment_terms_days,
                        currency=profile.currency,
                        language=profile.language,
                        buyer_name=profile.legal_name,
                        net_amount=totals.net_amount,
                        vat_amount=totals.vat_amount,
                        rounding_amount=totals.rounding_amount,
                        total_amount=totals.total_amount,
                        created_by=clerk,
                    )
                )
                chunk_lines.append(lines)
            Invoice.objects.bulk_create(chunk)
            for invoice, lines in zip(chunk, chunk_lines, strict=True):
                for line in lines:
                    line.invoice = invoice
            InvoiceLine.objects.bulk_create(
                [line for lines in chunk_lines for line in lines], batch_size=5000
            )
            drafts.extend(chunk)
    print(
        f"  {count:,} drafts with {count * LINES_PER_INVOICE:,} lines built in {time.perf_counter() - started:.1f} s"
    )
    return drafts


# ---------------------------------------------------------------------- measure


def bench_issue(ctx: dict[str, Any], drafts: list[Any], batch_size: int, profile: bool) -> float:
    from frontoffice.billing.services.invoicing import invoices_issue_batch

    clerk = ctx["clerk"]
    batches = [drafts[i : i + batch_size] for i in range(0, len(drafts), batch_size)]
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    issued = 0
    for batch in batches:
        issued += len(invoices_issue_batch(actor=clerk, invoices=batch))
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler:
        print("--- profile: invoices_issue_batch")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    assert issued == len(drafts)
    print(f"  {issued:,} invoices issued in {elapsed:.2f} s ({len(batches)} call(s))")
    return issued / elapsed


def check(ctx: dict[str, Any], count: int) -> None:
    from django.db.models import Q, Sum

    from frontoffice.billing.models import Invoice
    from frontoffice.finance.models import JournalEntry, JournalLine
    from frontoffice.finance.services.verify import ledger_verify

    company = ctx["company"]
    numbers = list(
        Invoice.objects.filter(legal_entity=company).order_by("number").values_list("number", flat=True)
    )
    if numbers != list(range(1, count + 1)):
        sys.exit("invoice numbers are not 1..N")
    if Invoice.objects.filter(voucher__isnull=True).exists() or JournalEntry.objects.count() != count:
        sys.exit("not exactly one voucher per invoice")
    report = ledger_verify(legal_entity=company)
    if not report.ok:
        sys.exit("the ledger does not verify: " + "; ".join(str(p) for p in report.problems))
    sums = JournalLine.objects.filter(legal_entity=company, account__number="1510").aggregate(
        debit=Sum("amount", filter=Q(side="D")), credit=Sum("amount", filter=Q(side="C"))
    )
    open_amounts = Invoice.objects.filter(legal_entity=company).aggregate(total=Sum("open_amount"))["total"]
    receivable = Decimal(str(sums["debit"])) - Decimal(str(sums["credit"] or 0))
    if receivable.quantize(Decimal("0.01")) != Decimal(str(open_amounts)).quantize(Decimal("0.01")):
        sys.exit(f"1510 ({receivable}) differs from the open amounts ({open_amounts})")
    print(f"  checked: numbers 1..{count:,}, one voucher each, ledger verifies, 1510 = open amounts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 invoices (< 1 minute)")
    parser.add_argument("--invoices", type=int, help="invoices to issue (default 10,000)")
    parser.add_argument(
        "--batch-size", type=int, help="invoices per invoices_issue_batch call (default: all)"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the issuing")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    count = args.invoices or (1_000 if args.quick else 10_000)

    cleanup = benchdb.prepare_database(BENCH_DATABASE, keep=args.keep)
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        ctx = build_company()
        print(f"{connection.vendor}: issuing {count:,} five-line invoices")
        drafts = build_drafts(ctx, count)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        rate = bench_issue(ctx, drafts, args.batch_size or count, args.profile)
        check(ctx, count)
        print(f"figure billing.issue_batch {rate:.0f} invoices/s")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
