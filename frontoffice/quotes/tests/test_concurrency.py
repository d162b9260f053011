"""Gapless quote numbers under real concurrency: eight OS processes create quotes at once.

Each child is its own interpreter with its own connection to the TEST database, so only the
locked ``QuoteCounter`` row keeps the numbers gapless. Every fourth attempt has a bad line and
is rolled back: its number must be taken again by the next quote, never lost."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from frontoffice.finance.tests.test_concurrency import ROOT, child_database_url
from frontoffice.quotes.models import Quote, QuoteCounter

PROCESSES = 8
PER_PROCESS = 10

CHILD = r"""
import sys
import django
django.setup()
from django.core.exceptions import ValidationError
from frontoffice.org.models import User
from frontoffice.parties.models import Party
from frontoffice.quotes.services import quote_create

party_id, product_id, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
user = User.objects.get(username="rep_north")
party = Party.objects.get(pk=party_id)
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
made = 0
for n in range(count):
    if n % 4 == 3:
        try:
            quote_create(actor=user, party=party, lines=[{"product": product_id, "quantity": "-1"}])
        except ValidationError:
            pass
        else:
            raise SystemExit("a quote with a bad line was made")
    quote_create(actor=user, party=party, lines=[{"product": product_id, "quantity": "1"}])
    made += 1
print(f"made {made}", flush=True)
"""


def start(party_id: int, product_id: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DB_CONN_MAX_AGE": "0",
        "TASKS_BACKEND": "immediate",
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, str(party_id), str(product_id), str(PER_PROCESS)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_processes_creating_quotes_at_once_get_gapless_numbers(org, world):
    """8 processes create 10 quotes each (with rolled-back attempts in between), all at once:
    the numbers are exactly 1..80 and the counter stands at 81."""
    children = [start(world.north.pk, world.catalogue.exam.pk) for _ in range(PROCESSES)]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=180) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    assert [child.returncode for child in children] == [0] * PROCESSES, [err for _out, err in outputs]
    assert [out.strip() for out, _err in outputs] == [f"made {PER_PROCESS}"] * PROCESSES
    expected = PROCESSES * PER_PROCESS
    numbers = list(Quote.objects.filter(year=2026).order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, expected + 1))
    assert QuoteCounter.objects.get(legal_entity=org.company, year=2026).next_number == expected + 1
    assert all(q.lines.count() == 1 for q in Quote.objects.all())
