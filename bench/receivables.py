#!/usr/bin/env python
"""Receivables aging over many invoices, DSO, and bank-file import throughput.

Usage (from the repository root):

    .venv/bin/python bench/receivables.py            # 200,000 invoices, 2,000-row bank file
    .venv/bin/python bench/receivables.py --quick    # 20,000 invoices, 500-row bank file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontoffice .venv/bin/python bench/receivables.py

The benchmark never touches real data. On PostgreSQL it creates (and afterwards drops) its own
database ``frontoffice_bench_receivables`` on the server DATABASE_URL names; on SQLite it uses
a file in a temporary directory. It migrates that database and sets up one legal entity with
the BAS chart, the fiscal year 2026 and billing (``ledger_setup``, ``billing_setup``), 5,000
customers in four regions (a sales rep owns an eighth of them) with billing profiles.

The invoices are GENERATED IN SQL (INSERT ... SELECT from a number series, like
``bench/ledger.py`` generates its history): issued over 2026 with due dates 30 days later,
95 % invoices and 5 % credit notes; paid or open by age as in a real ledger (old invoices
paid but 3 %, recent ones 40 % open, a sixth of the open ones half paid), about 14 % open.
Every column of ``billing.Invoice`` gets its model default unless set here, so the script
follows model changes. Generated invoices post NO vouchers (the aging reads invoices only);
``ANALYZE`` runs after loading, as autovacuum would on a live database.

Measures (medians of ``--repeat`` runs after three warm-ups; a fresh user scope each run):

- ``billing.aging_ms``: ``receivables.selectors.aging.receivables_aging`` for the finance
  manager (the whole legal entity) as of 2026-12-31: ONE aggregate query over
  ``Invoice.open_amount``/``due_on`` grouped by customer. Target < 200 ms on PostgreSQL.
- ``receivables.rep_aging_ms``: the same for a sales rep (own customers only).
- ``receivables.dso_ms``: ``days_sales_outstanding`` over 90 days.
- ``receivables.bank_import``: payments/s of ``bank_file_import`` for a CSV file whose rows
  pay open invoices by OCR reference (each row: a payment, an allocation, the invoice's row
  lock and update, one voucher through ``journal_entries_post_batch``).
- ``receivables.aging_all_open_ms``: the worst case, after every invoice is made open.

Printed figures:

    figure billing.aging_ms <ms> ms
    figure receivables.aging_queries <n> queries
    figure receivables.rep_aging_ms <ms> ms
    figure receivables.dso_ms <ms> ms
    figure receivables.bank_import <n> payments/s
    figure receivables.aging_all_open_ms <ms> ms
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import benchdb  # bench/benchdb.py: the scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "frontoffice_bench_receivables"
YEAR_START = datetime.date(2026, 1, 1)
AS_OF = datetime.date(2026, 12, 31)
CUSTOMERS = 5_000
GENERATE_CHUNK = 100_000
REGIONS = ["norr", "mitt", "vast", "syd"]


def setup_django() -> None:
    benchdb.production_like_environment()
    import django
    from django.conf import settings

    django.setup()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ---------------------------------------------------------------------- data


def build_company() -> dict[str, Any]:
    from frontoffice.billing.services.setup import billing_setup
    from frontoffice.finance.services.chart import ledger_setup
    from frontoffice.org.models import LegalEntity, Organisation, Region, Role, Staff, User

    organisation = Organisation.objects.create(name="Bench Group")
    company = LegalEntity.objects.create(
        organisation=organisation,
        name="Bench Tandvård AB",
        organisation_number="559218-3411",
        vat_number="SE559218341101",
    )
    regions = [Region.objects.create(legal_entity=company, name=code.title(), code=code) for code in REGIONS]
    roles = {r.code: r for r in Role.objects.all()}

    def person(username: str, role: str, region: Any = None) -> Any:
        user = User.objects.create_user(username=username, email=f"{username}@bench.local", password="x")
        Staff.objects.create(user=user, legal_entity=company, role=roles[role], home_region=region)
        return user

    cfo = person("cfo", "finance_manager")
    clerk = person("clerk", "accounts_clerk")
    rep = person("rep", "sales_rep", regions[0])
    ledger_setup(actor=cfo, legal_entity=company, first_year_start=YEAR_START)
    billing_setup(actor=cfo, legal_entity=company)
    return {"company": company, "cfo": cfo, "clerk": clerk, "rep": rep, "regions": regions}


def build_customers(ctx: dict[str, Any]) -> None:
    """5,000 organisations with billing profiles; the rep owns every eighth (in their region)."""
    from frontoffice.billing.models import BillingProfile
    from frontoffice.parties.models import Party

    company, regions, rep = ctx["company"], ctx["regions"], ctx["rep"]
    parties = []
    for i in range(CUSTOMERS):
        name = f"Kund {i:05d} AB"
        owned = i % 8 == 0
        parties.append(
            Party(
                kind=Party.Kind.ORGANISATION,
                organisation_name=name,
                display_name=name,
                search_text=name.lower(),
                legal_entity=company,
                region=regions[0] if owned else regions[i % len(regions)],
                owner=rep if owned else None,
            )
        )
    Party.objects.bulk_create(parties, batch_size=2000)
    parties = list(Party.objects.filter(legal_entity=company).order_by("pk"))
    BillingProfile.objects.bulk_create(
        [
            BillingProfile(
                legal_entity=company,
                party=p,
                legal_name=p.display_name,
                street="Storgatan 1",
                postal_code="903 26",
                city="Umeå",
            )
            for p in parties
        ],
        batch_size=2000,
    )
    profiles = dict(BillingProfile.objects.filter(legal_entity=company).values_list("party_id", "pk"))
    ctx["customer_rows"] = [(k, p.pk, profiles[p.pk]) for k, p in enumerate(parties)]


def _literal(connection: Any, value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if connection.vendor == "postgresql" else str(int(value))
    if isinstance(value, int | Decimal):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def generate_invoices(ctx: dict[str, Any], count: int) -> None:
    """``count`` issued invoices and credit notes in SQL; see the module docstring."""
    from django.db import connection, transaction

    from frontoffice.billing.models import Invoice, InvoiceSeries

    company = ctx["company"]
    series = InvoiceSeries.objects.get(legal_entity=company, code="F")
    postgres = connection.vendor == "postgresql"
    customers = len(ctx["customer_rows"])
    day = "(g.n %% 330)"
    if postgres:
        numbers = "generate_series(%s, %s) AS g(n)"
        issue = f"(DATE '{YEAR_START.isoformat()}' + {day})"
        due = f"(DATE '{YEAR_START.isoformat()}' + {day} + 30)"
        money = "::numeric(14,2)"
        now = "now()"
    else:
        numbers = "(WITH RECURSIVE s(n) AS (SELECT %s UNION ALL SELECT n + 1 FROM s WHERE n < %s) SELECT n FROM s) AS g"
        issue = f"date('{YEAR_START.isoformat()}', '+' || {day} || ' days')"
        due = f"date('{YEAR_START.isoformat()}', '+' || ({day} + 30) || ' days')"
        money = ""
        now = "CURRENT_TIMESTAMP"
    # Amounts from the number: total 125.00-12,624.75 incl. 25 % VAT; every 20th a credit note.
    net = f"((((g.n %% 9973) * 37) %% 10000) + 100){money}"
    vat = f"((((g.n %% 9973) * 37) %% 10000) + 100) * 0.25{money}"
    total = f"((((g.n %% 9973) * 37) %% 10000) + 100) * 1.25{money}"
    credit = "(g.n %% 20 = 0)"
    # Paid or open by age, like a real ledger: r is a pseudo-random percentile of the number;
    # invoices due more than 60 days before 2026-12-31 are paid but 3 %, those due in the last
    # 60 days 60 %, those not yet due 20 %; a sixth of the open ones is half paid. Credit notes
    # stay open (negative). About 14 % of the rows end up open.
    age = f"(334 - {day})"
    r = "((g.n * 7919) %% 100)"
    paid = (
        f"(NOT {credit} AND (({age} > 60 AND {r} < 97) OR ({age} BETWEEN 0 AND 60 AND {r} < 60) "
        f"OR ({age} < 0 AND {r} < 20)))"
    )
    open_ = (
        f"CASE WHEN {credit} THEN -{total} WHEN {paid} THEN 0{money} "
        f"WHEN g.n %% 6 = 1 THEN ROUND({total} / 2, 2){money} ELSE {total} END"
    )
    special = {
        "legal_entity": str(company.pk),
        "kind": f"CASE WHEN {credit} THEN 'credit_note' ELSE 'invoice' END",
        "status": f"CASE WHEN {paid} THEN 'paid' ELSE 'issued' END",
        "party": "c.party_id",
        "profile": "c.profile_id",
        "series": str(series.pk),
        "year": "2026",
        "number": "g.n",
        "issue_on": issue,
        "delivery_on": issue,
        "due_on": due,
        "buyer_name": "'Kund AB'",
        "net_amount": net,
        "vat_amount": vat,
        "total_amount": total,
        "open_amount": open_,
        "created_at": now,
        "updated_at": now,
        "issued_at": now,
    }
    columns, values = [], []
    for field in Invoice._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in special:
            values.append(special[field.name])
        elif field.null:
            values.append("NULL")
        elif field.get_default() is not None:  # the model default ("" for text without one)
            values.append(_literal(connection, field.get_default()).replace("%", "%%"))
        else:
            raise SystemExit(f"billing.Invoice.{field.name} needs a value in bench/receivables.py")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_customer (k integer PRIMARY KEY, party_id bigint, profile_id bigint)"
        )
        cursor.executemany("INSERT INTO bench_customer VALUES (%s, %s, %s)", ctx["customer_rows"])
        if postgres:
            cursor.execute("SET session_replication_role = replica")  # no per-row FK triggers
        done = 0
        while done < count:
            chunk = min(GENERATE_CHUNK, count - done)
            with transaction.atomic():
                cursor.execute(
                    f"INSERT INTO billing_invoice ({', '.join(columns)}) SELECT {', '.join(values)} "  # noqa: S608 - constants only
                    f"FROM {numbers} JOIN bench_customer c ON c.k = (g.n %% {customers})",
                    [done + 1, done + chunk],
                )
            done += chunk
            print(f"  generated {done:,} invoices", end="\r", flush=True)
        if postgres:
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("DROP TABLE bench_customer")
    vacuum()
    print()
    print(f"{connection.vendor}: {count:,} invoices generated in {time.perf_counter() - started:.1f} s")


def vacuum() -> None:
    """What autovacuum does on a live database: statistics, and on PostgreSQL the visibility
    map that lets the aging read its partial index without visiting the table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE billing_invoice" if connection.vendor == "postgresql" else "ANALYZE")


def open_everything(ctx: dict[str, Any]) -> int:
    """The worst case: every generated invoice issued and wholly open."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_invoice SET status = 'issued', "
            "open_amount = CASE WHEN kind = 'credit_note' THEN -total_amount ELSE total_amount END "
            "WHERE legal_entity_id = %s",
            [ctx["company"].pk],
        )
        updated = cursor.rowcount
    vacuum()
    return updated


# ---------------------------------------------------------------------- measures


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def aging_runner(user: Any, company: Any) -> Callable[[], Any]:
    from frontoffice.core.scoping import forget_scope
    from frontoffice.receivables.selectors.aging import receivables_aging

    def run() -> Any:
        forget_scope(user)  # a new request computes the user's scope again
        return receivables_aging(user=user, legal_entity=company, as_of=AS_OF)

    return run


def dso_runner(user: Any, company: Any) -> Callable[[], Any]:
    from frontoffice.core.scoping import forget_scope
    from frontoffice.receivables.selectors.aging import days_sales_outstanding

    def run() -> Any:
        forget_scope(user)
        return days_sales_outstanding(user=user, legal_entity=company, as_of=AS_OF, days=90)

    return run


def aging_queries(user: Any, company: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from frontoffice.core.scoping import user_scope
    from frontoffice.receivables.selectors.aging import receivables_aging

    user_scope(user)
    with CaptureQueriesContext(connection) as captured:
        receivables_aging(user=user, legal_entity=company, as_of=AS_OF)
    return len(captured.captured_queries)


def bench_bank_import(ctx: dict[str, Any], rows: int) -> float:
    """A CSV file paying ``rows`` open invoices by OCR reference, imported in one call."""
    from frontoffice.billing.models import Invoice
    from frontoffice.billing.services.ocr import invoice_payment_reference
    from frontoffice.receivables.bankfile import Mapping
    from frontoffice.receivables.services.bank_import import bank_file_import

    company = ctx["company"]
    invoices = list(
        Invoice.objects.filter(legal_entity=company, kind="invoice", status="issued", open_amount__gt=0)
        .order_by("number")
        .only("pk", "series_id", "year", "number", "open_amount")[:rows]
    )
    for invoice in invoices:
        invoice.payment_reference = invoice_payment_reference(
            series_id=invoice.series_id, year=invoice.year, number=invoice.number
        )
    Invoice.objects.bulk_update(invoices, ["payment_reference"], batch_size=1000)
    lines = ["Bokföringsdag;Belopp;Referens;Avsändare"]
    for n, invoice in enumerate(invoices):
        amount = f"{invoice.open_amount:.2f}".replace(".", ",")
        lines.append(f"2026-12-{1 + n % 28:02d};{amount};{invoice.payment_reference};Kund {n} AB")
    data = ("\n".join(lines) + "\n").encode("cp1252")
    mapping = Mapping(date="Bokföringsdag", amount="Belopp", reference="Referens", payer="Avsändare")
    started = time.perf_counter()
    result = bank_file_import(
        actor=ctx["clerk"], legal_entity=company, data=data, file_name="bench.csv", mapping=mapping
    )
    elapsed = time.perf_counter() - started
    if result.matched_count != len(invoices):
        sys.exit(f"bank import matched {result.matched_count} of {len(invoices)} rows")
    return len(invoices) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 invoices, a 500-row bank file")
    parser.add_argument("--invoices", type=int, help="generated invoices (default 200,000)")
    parser.add_argument("--import-rows", type=int, help="rows of the imported bank file (default 2,000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per measure (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    count = args.invoices or (20_000 if args.quick else 200_000)
    import_rows = args.import_rows or (500 if args.quick else 2_000)

    cleanup = benchdb.prepare_database(BENCH_DATABASE, keep=args.keep)
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        ctx = build_company()
        build_customers(ctx)
        generate_invoices(ctx, count)
        company = ctx["company"]
        report = aging_runner(ctx["cfo"], company)()
        print(
            f"{connection.vendor}: aging over {count:,} invoices: {report.totals.count:,} open items of "
            f"{len(report.rows):,} customers, total open {report.totals.total:,.2f}"
        )
        print(f"figure billing.aging_ms {median_ms(aging_runner(ctx['cfo'], company), args.repeat):.1f} ms")
        print(f"figure receivables.aging_queries {aging_queries(ctx['cfo'], company)} queries")
        print(
            f"figure receivables.rep_aging_ms {median_ms(aging_runner(ctx['rep'], company), args.repeat):.1f} ms"
        )
        print(f"figure receivables.dso_ms {median_ms(dso_runner(ctx['cfo'], company), args.repeat):.1f} ms")
        rate = bench_bank_import(ctx, import_rows)
        print(f"figure receivables.bank_import {rate:.0f} payments/s")
        opened = open_everything(ctx)
        print(f"worst case: all {opened:,} invoices open")
        print(
            f"figure receivables.aging_all_open_ms {median_ms(aging_runner(ctx['cfo'], company), args.repeat):.1f} ms"
        )
    finally:
        cleanup()


if __name__ == "__main__":
    main()
