"""Duplicate web-form submissions under real concurrency: four OS processes post the same form
at the same moment (a double click, a retrying browser); exactly one lead is created and every
request gets it back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from frontoffice.finance.tests.test_concurrency import ROOT, child_database_url
from frontoffice.leads.models import Lead

PROCESSES = 4

CHILD = r"""
import sys
import django
django.setup()
from frontoffice.leads.models import LeadSource
from frontoffice.leads.services import lead_create

source = LeadSource.objects.get(web_form_key="tandhalsan-web")
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
lead = lead_create(
    actor=None,
    data={"contact_name": "Anna Andersson", "email": "anna@umeatandvard.example",
          "postal_code": "90326", "message": "We need new chairs."},
    channel="web_form",
    source=source,
)
print(f"lead {lead.pk}", flush=True)
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_identical_submissions_create_one_lead(org, leads):
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DB_CONN_MAX_AGE": "0",
        "TASKS_BACKEND": "immediate",
    }
    children = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", CHILD],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
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
    lead = Lead.objects.get()
    assert {out.strip() for out, _err in outputs} == {f"lead {lead.pk}"}
    assert lead.email == "anna@umeatandvard.example" and lead.channel == "web_form"
