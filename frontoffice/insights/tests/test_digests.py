"""Weekly digests and threshold alerts: exact content for a hand-made history, one digest a
week, one alert per crossing, the manager's language, the settings page and its denials.

History (the ``world`` of conftest plus the week before): the week of Monday 2 March 2026 is
compared with the week of 23 February. Rep North did 3 activities in the earlier week (0.6 a
working day) and 6 in the later one (1.2); lost the one deal closed in the earlier week (win
rate 0.0) and won 2 of 3 in the later one (66.7, revenue 3000.75); and has a training course
due 1 March still open. Rep South (another region) is overdue too.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from frontoffice.insights.facts import rebuild
from frontoffice.insights.models import AlertState, DigestSent, ManagerSettings
from frontoffice.insights.services import alerts_check, digest_build
from frontoffice.insights.tests.conftest import add_activity, add_deal
from frontoffice.insights.tests.test_cockpit import assign, make_course

pytestmark = pytest.mark.django_db

D = datetime.date
MONDAY = datetime.datetime(2026, 3, 9, 7, 0)  # the digest day: Monday 9 March


@pytest.fixture
def history(world, time_machine):
    org = world.org
    time_machine.move_to(MONDAY, tick=False)
    rep = org.user("rep_north")
    for day in (24, 25, 26):
        add_activity(org, world.party, rep, datetime.datetime(2026, 2, day, 10, tzinfo=datetime.UTC))
    add_deal(org, world.party, rep, "lost", D(2026, 2, 1), D(2026, 2, 25), "400")
    greeting = make_course("greeting", "Greeting visitors")
    assign(org, "rep_north", greeting, D(2026, 3, 1))
    assign(org, "rep_south", greeting, D(2026, 3, 2))
    rebuild()
    return world


RSM_DIGEST = """Weekly digest for 2026-03-02 to 2026-03-08, compared with the week before.

Improved
- Rep_North Test: Activities per working day 0.6 → 1.2 count
- Rep_North Test: Win rate 0.0 → 66.7 percent
- Rep_North Test: Revenue 0.00 → 3000.75 SEK

Behind target
- Rep_North Test: Activities per working day 1.2 count (target 8)
- Rep_North Test: Win rate 66.7 percent (target 70)

Overdue training
- Rep_North Test: Greeting visitors (due 2026-03-01)

Your dashboard: /insights/people/?period=week
"""


def digest_for(name: str):
    return next(m for m in mail.outbox if m.to == [f"{name}@example.com"])


def test_weekly_digest_has_exact_content_and_goes_out_once_a_week(
    history, django_capture_on_commit_callbacks
):
    org = history.org
    ManagerSettings.objects.create(user=org.user("rsm_north"), thresholds={"win_rate": "70"})
    with django_capture_on_commit_callbacks(execute=True):
        call_command("insights_send_digests", "--date", "2026-03-09")
    # Every manager persona with the default digest day (Monday) gets one.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "admin@example.com",
        "finance_manager@example.com",
        "nsm@example.com",
        "office_manager@example.com",
        "rsm_north@example.com",
    ]
    message = digest_for("rsm_north")
    assert message.subject == "Your people, week of 2026-03-02"
    assert message.body == RSM_DIGEST
    # The same week again, by cron or by hand: nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("insights_send_digests", "--date", "2026-03-09")
    from frontoffice.insights.services import digest_send

    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(manager_id=org.user("rsm_north").pk, week_start=D(2026, 3, 2)) is False
    assert len(mail.outbox) == 5
    assert DigestSent.objects.filter(week_start=D(2026, 3, 2)).count() == 5


def test_digest_follows_the_managers_day_switch_and_chosen_measures(
    history, django_capture_on_commit_callbacks
):
    org = history.org
    ManagerSettings.objects.create(user=org.user("nsm"), digest_enabled=False)
    ManagerSettings.objects.create(user=org.user("admin"), digest_weekday=2)  # Wednesdays
    ManagerSettings.objects.create(user=org.user("rsm_north"), measures=["win_rate"])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("insights_send_digests", "--date", "2026-03-09")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "finance_manager@example.com",
        "office_manager@example.com",
        "rsm_north@example.com",
    ]
    body = digest_for("rsm_north").body
    assert "- Rep_North Test: Win rate 0.0 → 66.7 percent\n" in body
    assert "Activities per working day" not in body and "Revenue" not in body
    assert "Behind target\n- nothing\n" in body


def test_digest_is_written_in_the_managers_language(history, django_capture_on_commit_callbacks):
    org = history.org
    rsm = org.user("rsm_north")
    rsm.language = "sv"
    rsm.save(update_fields=["language"])
    from frontoffice.insights.services import digest_send

    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(manager_id=rsm.pk, week_start=D(2026, 3, 2)) is True
    body = mail.outbox[0].body
    assert "- Rep_North Test: Vinstandel 0,0 → 66,7" in body
    assert "- Rep_North Test: Aktiviteter per arbetsdag 1,2" in body or "1,2" in body


def test_a_digest_reports_only_the_managers_people(history):
    office = digest_build(manager=history.org.user("office_manager"), week_start=D(2026, 3, 2))
    people = {p for p, *_rest in office.improved + office.lagging} | {p for p, *_r in office.overdue}
    assert people <= {"Receptionist Test"}
    nsm = digest_build(manager=history.org.user("nsm"), week_start=D(2026, 3, 2))
    assert [(p, c) for p, c, _due in nsm.overdue] == [
        ("Rep_North Test", "Greeting visitors"),
        ("Rep_South Test", "Greeting visitors"),
    ]


# ---------------------------------------------------------------- alerts


def test_an_alert_goes_out_once_per_crossing_and_again_after_recovery(
    history, time_machine, django_capture_on_commit_callbacks
):
    org = history.org
    rsm = org.user("rsm_north")
    rep = org.user("rep_north")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("insights_check_alerts", "--date", "2026-03-09")
    mine = [m for m in mail.outbox if m.to == ["rsm_north@example.com"]]
    assert len(mine) == 1
    assert mine[0].subject == "Alert: 1 figures past their threshold"
    assert mine[0].body == (
        "These figures for 2026-03-02 to 2026-03-08 went past their threshold:\n"
        "\n"
        "- Rep_North Test: Activities per working day 1.2 count (threshold 8)\n"
        "\n"
        "Your dashboard: /insights/people/\n"
    )
    state = AlertState.objects.get(
        manager=rsm, measure="activities_per_day", unit_type="person", unit_id=rep.pk
    )
    assert (state.breached, state.value) == (True, Decimal("1.2"))
    # The same crossing again (the same day, or the next with the figure still low): no alert.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_check(manager_id=rsm.pk, today=D(2026, 3, 9)) == []
        assert alerts_check(manager_id=rsm.pk, today=D(2026, 3, 10)) == []
    assert mail.outbox == []
    # Back above the threshold: 36 more activities on 9 March make 40 in 3-9 March, 8.0 a day.
    for _i in range(36):
        add_activity(org, history.party, rep, datetime.datetime(2026, 3, 9, 9, tzinfo=datetime.UTC))
    rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_check(manager_id=rsm.pk, today=D(2026, 3, 10)) == []
    state.refresh_from_db()
    assert state.breached is False
    # And below again a week later (2 activities in 10-16 March): a new crossing, a new alert.
    for day in (11, 12):
        add_activity(org, history.party, rep, datetime.datetime(2026, 3, day, 9, tzinfo=datetime.UTC))
    rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        crossings = alerts_check(manager_id=rsm.pk, today=D(2026, 3, 17))
    assert [(c.label, c.measure.key, c.value) for c in crossings] == [
        ("Rep_North Test", "activities_per_day", Decimal("0.4"))
    ]
    assert len(mail.outbox) == 1


def test_alerts_use_the_managers_thresholds_and_cover_all_their_people(
    history, django_capture_on_commit_callbacks
):
    org = history.org
    nsm = org.user("nsm")
    ManagerSettings.objects.create(
        user=nsm, measures=["win_rate"], thresholds={"win_rate": "80"}, digest_enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        crossings = alerts_check(manager_id=nsm.pk, today=D(2026, 3, 9))
    # North won 2 of 3 (66.7), South 1 of 1 (100.0); all three sales people pooled 3 of 4 (75.0).
    assert [(c.label, c.value, c.threshold) for c in crossings] == [
        ("Rep_North Test", Decimal("66.7"), Decimal("80")),
        ("all your people", Decimal("75.0"), Decimal("80")),
    ]


def test_alerts_off_sends_nothing(history, django_capture_on_commit_callbacks):
    org = history.org
    ManagerSettings.objects.create(user=org.user("rsm_north"), alerts_enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("insights_check_alerts", "--date", "2026-03-09")
    assert not [m for m in mail.outbox if m.to == ["rsm_north@example.com"]]


# ---------------------------------------------------------------- the settings page


def test_a_manager_saves_their_settings(org, client_for):
    client = client_for("rsm_north")
    assert client.get("/insights/settings/").status_code == 200
    response = client.post(
        "/insights/settings/",
        {
            "digest_enabled": "on",
            "digest_weekday": "4",
            "measures": ["win_rate", "revenue"],
            "threshold_win_rate": "40",
        },
    )
    assert response.status_code == 302
    row = ManagerSettings.objects.get(user=org.user("rsm_north"))
    assert (row.digest_enabled, row.digest_weekday, row.alerts_enabled) == (True, 4, False)
    assert row.measures == ["revenue", "win_rate"]
    assert row.thresholds == {"win_rate": "40"}
    bad = client.post("/insights/settings/", {"digest_weekday": "9"})
    assert bad.status_code == 400


def test_the_settings_page_is_for_managers_only(org, client_for):
    assert client_for("receptionist").get("/insights/settings/").status_code == 403
    assert client_for("rep_north").post("/insights/settings/", {"digest_weekday": "1"}).status_code == 403
    assert client_for("nobody").get("/insights/settings/").status_code == 403
    assert ManagerSettings.objects.count() == 0
