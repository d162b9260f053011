"""Two bookings at once cannot both win: processes book overlapping meetings for one rep at the
same moment (PostgreSQL only; each child has its own interpreter and connection)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from frontoffice.activities.models import Meeting
from frontoffice.finance.tests.test_concurrency import ROOT, child_database_url

WRITERS = 4

# Waits for "go", then books 10:00-11:00 (shifted by a few minutes per writer, so every pair
# overlaps) for rep_north with the given customer; prints "won" or "conflict".
CHILD = r"""
import sys, datetime, zoneinfo
import django
django.setup()
from django.core.exceptions import ValidationError
from frontoffice.activities.services.meetings import meeting_schedule
from frontoffice.org.models import User
from frontoffice.parties.models import Party

writer, party_id = int(sys.argv[1]), int(sys.argv[2])
tz = zoneinfo.ZoneInfo("Europe/Stockholm")
user = User.objects.get(username="rep_north")
party = Party.objects.get(pk=party_id)
start = datetime.datetime(2026, 12, 1, 10, writer * 5, tzinfo=tz)
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
try:
    meeting_schedule(actor=user, party=party, title=f"Writer {writer}", starts_at=start,
                     ends_at=start + datetime.timedelta(hours=1), send_invitation=False)
except ValidationError as exc:
    assert "conflict" in str(exc.error_dict["starts_at"][0].code), exc
    print("conflict", flush=True)
else:
    print("won", flush=True)
"""


def start_writer(writer: int, party_id: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DB_CONN_MAX_AGE": "0",
        "TASKS_BACKEND": "immediate",
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, str(writer), str(party_id)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_overlapping_bookings_for_one_rep_let_exactly_one_win(org, customer):
    writers = [start_writer(n, customer.pk) for n in range(WRITERS)]
    for proc in writers:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    for proc in writers:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in writers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(out.strip())
    assert sorted(results) == ["conflict"] * (WRITERS - 1) + ["won"]
    assert Meeting.objects.filter(organiser=org.user("rep_north")).count() == 1
