"""Browser fixtures: Debian's Chromium driven by Playwright (its own browser download does
not work offline, so the system binary is launched through ``executable_path``)."""

from __future__ import annotations

import datetime
import os
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from conftest import PASSWORD
from frontoffice.billing.tests.conftest import billing, ledger  # noqa: F401 - fixtures used below

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium package.")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures
    # and the live server's own threads are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, request: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def ledger_removable(org):
    """Let the end-of-test flush empty the ledger on SQLite.

    The immutability triggers refuse to delete posted vouchers row by row, which is how the
    flush empties SQLite tables (PostgreSQL truncates, which fires no row triggers). Set up
    after the database, this runs before the flush: it removes the vouchers with the triggers
    dropped and put back in one transaction. Invoices still point at them until the flush
    deletes the invoices too, so foreign keys are off meanwhile.
    """
    yield
    from django.db import connection, transaction

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN ('finance_journalentry', 'finance_journalline')"
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            for table in ("finance_attachment", "finance_postingrejection", "finance_journalline"):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            cursor.execute("UPDATE finance_journalentry SET reverses_id = NULL")
            cursor.execute("DELETE FROM finance_journalentry")
            for _name, sql in triggers:
                cursor.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = ON")


def login(page: Any, live_server: Any, username: str) -> None:
    """Sign in as one of the personas through the sign-in page (whoever was signed in in this
    browser context before is signed out first)."""
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in|sign in", re.I)).click()
    page.wait_for_selector("[data-testid=nav-main]")


PRICED_CUSTOMER = "Fjällbjörk Tandvård AB"


@pytest.fixture
def priced_customer(billing, org):  # noqa: F811 - the imported billing fixture
    """Rep North's customer (North) with a billing profile (English invoices) and an approved
    price profile "Volym": 12 % off the product group TAND, which holds UND-01 Undersökning
    at SEK 850.00. Its e-mail is info@fjallbjork.example."""
    from frontoffice.billing.services.profiles import billing_profile_create
    from frontoffice.billing.tests.catalogue_factories import make_group, make_product
    from frontoffice.parties.services import party_create
    from frontoffice.pricing.services.profiles import (
        price_profile_create,
        price_profile_submit,
        price_rule_add,
    )

    manager = org.user("finance_manager")
    group = make_group(manager, billing, code="TAND", name="Tandvård")
    checkup = make_product(
        manager, billing, code="UND-01", name="Undersökning", unit_price_amount=Decimal("850.00"), group=group
    )
    party = party_create(
        actor=org.user("rep_north"),
        kind="organisation",
        organisation_name=PRICED_CUSTOMER,
        organisation_number="556812-1239",
        email="info@fjallbjork.example",
        region=org.north,
        owner=org.user("rep_north"),
    )
    billing_profile_create(
        actor=manager,
        party=party,
        legal_name=PRICED_CUSTOMER,
        organisation_number="556812-1239",
        street="Fjällvägen 3",
        postal_code="981 31",
        city="Kiruna",
        billing_email="ekonomi@fjallbjork.example",
        language="en",
    )
    profile = price_profile_create(
        actor=manager, party=party, name="Volym", valid_from=datetime.date(timezone.localdate().year, 1, 1)
    )
    price_rule_add(actor=manager, profile=profile, product_group=group, discount_percent=Decimal("12"))
    price_profile_submit(actor=manager, profile=profile)
    return SimpleNamespace(party=party, checkup=checkup, profile=profile)
