"""The managers' team report: exact figures per rep and region, scope, drill-down, exports.

The fixture (period March 2026, reports read on 2026-04-10; Stockholm time):

Leads (source target 2 working hours; created → first contact, due):
- rep_north: L1 30 min (in time, contacted), L2 180 min (late, qualified), L3 10 min (in time,
  converted), L4 not contacted (new, overdue), L5 created in February (new, overdue);
- rep_north2: L6 60 min (in time; qualified, then disqualified), L7 20 min (in time);
- unassigned in North: L8 (new, overdue);
- rep_south: L9 45 min (in time), L10 created 23:30 on 31 March, contacted 540 min later but
  before its due time (the next working morning); L11 created 00:10 on 1 April (outside the
  period, overdue).

Opportunities: A rep_north Prospecting → Proposal → won (10,000); B rep_north lost; C rep_north
Prospecting → Qualification (open); D rep_north2 won (5,000); E rep_south opened in
Qualification, lost; F rep_south opened and won in February.

Activities done: rep_north 2 calls, 1 e-mail, 1 task in March (plus a call on 1 April at 00:30
and an open task, which do not count); rep_south 1 meeting, 1 call.
"""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontoffice.sales import manager_reports
from frontoffice.sales.manager_reports import Period, period_from
from frontoffice.sales.services import opportunity_lose, opportunity_move, opportunity_win
from frontoffice.sales.tests.factories import make_opportunity, make_party, stage

STHLM = zoneinfo.ZoneInfo("Europe/Stockholm")
MARCH = Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31), "month")
NOW = "2026-04-10 12:00 +02:00"


def at(day: str, hm: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=STHLM)


def _lead(org: Any, party: Any, source: Any, owner: Any, region: Any, created: str, **fields: Any) -> Any:
    """A lead row with the given clock (test set-up: the figures depend only on these fields)."""
    from frontoffice.leads.models import Lead

    created_at = at(*created.split())
    lead = Lead.objects.create(
        legal_entity=org.company,
        party=party,
        source=source,
        owner=owner,
        region=region,
        contact_name=f"Lead {created}",
        stage=fields.pop("stage", Lead.Stage.NEW),
        first_contact_due_at=fields.pop("due", None) or created_at + datetime.timedelta(hours=2),
        **fields,
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=created_at)
    return lead


def _activity(
    org: Any, owner: Any, party: Any, region: Any, kind: str, done: datetime.datetime | None
) -> Any:
    from frontoffice.activities.models import Activity

    return Activity.objects.create(
        legal_entity=org.company,
        region=region,
        party=party,
        owner=owner,
        kind=kind,
        subject=f"{kind} {done}",
        done_at=done,
        due_at=None if done else at("2026-04-20", "09:00"),
    )


@pytest.fixture
def world(org: Any, sales: Any) -> dict[str, Any]:
    from frontoffice.leads.models import Lead, LeadEvent, LeadSource
    from frontoffice.leads.tests.conftest import make_rep

    le = org.company
    rn, rs = org.user("rep_north"), org.user("rep_south")
    rn2 = make_rep(org, "rep_north2", org.north)
    rn2.first_name = "=Evil"  # formula-looking name: exports must neutralise it
    rn2.save(update_fields=["first_name"])
    source = LeadSource.objects.create(legal_entity=le, name="Web", first_contact_target=2)
    north, south = org.north, org.south
    np, sp = sales.north_party, sales.south_party
    n2p = make_party(org, "Nordväst Klinik AB", region=north, owner=rn2)

    with time_machine.travel("2026-02-10 09:00 +01:00", tick=False):
        f = make_opportunity(rs, sp, name="F")
    with time_machine.travel("2026-02-20 09:00 +01:00", tick=False):
        opportunity_win(actor=rs, opportunity=f, reason="Fit")
    with time_machine.travel("2026-03-02 09:00 +01:00", tick=False):
        a = make_opportunity(rn, np, name="A", amount=D("10000.00"))
        b = make_opportunity(rn, np, name="B")
        c = make_opportunity(rn, np, name="C")
        d = make_opportunity(rn2, n2p, name="D", amount=D("5000.00"))
        e = make_opportunity(rs, sp, name="E", stage=stage(le, "Qualification"))
    with time_machine.travel("2026-03-06 09:00 +01:00", tick=False):
        opportunity_move(actor=rn, opportunity=a, stage=stage(le, "Proposal"))
        opportunity_move(actor=rn, opportunity=c, stage=stage(le, "Qualification"))
    with time_machine.travel("2026-03-20 09:00 +01:00", tick=False):
        opportunity_win(actor=rn, opportunity=a, reason="Fit")
        opportunity_lose(actor=rn, opportunity=b, reason="Price")
        opportunity_win(actor=rn2, opportunity=d, reason="Fit")
        opportunity_lose(actor=rs, opportunity=e, reason="Price")

    mins = datetime.timedelta(minutes=1)
    leads = {
        "L1": _lead(org, np, source, rn, north, "2026-03-02 09:00", stage="contacted",
                    first_contact_at=at("2026-03-02", "09:30")),
        "L2": _lead(org, np, source, rn, north, "2026-03-03 09:00", stage="qualified",
                    first_contact_at=at("2026-03-03", "12:00")),
        "L3": _lead(org, np, source, rn, north, "2026-03-04 10:00", stage="converted", opportunity=c,
                    first_contact_at=at("2026-03-04", "10:10")),
        "L4": _lead(org, np, source, rn, north, "2026-03-05 09:00"),
        "L5": _lead(org, np, source, rn, north, "2026-02-20 09:00"),
        "L6": _lead(org, np, source, rn2, north, "2026-03-10 09:00", stage="disqualified",
                    disqualify_reason="No budget", first_contact_at=at("2026-03-10", "10:00")),
        "L7": _lead(org, np, source, rn2, north, "2026-03-11 09:00", stage="contacted",
                    first_contact_at=at("2026-03-11", "09:20")),
        "L8": _lead(org, np, source, None, north, "2026-03-12 09:00"),
        "L9": _lead(org, sp, source, rs, south, "2026-03-15 09:00", stage="contacted",
                    first_contact_at=at("2026-03-15", "09:45")),
        "L10": _lead(org, sp, source, rs, south, "2026-03-31 23:30", stage="contacted",
                     due=at("2026-04-01", "10:00"), first_contact_at=at("2026-03-31", "23:30") + 540 * mins),
        "L11": _lead(org, sp, source, rs, south, "2026-04-01 00:10", due=at("2026-04-01", "10:00")),
    }  # fmt: skip
    LeadEvent.objects.create(lead=leads["L6"], at=at("2026-03-10", "11:00"), kind=LeadEvent.Kind.QUALIFIED)
    assert Lead.objects.count() == 11

    acts = [
        _activity(org, rn, np, north, "call", at("2026-03-02", "10:00")),
        _activity(org, rn, np, north, "call", at("2026-03-31", "23:59")),
        _activity(org, rn, np, north, "email", at("2026-03-03", "10:00")),
        _activity(org, rn, np, north, "task", at("2026-03-01", "00:00")),
        _activity(org, rn, np, north, "call", at("2026-04-01", "00:30")),
        _activity(org, rn, np, north, "task", None),
        _activity(org, rs, sp, south, "meeting", at("2026-03-16", "14:00")),
        _activity(org, rs, sp, south, "call", at("2026-03-17", "14:00")),
    ]
    return {"leads": leads, "opps": {o.name: o for o in (a, b, c, d, e, f)}, "rn2": rn2, "acts": acts}


def _report(user: Any, **kwargs: Any) -> manager_reports.TeamReport:
    with time_machine.travel(NOW, tick=False):
        return manager_reports.team_report(user=user, period=MARCH, **kwargs)


def _values(table: Any, level: str) -> dict[str, dict[str, Any]]:
    rows = {"rep": table.reps, "region": table.regions}.get(level) or [table.total]
    return {
        r.label: {c.key: cell.value for c, cell in zip(table.columns, r.cells, strict=True)} for r in rows
    }


# ---------------------------------------------------------------- figures


def test_response_times_per_rep_region_and_total(org, world):
    table = _report(org.user("nsm")).table("response")
    reps = _values(table, "rep")
    assert reps["Rep_North Test"] == {
        "created": 4, "contacted": 3, "median": D("30.0"), "within": 2, "within_share": D("66.7"),
    }  # fmt: skip
    assert reps["=Evil Test"] == {
        "created": 2, "contacted": 2, "median": D("40.0"), "within": 2, "within_share": D("100.0"),
    }  # fmt: skip
    # L10 (created 23:30 local on 31 March) is in March; L11 (00:10 on 1 April) is not
    assert reps["Rep_South Test"] == {
        "created": 2, "contacted": 2, "median": D("292.5"), "within": 2, "within_share": D("100.0"),
    }  # fmt: skip
    assert reps["Unassigned"] == {
        "created": 1, "contacted": 0, "median": None, "within": 0, "within_share": None,
    }  # fmt: skip
    regions = _values(table, "region")
    assert regions["North"] == {
        "created": 7, "contacted": 5, "median": D("30.0"), "within": 4, "within_share": D("80.0"),
    }  # fmt: skip
    assert regions["South"]["median"] == D("292.5")
    assert _values(table, "total")["Total"] == {
        "created": 9, "contacted": 7, "median": D("45.0"), "within": 6, "within_share": D("85.7"),
    }  # fmt: skip


def test_overdue_first_contacts_now_whatever_the_period(org, world):
    table = _report(org.user("nsm")).table("overdue")
    reps = _values(table, "rep")
    assert reps["Rep_North Test"]["n"] == 2  # L4 and L5 (created in February)
    assert reps["Rep_North Test"]["oldest"] == at("2026-02-20", "11:00")
    assert reps["Unassigned"]["n"] == 1
    assert reps["Rep_South Test"]["n"] == 1
    assert reps["=Evil Test"] == {"n": 0, "oldest": None}
    assert {k: v["n"] for k, v in _values(table, "region").items()} == {"North": 3, "South": 1}
    assert _values(table, "total")["Total"]["n"] == 4


def test_lead_funnel_counts_each_stage_reached(org, world):
    table = _report(org.user("nsm")).table("lead_funnel")
    reps = _values(table, "rep")
    assert reps["Rep_North Test"] == {
        "created": 4, "contacted": 3, "contacted_share": D("75.0"), "qualified": 2,
        "qualified_share": D("66.7"), "converted": 1, "converted_share": D("50.0"),
    }  # fmt: skip
    # L6 was qualified before it was disqualified: it reached the stage
    assert reps["=Evil Test"] == {
        "created": 2, "contacted": 2, "contacted_share": D("100.0"), "qualified": 1,
        "qualified_share": D("50.0"), "converted": 0, "converted_share": D("0.0"),
    }  # fmt: skip
    assert _values(table, "region")["North"]["qualified"] == 3
    assert _values(table, "total")["Total"]["created"] == 9


def test_conversion_by_stage_per_rep_and_region(org, world):
    report = _report(org.user("nsm"))
    table = report.table("stage_conversion")
    le = org.company
    ids = {n: stage(le, n).pk for n in ("Prospecting", "Qualification", "Needs analysis", "Proposal")}

    def row(values: dict[str, Any], name: str) -> tuple[Any, Any, Any]:
        pk = ids[name]
        return values[f"r{pk}"], values[f"a{pk}"], values[f"c{pk}"]

    reps = _values(table, "rep")
    assert row(reps["Rep_North Test"], "Prospecting") == (3, 2, D("66.7"))  # A, B, C; B lost
    assert row(reps["Rep_North Test"], "Qualification") == (2, 1, D("50.0"))  # A (skipped it), C
    assert row(reps["Rep_North Test"], "Proposal") == (1, 1, D("100.0"))
    assert row(reps["=Evil Test"], "Needs analysis") == (1, 1, D("100.0"))
    # E opened in Qualification (passes Prospecting), F opened and won in February
    assert row(reps["Rep_South Test"], "Prospecting") == (2, 2, D("100.0"))
    assert row(reps["Rep_South Test"], "Qualification") == (2, 1, D("50.0"))
    regions = _values(table, "region")
    assert row(regions["North"], "Prospecting") == (4, 3, D("75.0"))
    assert row(regions["North"], "Qualification") == (3, 2, D("66.7"))
    # the region figures are the pipeline report's
    from frontoffice.sales import selectors

    with time_machine.travel(NOW, tick=False):
        pipeline = selectors.pipeline_report(
            user=org.user("nsm"), closed_from=MARCH.start, closed_to=MARCH.end, region=org.north
        )
    by = {n.stage.pk: (n.reached, n.advanced) for n in pipeline.stages}
    assert by[ids["Prospecting"]] == (4, 3) and by[ids["Qualification"]] == (3, 2)


def test_win_rate_per_rep_region_and_total(org, world):
    table = _report(org.user("nsm")).table("win_rate")
    reps = _values(table, "rep")
    assert reps["Rep_North Test"] == {"won": 1, "amount": D("10000.00"), "lost": 1, "rate": D("50.0")}
    assert reps["=Evil Test"] == {"won": 1, "amount": D("5000.00"), "lost": 0, "rate": D("100.0")}
    assert reps["Rep_South Test"] == {"won": 0, "amount": D("0.00"), "lost": 1, "rate": D("0.0")}
    assert _values(table, "region")["North"] == {
        "won": 2, "amount": D("15000.00"), "lost": 1, "rate": D("66.7"),
    }  # fmt: skip
    assert _values(table, "total")["Total"] == {
        "won": 2,
        "amount": D("15000.00"),
        "lost": 2,
        "rate": D("50.0"),
    }


def test_activity_done_in_the_period_per_rep_and_region(org, world):
    table = _report(org.user("nsm")).table("activity")
    reps = _values(table, "rep")
    assert reps["Rep_North Test"] == {"call": 2, "email": 1, "meeting": 0, "task": 1, "total": 4}
    assert reps["Rep_South Test"] == {"call": 1, "email": 0, "meeting": 1, "task": 0, "total": 2}
    assert reps["=Evil Test"]["total"] == 0
    assert {k: v["total"] for k, v in _values(table, "region").items()} == {"North": 4, "South": 2}
    assert _values(table, "total")["Total"]["total"] == 6


# ---------------------------------------------------------------- scope


def test_regional_manager_sees_only_their_region(org, world):
    report = _report(org.user("rsm_north"))
    for table in report.tables:
        assert {r.label for r in table.regions} == {"North"}, table.key
        assert "Rep_South Test" not in {r.label for r in table.reps}, table.key
    assert _values(report.table("response"), "total")["Total"]["created"] == 7
    assert _values(report.table("win_rate"), "total")["Total"] == {
        "won": 2, "amount": D("15000.00"), "lost": 1, "rate": D("66.7"),
    }  # fmt: skip
    assert _values(report.table("activity"), "total")["Total"]["total"] == 4


def test_regional_manager_cannot_pick_another_region(org, world, client_for):
    client = client_for("rsm_north")
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("sales:team-report"), {"month": "2026-03", "region": org.south.pk})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.region is None
    assert {r.label for r in report.table("win_rate").regions} == {"North"}
    assert b"Rep_South" not in response.content


def test_rep_sees_only_themselves(org, world):
    report = _report(org.user("rep_north"))
    assert {r.label for r in report.table("win_rate").reps} == {"Rep_North Test"}
    assert {r.label for r in report.table("activity").reps} == {"Rep_North Test"}
    # a rep sees the unassigned leads of their region (the leads scope) and nothing of others'
    assert set(_values(report.table("overdue"), "rep")) == {"Rep_North Test", "Unassigned"}
    assert _values(report.table("response"), "total")["Total"]["created"] == 5  # L1-L4, L8


def test_national_manager_filters_one_region(org, world):
    report = _report(org.user("nsm"), region=org.south.pk)
    assert {r.label for r in report.table("win_rate").regions} == {"South"}
    assert {r.label for r in report.table("win_rate").reps} == {"Rep_South Test"}
    assert _values(report.table("win_rate"), "total")["Total"]["lost"] == 1


@pytest.mark.parametrize("persona", ["receptionist", "clerk", "nobody"])
def test_people_without_the_forecast_permission_are_refused(org, world, client_for, persona):
    response = client_for(persona).get(reverse("sales:team-report"))
    assert response.status_code == 403


def test_finance_sees_no_lead_or_activity_tables_without_their_permission(org, world):
    user = org.user("finance_manager")
    keys = [t.key for t in _report(user).tables]
    assert "stage_conversion" in keys and "win_rate" in keys
    assert ("response" in keys) is user.has_perm("leads.view_lead")
    assert ("activity" in keys) is user.has_perm("activities.view_activity")


# ---------------------------------------------------------------- drill-down


def _listed(client: Any, url: str) -> set[int]:
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200, url
    page = response.context["page_obj"]
    assert page.paginator.num_pages == 1, url
    return {obj.pk for obj in page.object_list}


@pytest.mark.parametrize("persona", ["nsm", "rsm_north"])
def test_every_count_links_to_exactly_its_records(org, world, client_for, persona):
    """Each count (and each percentage's numerator) opens a list with that many records."""
    client = client_for(persona)
    report = _report(org.user(persona))
    checked = 0
    for table in report.tables:
        for row in [*table.reps, *table.regions, table.total]:
            for column, cell in zip(table.columns, row.cells, strict=True):
                if column.kind == "count":
                    assert cell.url, (table.key, row.label, column.key)
                    assert len(_listed(client, cell.url)) == cell.value, (table.key, row.label, column.key)
                    checked += 1
    assert checked > 100


def test_drill_down_targets_name_the_records(org, world, client_for):
    client = client_for("nsm")
    report = _report(org.user("nsm"))
    leads, opps = world["leads"], world["opps"]

    def url(key: str, label: str, column: str, level: str = "rep") -> str:
        table = report.table(key)
        rows = {"rep": table.reps, "region": table.regions, "total": [table.total]}[level]
        r = next(r for r in rows if r.label == label)
        return r.cells[[c.key for c in table.columns].index(column)].url

    assert _listed(client, url("response", "Rep_North Test", "within")) == {leads["L1"].pk, leads["L3"].pk}
    assert _listed(client, url("response", "Rep_North Test", "median")) == {
        leads[k].pk for k in ("L1", "L2", "L3")
    }
    assert _listed(client, url("response", "Rep_South Test", "created")) == {leads["L9"].pk, leads["L10"].pk}
    assert _listed(client, url("overdue", "Unassigned", "n")) == {leads["L8"].pk}
    assert _listed(client, url("lead_funnel", "=Evil Test", "qualified")) == {leads["L6"].pk}
    assert _listed(client, url("win_rate", "Total", "rate", "total")) == {
        opps[k].pk for k in ("A", "B", "D", "E")
    }
    prospecting = stage(org.company, "Prospecting").pk
    assert _listed(client, url("stage_conversion", "Rep_North Test", f"a{prospecting}")) == {
        opps["A"].pk,
        opps["C"].pk,
    }
    calls = _listed(client, url("activity", "Rep_North Test", "call"))
    assert calls == {world["acts"][0].pk, world["acts"][1].pk}


# ---------------------------------------------------------------- page, queries, exports


def _page_queries(client: Any) -> int:
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("sales:team-report"), {"month": "2026-03"})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_page_runs_a_constant_number_of_queries(org, world, client_for, django_assert_max_num_queries):
    from frontoffice.leads.tests.conftest import make_rep

    client = client_for("nsm")
    before = _page_queries(client)
    # more reps, leads, opportunities and activities: the same number of queries
    rep3 = make_rep(org, "rep_south3", org.south)
    party3 = make_party(org, "Trelleborg Tand AB", region=org.south, owner=rep3)
    for n in range(3):
        _lead(org, world["opps"]["E"].party, None, rep3, org.south, f"2026-03-2{n} 09:00",
              first_contact_at=at(f"2026-03-2{n}", "09:05"))  # fmt: skip
        _activity(org, rep3, world["opps"]["E"].party, org.south, "call", at(f"2026-03-2{n}", "10:00"))
    with time_machine.travel("2026-03-05 09:00 +01:00", tick=False):
        make_opportunity(rep3, party3, name="G")
    client = client_for("nsm")
    assert _page_queries(client) == before
    with django_assert_max_num_queries(40), time_machine.travel(NOW, tick=False):
        client.get(reverse("sales:team-report"), {"month": "2026-03"})


def test_page_shows_every_table_with_links(org, world, client_for):
    with time_machine.travel(NOW, tick=False):
        response = client_for("nsm").get(reverse("sales:team-report"), {"quarter": "2026-Q1"})
    html = response.content.decode()
    for key in ("response", "overdue", "lead_funnel", "stage_conversion", "win_rate", "activity"):
        assert f'data-testid="table-{key}"' in html
    assert "/leads/?" in html and "/sales/?" in html and "/activities/list/?" in html
    assert response.context["period"] == Period(
        datetime.date(2026, 1, 1), datetime.date(2026, 3, 31), "quarter"
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_of_a_table_is_formula_safe(org, world, client_for, fmt):
    with time_machine.travel(NOW, tick=False):
        response = client_for("nsm").get(
            reverse("sales:team-report"),
            {"month": "2026-03", "table": "response", "level": "rep", "format": fmt},
        )
    assert response.status_code == 200
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
        lines = text.splitlines()
        assert lines[0] == "Rep;Leads created;Contacted;Median response (min);Within target;Within target (%)"
        assert "'=Evil Test;2;2;40.00;2;100.00" in lines
        assert "Rep_North Test;4;3;30.00;2;66.70" in lines
        assert lines[-1] == "Total;9;7;45.00;6;85.70"
    else:
        import io

        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content)).active
        cells = [c for row in sheet.iter_rows() for c in row if c.value == "=Evil Test"]
        assert len(cells) == 1 and cells[0].data_type == "s"


def test_export_of_an_unknown_table_is_404(org, world, client_for):
    response = client_for("nsm").get(reverse("sales:team-report"), {"table": "nope", "format": "csv"})
    assert response.status_code == 404


# ---------------------------------------------------------------- period


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"month": "2026-02"}, Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28), "month")),
        ({"quarter": "2025-q4"}, Period(datetime.date(2025, 10, 1), datetime.date(2025, 12, 31), "quarter")),
        (
            {"from": "2026-03-10", "to": "2026-03-01"},
            Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 10)),
        ),
        ({"month": "2026-13"}, Period(datetime.date(2026, 4, 1), datetime.date(2026, 6, 30), "quarter")),
        ({}, Period(datetime.date(2026, 4, 1), datetime.date(2026, 6, 30), "quarter")),
    ],
)
def test_period_from_month_quarter_or_range(params, expected):
    assert period_from(params, today=datetime.date(2026, 5, 17)) == expected


def test_pipeline_report_conversion_figures_link_to_their_records(org, world, client_for):
    client = client_for("rsm_north")
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("sales:pipeline-regional"), {"from": "2026-03-01", "to": "2026-03-31"})
    rows = {row["n"].stage.name: row for row in response.context["stage_rows"]}
    opps = world["opps"]
    assert _listed(client, rows["Qualification"]["reached_url"]) == {opps[k].pk for k in ("A", "C", "D")}
    assert _listed(client, rows["Qualification"]["passed_url"]) == {opps["A"].pk, opps["D"].pk}


def test_lead_list_drops_an_invalid_filter_alone(org, world, client_for):
    """An owner the list does not offer is ignored; the period still narrows the list."""
    url = reverse("leads:lead-list") + "?owner=999999&created_from=2026-03-31&created_to=2026-03-31"
    assert _listed(client_for("nsm"), url) == {world["leads"]["L10"].pk}
