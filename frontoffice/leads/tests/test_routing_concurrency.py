"""Round-robin under real concurrency: six OS processes create leads for one region at once;
the locked cursor row keeps every rep's count within one of the others."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from frontoffice.finance.tests.test_concurrency import ROOT, child_database_url
from frontoffice.leads.models import Lead, RoutingCursor
from frontoffice.leads.tests.conftest import make_rep

PROCESSES = 6
PER_PROCESS = 10

CHILD = r"""
import sys
import django
django.setup()
from frontoffice.leads.models import LeadSource
from frontoffice.leads.services import lead_create

worker, count = int(sys.argv[1]), int(sys.argv[2])
source = LeadSource.objects.get(web_form_key="tandhalsan-web")
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
for n in range(count):
    lead_create(
        actor=None,
        data={"contact_name": f"W{worker} N{n}", "email": f"w{worker}n{n}@x.example", "postal_code": "90326",
              "message": f"{worker}-{n}"},
        channel="web_form",
        source=source,
    )
print("done", flush=True)
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_intake_keeps_round_robin_fair(org, leads):
    make_rep(org, "rep_north3", org.north)
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DB_CONN_MAX_AGE": "0",
        "TASKS_BACKEND": "immediate",
    }
    children = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", CHILD, str(worker), str(PER_PROCESS)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(PROCESSES)
    ]
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
    assert [c.returncode for c in children] == [0] * PROCESSES, [err for _out, err in outputs]
    total = PROCESSES * PER_PROCESS
    assert Lead.objects.filter(region=org.north).count() == total
    counts = Counter(Lead.objects.values_list("owner_id", flat=True))
    assert len(counts) == 3
    assert max(counts.values()) - min(counts.values()) <= 1
    assert RoutingCursor.objects.get(region=org.north).assigned_count == total
