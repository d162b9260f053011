#!/usr/bin/env python
"""Ledger posting throughput and report latency over a large ledger.

Usage (from the repository root):

    .venv/bin/python bench/ledger.py            # 10,000,000 voucher lines for the reports
    .venv/bin/python bench/ledger.py --quick    # 200,000 lines, fewer postings (< 1 minute)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontoffice .venv/bin/python bench/ledger.py

The benchmark never touches real data. On PostgreSQL it creates (and afterwards drops) its own
database ``frontoffice_bench_ledger`` on the server DATABASE_URL names; on SQLite it uses a
file in a temporary directory. It migrates that database and sets up one legal entity with
the BAS chart and the fiscal year 2026 through ``services.chart.ledger_setup``.

Measures:

- ``ledger.post_batch``: 3-line vouchers (bank / sales / output VAT) in batches of 1,000
  through ``journal_entries_post_batch``, with every posting standard checked (the
  supporting-document and four-eyes limits are set, above the amounts posted);
- ``ledger.post_single``: ``journal_entry_post``, one voucher and one transaction per call,
  as another app calls it (no shared context between calls), and the statements one call
  runs (``ledger.post_single_queries``, the query count Django records);
- ``ledger.commit_ms``: one trivial INSERT and COMMIT on the bench database, the floor of a
  single posting; it varies with what else the machine writes (other test databases being
  created, checkpoints), so compare posting figures taken at similar values;
- ``ledger.trial_balance_ms`` and ``ledger.balance_sheet_ms``: the report selectors
  (``frontoffice.finance.selectors.reports``) for the whole fiscal year over a ledger of
  ``--lines`` voucher lines; until those selectors exist, the equivalent aggregate over
  ``AccountBalance`` is timed instead (the script says which). Median of ``--repeat`` runs.

The bulk of the report ledger is GENERATED IN SQL (INSERT ... SELECT from a number series)
into a series of its own ("H", history), not posted through the service: numbers are gapless
and every voucher balances, but the HASHES OF GENERATED ROWS ARE NOT COMPUTED (empty), so
``frontoffice ledger verify`` reports that series as broken in the bench database. Account
balances are then set by one aggregate SQL statement over all posted lines, so they equal the
sum of lines exactly as the posting service would have kept them.

Printed figures:

    figure ledger.post_batch <n> vouchers/s
    figure ledger.post_single <n> vouchers/s
    figure ledger.post_single_queries <n> queries
    figure ledger.commit_ms <ms> ms
    figure ledger.trial_balance_ms <ms> ms
    figure ledger.balance_sheet_ms <ms> ms

Where the time goes on PostgreSQL (``--profile``, and docs/finance.md, "How a posting reaches
the database"): a single posting is two statements, the context as one JSON query and one
data-modifying statement (counter, voucher, lines, audit entry, balances), both prepared; its
cost is mostly the server inserting into tables with many indexes, the deferred foreign-key
checks at commit and the commit itself, then psycopg. A batch is server-bound: Python checks and
hashes one chunk while the server writes the previous one (pipeline mode).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import inspect
import pstats
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

BENCH_DATABASE = "frontoffice_bench_ledger"
YEAR_START = datetime.date(2026, 1, 1)
YEAR_END = datetime.date(2026, 12, 31)
BATCH_SIZE = 1000
LINES_PER_GENERATED_VOUCHER = 4
GENERATE_CHUNK = 250_000  # generated vouchers per INSERT statement
# Accounts the generated history posts to: (debit account, credit account) pairs.
GENERATED_PAIRS = [
    ("1930", "3001"),
    ("4010", "1930"),
    ("5010", "1930"),
    ("1910", "3002"),
    ("6212", "1930"),
    ("7010", "1930"),
    ("7510", "1930"),
    ("1930", "3003"),
    ("1930", "3004"),
    ("1930", "2081"),
]


# ---------------------------------------------------------------------- database set-up


def prepare_database(args: argparse.Namespace) -> Callable[[], None]:
    """Point the settings at a database of the benchmark's own; return its clean-up."""
    return benchdb.prepare_database(BENCH_DATABASE, keep=args.keep)


def setup_django() -> None:
    # Production-like: no DEBUG (no query log), immediate tasks, quiet logging.
    benchdb.production_like_environment()
    import django
    from django.conf import settings

    django.setup()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ---------------------------------------------------------------------- data


def build_ledger() -> dict[str, Any]:
    from frontoffice.finance.models import PostingStandards
    from frontoffice.finance.services.chart import ledger_setup
    from frontoffice.finance.services.periods import voucher_series_create
    from frontoffice.org.models import LegalEntity, Organisation, Role, Staff, User

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

    cfo = person("cfo", "finance_manager")
    clerk = person("clerk", "accounts_clerk")
    ledger_setup(actor=cfo, legal_entity=company, first_year_start=YEAR_START)
    # Every standard is checked on every voucher: limits exist, above the amounts posted.
    PostingStandards.objects.filter(legal_entity=company).update(
        four_eyes_threshold_amount=Decimal("1000000.00"), attachment_threshold_amount=Decimal("1000000.00")
    )
    voucher_series_create(actor=cfo, legal_entity=company, code="H", name="Bench history", is_manual=False)
    return {"company": company, "cfo": cfo, "clerk": clerk}


def sale(n: int, series: str) -> Any:
    """A 3-line sales voucher: bank debit, sales and output VAT credits (25 % VAT)."""
    from frontoffice.finance.services.posting import EntryInput, LineInput

    net = Decimal(100 + n % 9000) + Decimal(n % 100) / 100
    vat = (net / 4).quantize(Decimal("0.01"))
    day = YEAR_START + datetime.timedelta(days=n % 365)
    return EntryInput(
        series=series,
        date=day,
        text=f"Invoice {n}",
        lines=[
            LineInput(account="1930", debit=net + vat),
            LineInput(account="3001", credit=net),
            LineInput(account="2611", credit=vat),
        ],
    )


# ---------------------------------------------------------------------- posting


def bench_batch(ctx: dict[str, Any], vouchers: int, profile: bool) -> float:
    from frontoffice.finance.services.posting import journal_entries_post_batch

    clerk, company = ctx["clerk"], ctx["company"]
    batches = [
        [sale(b * BATCH_SIZE + i, "F") for i in range(BATCH_SIZE)] for b in range(vouchers // BATCH_SIZE)
    ]
    journal_entries_post_batch(
        actor=clerk, legal_entity=company, entries=[sale(10**7 + i, "F") for i in range(50)]
    )
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    for batch in batches:
        posted = journal_entries_post_batch(actor=clerk, legal_entity=company, entries=batch)
        assert len(posted) == BATCH_SIZE
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler:
        print("--- profile: journal_entries_post_batch")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return len(batches) * BATCH_SIZE / elapsed


def commit_ms(repeat: int = 200) -> float:
    """Median time of one INSERT and COMMIT of a one-row temporary table (fsync included)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_commit (id integer)")
        times = []
        for n in range(repeat):
            started = time.perf_counter()
            cursor.execute("INSERT INTO bench_commit VALUES (%s)", [n])  # autocommit: one transaction
            times.append((time.perf_counter() - started) * 1000)
        cursor.execute("DROP TABLE bench_commit")
    return statistics.median(times)


def bench_single(ctx: dict[str, Any], vouchers: int, profile: bool) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from frontoffice.finance.services.posting import journal_entry_post

    clerk, company = ctx["clerk"], ctx["company"]
    for i in range(20):  # warm-up: permission and scope caches, prepared plans
        journal_entry_post(actor=clerk, legal_entity=company, entry=sale(2 * 10**7 + i, "B"))
    with CaptureQueriesContext(connection) as captured:
        journal_entry_post(actor=clerk, legal_entity=company, entry=sale(3 * 10**7, "B"))
    entries = [sale(i, "B") for i in range(vouchers)]
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    for entry in entries:
        journal_entry_post(actor=clerk, legal_entity=company, entry=entry)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler:
        print("--- profile: journal_entry_post")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return vouchers / elapsed, len(captured.captured_queries)


# ---------------------------------------------------------------------- generated history


def generate_history(
    ctx: dict[str, Any],
    lines: int,
    *,
    series: str = "H",
    start: datetime.date = YEAR_START,
    days: int = 365,
    posters: list[int] | None = None,
    rejection_counts: tuple[int, ...] = (0,),
) -> int:
    """``lines`` voucher lines in ``series``, generated in SQL (hashes NOT computed, see above).

    The vouchers fall on the ``days`` days from ``start``; each fiscal year of the legal entity
    (``ctx["company"]``) in that range gets its share of them, numbered 1, 2, ... without gaps
    in that year (numbers are per series and fiscal year), so every day of the range must lie
    in a fiscal year. Voucher ``n`` of a year is dated ``n % (days of the range in that year)``
    days after the range's first day in it, posted and created by ``posters[n % len(posters)]``
    (default ``ctx["cfo"]``) with ``rejection_counts[n % len(...)]`` rejections. The series
    must exist with a counter per fiscal year (``voucher_series_create``). Account balances
    are rebuilt and the whole database analysed at the end. Returns the lines generated.
    """
    from django.db import connection, transaction

    from frontoffice.finance.models import FiscalYear, LedgerAccount, SeriesCounter, VoucherSeries

    company = ctx["company"]
    voucher_series = VoucherSeries.objects.get(legal_entity=company, code=series)
    accounts = dict(LedgerAccount.objects.filter(legal_entity=company).values_list("number", "id"))
    postgres = connection.vendor == "postgresql"
    now = "now()" if postgres else "CURRENT_TIMESTAMP"

    def pick(ids: list[int] | tuple[int, ...], index: str) -> str:
        """SQL choosing ``ids[index % len(ids)]``."""
        if len(ids) == 1:
            return str(ids[0])
        listed = ",".join(str(i) for i in ids)
        if postgres:
            return f"(ARRAY[{listed}])[1 + ({index}) %% {len(ids)}]"
        return f"(SELECT value FROM json_each('[{listed}]') WHERE key = ({index}) %% {len(ids)})"  # noqa: S608 - ids only

    debit = pick([accounts[d] for d, _c in GENERATED_PAIRS], "e.number + k.k")
    credit = pick([accounts[c] for _d, c in GENERATED_PAIRS], "e.number + k.k")
    poster = pick(posters or [ctx["cfo"].pk], "g.n")
    rejections = pick(rejection_counts, "g.n")
    # The voucher's two amounts, from its number g.n.
    first = "((((g.n %% 100000) * 7919) %% 100000) / 100.0 + 1)"
    second = "((((g.n %% 50000) * 1543) %% 50000) / 100.0 + 1)"
    if postgres:
        numbers = "generate_series(%s, %s) AS g(n)"
        money = "::numeric(14,2)"
    else:
        numbers = "(WITH RECURSIVE s(n) AS (SELECT %s UNION ALL SELECT n + 1 FROM s WHERE n < %s) SELECT n FROM s) AS g"
        money = ""
    # Each fiscal year's part of the range: (year, first day, days, vouchers); the vouchers are
    # shared out by days, cumulatively, so the parts add up to the total exactly.
    vouchers = lines // LINES_PER_GENERATED_VOUCHER
    last = start + datetime.timedelta(days=days - 1)
    parts, covered = [], 0
    for year in FiscalYear.objects.filter(
        legal_entity=company, start_on__lte=last, end_on__gte=start
    ).order_by("start_on"):
        low_day, high_day = max(start, year.start_on), min(last, year.end_on)
        year_days = (high_day - low_day).days + 1
        parts.append(
            (year, low_day, year_days, vouchers * (covered + year_days) // days - vouchers * covered // days)
        )
        covered += year_days
    if covered != days:
        raise ValueError(f"{days - covered} days from {start} on are in no fiscal year of {company}")
    started = time.perf_counter()
    done = 0
    with connection.cursor() as cursor:
        if postgres:
            # Bulk load without per-row foreign-key triggers (the rows are consistent by
            # construction); the session setting ends with the connection.
            cursor.execute("SET session_replication_role = replica")
        for year, low_day, year_days, year_vouchers in parts:
            day = f"(g.n %% {year_days})"
            if postgres:
                date = f"(DATE '{low_day.isoformat()}' + {day})"
            else:
                date = f"date('{low_day.isoformat()}', '+' || {day} || ' days')"
            numbered = 0
            while numbered < year_vouchers:
                count = min(GENERATE_CHUNK, year_vouchers - numbered)
                low, high = numbered + 1, numbered + count
                with transaction.atomic():
                    cursor.execute(
                        f"""
                        INSERT INTO finance_journalentry (
                            legal_entity_id, series_id, fiscal_year_id, period_id, number, date, text, status,
                            total_amount, source_id, created_at, posted_at, created_by_id, posted_by_id,
                            rejection_count, previous_hash, hash
                        )
                        SELECT %s, %s, p.fiscal_year_id, p.id, g.n, {date}, 'Generated ' || g.n, 'posted',
                            ({first}{money} + {second}{money}){money}, '', {now}, {now}, {poster}, {poster},
                            {rejections}, '', ''
                        FROM {numbers}
                        JOIN finance_period p ON p.fiscal_year_id = %s AND p.number > 0
                            AND {date} BETWEEN p.start_on AND p.end_on
                        """,  # noqa: S608 - built from this script's constants only
                        [company.pk, voucher_series.pk, low, high, year.pk],
                    )
                    cursor.execute(
                        f"""
                        INSERT INTO finance_journalline (
                            entry_id, line_no, account_id, side, amount, text, legal_entity_id, date, period_id
                        )
                        SELECT e.id, k.k,
                            CASE WHEN k.k %% 2 = 1 THEN {debit} ELSE {credit} END,
                            CASE WHEN k.k %% 2 = 1 THEN 'D' ELSE 'C' END,
                            CASE WHEN k.k <= 2 THEN {first.replace("g.n", "e.number")}{money}
                                 ELSE {second.replace("g.n", "e.number")}{money} END,
                            '', e.legal_entity_id, e.date, e.period_id
                        FROM finance_journalentry e
                        CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) k
                        WHERE e.series_id = %s AND e.fiscal_year_id = %s AND e.number BETWEEN %s AND %s
                        """,  # noqa: S608 - built from this script's constants only
                        [voucher_series.pk, year.pk, low, high],
                    )
                numbered += count
                done += count
                print(f"  generated {done * LINES_PER_GENERATED_VOUCHER:,} lines", end="\r", flush=True)
            SeriesCounter.objects.filter(series=voucher_series, fiscal_year=year).update(
                next_number=year_vouchers + 1
            )
        if postgres:
            cursor.execute("SET session_replication_role = DEFAULT")
    print()
    rebuild_balances(company.pk)
    analyze()
    print(
        f"{connection.vendor}: {done * LINES_PER_GENERATED_VOUCHER:,} lines generated "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return done * LINES_PER_GENERATED_VOUCHER


def rebuild_balances(legal_entity_id: int) -> None:
    """Every AccountBalance of the legal entity from its posted lines, in one statement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO finance_accountbalance (legal_entity_id, account_id, period_id, debit_amount, credit_amount)
            SELECT l.legal_entity_id, l.account_id, l.period_id,
                COALESCE(SUM(CASE WHEN l.side = 'D' THEN l.amount END), 0),
                COALESCE(SUM(CASE WHEN l.side = 'C' THEN l.amount END), 0)
            FROM finance_journalline l JOIN finance_journalentry e ON e.id = l.entry_id
            WHERE e.status = 'posted' AND l.legal_entity_id = %s
            GROUP BY l.legal_entity_id, l.account_id, l.period_id
            ON CONFLICT (account_id, period_id) DO UPDATE
                SET debit_amount = excluded.debit_amount, credit_amount = excluded.credit_amount
            """,
            [legal_entity_id],
        )


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# ---------------------------------------------------------------------- reports


def report_callables(ctx: dict[str, Any]) -> tuple[str, Callable[[], Any], Callable[[], Any]]:
    """The trial balance and balance sheet as the app computes them (selectors, if present)."""
    try:
        from frontoffice.finance.selectors import reports
    except ImportError:
        reports = None
    user, company = ctx["cfo"], ctx["company"]
    if reports is not None and hasattr(reports, "trial_balance") and hasattr(reports, "balance_sheet"):

        def call(function: Callable[..., Any]) -> Callable[[], Any]:
            offered = {"user": user, "legal_entity": company, "start": YEAR_START, "end": YEAR_END}
            offered |= {"on": YEAR_END, "date": YEAR_END, "at": YEAR_END}
            names = inspect.signature(function).parameters
            kwargs = {k: v for k, v in offered.items() if k in names}

            def run() -> Any:
                from frontoffice.core.scoping import forget_scope

                forget_scope(user)
                result = function(**kwargs)
                if hasattr(result, "__iter__") and not isinstance(result, dict | str):
                    result = list(result)
                return result

            return run

        return "selectors", call(reports.trial_balance), call(reports.balance_sheet)
    return "AccountBalance aggregate", lambda: trial_balance_sql(company), lambda: balance_sheet_sql(company)


def trial_balance_sql(company: Any) -> list[dict[str, Any]]:
    """Per account: opening balance, the year's debits and credits (what the selector computes)."""
    from django.db.models import Q, Sum

    from frontoffice.finance.models import AccountBalance

    return list(
        AccountBalance.objects.filter(
            legal_entity=company, period__start_on__gte=YEAR_START, period__end_on__lte=YEAR_END
        )
        .values("account__number", "account__name_sv", "account__type")
        .annotate(
            opening=Sum("debit_amount", filter=Q(period__number=0))
            - Sum("credit_amount", filter=Q(period__number=0)),
            debit=Sum("debit_amount", filter=Q(period__number__gt=0)),
            credit=Sum("credit_amount", filter=Q(period__number__gt=0)),
        )
        .order_by("account__number")
    )


def balance_sheet_sql(company: Any) -> dict[str, Any]:
    """Balance-sheet accounts through the end date, plus the year's result from income/expense."""
    from django.db.models import F, Sum

    from frontoffice.finance.models import AccountBalance

    rows = list(
        AccountBalance.objects.filter(legal_entity=company, period__end_on__lte=YEAR_END)
        .values("account__number", "account__type")
        .annotate(balance=Sum(F("debit_amount") - F("credit_amount")))
        .order_by("account__number")
    )
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row["account__type"]] = totals.get(row["account__type"], Decimal(0)) + Decimal(row["balance"])
    return {"rows": rows, "totals": totals}


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200,000 lines and fewer postings (< 1 minute)")
    parser.add_argument("--lines", type=int, help="voucher lines in the report ledger (overrides --quick)")
    parser.add_argument("--batch-vouchers", type=int, help="vouchers posted in batches (default 20,000)")
    parser.add_argument("--single-vouchers", type=int, help="vouchers posted one by one (default 3,000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed report runs (default 20)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the posting runs")
    parser.add_argument("--skip-reports", action="store_true", help="only measure posting")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    lines = args.lines or (200_000 if args.quick else 10_000_000)
    batch_vouchers = args.batch_vouchers or (5_000 if args.quick else 20_000)
    single_vouchers = args.single_vouchers or (1_000 if args.quick else 3_000)

    cleanup = prepare_database(args)
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        ctx = build_ledger()
        print(
            f"{connection.vendor}: posting {batch_vouchers:,} vouchers in batches, {single_vouchers:,} singly"
        )
        batch_rate = bench_batch(ctx, batch_vouchers, args.profile)
        commit = commit_ms()
        single_rate, single_queries = bench_single(ctx, single_vouchers, args.profile)

        from frontoffice.finance.services.verify import ledger_verify

        report = ledger_verify(legal_entity=ctx["company"])
        if not report.ok:
            sys.exit("the posted vouchers do not verify: " + "; ".join(str(p) for p in report.problems))
        print(
            f"posted vouchers verify: {report.vouchers_checked:,} vouchers, {report.balances_checked} balances"
        )

        print(f"figure ledger.post_batch {batch_rate:.0f} vouchers/s")
        print(f"figure ledger.post_single {single_rate:.0f} vouchers/s")
        print(f"figure ledger.post_single_queries {single_queries} queries")
        print(f"figure ledger.commit_ms {commit:.2f} ms")
        if args.skip_reports:
            return
        generate_history(ctx, lines)
        mode, trial_balance, balance_sheet = report_callables(ctx)
        print(f"reports measured through the {mode}")
        print(f"figure ledger.trial_balance_ms {median_ms(trial_balance, args.repeat):.1f} ms")
        print(f"figure ledger.balance_sheet_ms {median_ms(balance_sheet, args.repeat):.1f} ms")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
