"""The one-screen cockpit: one test per panel with exact numbers, links, scope, denials, queries."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from frontoffice.billing.tests.conftest import billing  # noqa: F401 - the billing fixture, shared
from frontoffice.billing.tests.questions_factories import *  # noqa: F403 - invoice, link, monday, ...
from frontoffice.billing.tests.questions_factories import ask, sthlm
from frontoffice.finance.tests.conftest import ledger  # noqa: F401 - the ledger fixture, shared
from frontoffice.insights.cockpit import cockpit
from frontoffice.insights.tests.conftest import add_deal, add_visit
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db

STHLM = ZoneInfo("Europe/Stockholm")
TODAY = datetime.date(2026, 3, 10)  # a Tuesday
NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=STHLM)


def at(hour: int, minute: int = 0, day: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=STHLM)


@pytest.fixture
def noon(time_machine):
    time_machine.move_to(NOON, tick=False)


def event(opp, kind, when, *, to_kind=None):
    from frontoffice.sales.models import OpportunityEvent, Stage

    to_stage = Stage.objects.filter(legal_entity=opp.legal_entity, kind=to_kind).first() if to_kind else None
    return OpportunityEvent.objects.create(
        opportunity=opp, kind=kind, at=when, from_stage=opp.stage, to_stage=to_stage or opp.stage
    )


# ---------------------------------------------------------------- reception


def test_reception_panel_counts_todays_visits_and_waits_of_the_viewers_locations(org, noon):
    rec = org.user("receptionist")
    add_visit(org, rec, at(8, 0), at(8, 4), 1)  # waited 4 minutes
    add_visit(org, rec, at(9, 0), at(9, 20), 2)  # waited 20: over the default 15-minute target
    add_visit(org, rec, at(11, 50), None, 3)  # still waiting
    add_visit(org, rec, at(8, 0, day=9), at(8, 30, day=9), 1)  # yesterday: not counted
    from frontoffice.reception.models import Visit

    Visit.objects.filter(called_in_at__isnull=False).update(status="done")

    Visit.objects.create(  # at a location outside the office manager's reach
        location=org.south_office, visitor_name="S", visit_date=TODAY, ticket_number=1, arrived_at=at(8)
    )
    panel = cockpit(viewer=org.user("office_manager"), today=TODAY).panel("reception")
    values = {t.key: t.value for t in panel.tiles}
    assert values == {"visits": 3, "waiting": 1, "mean_wait": Decimal("12.0"), "over_target": 1}
    clinic = org.clinic.pk
    assert panel.tile("visits").url == f"/reception/visits/?location={clinic}&day=2026-03-10"
    assert panel.tile("waiting").url == f"/reception/visits/?location={clinic}&day=2026-03-10&status=waiting"
    assert (
        panel.tile("over_target").url == f"/reception/visits/?location={clinic}&day=2026-03-10&over_target=1"
    )
    # The admin sees both locations: 4 visits, one row each.
    admin_panel = cockpit(viewer=org.user("admin"), today=TODAY).panel("reception")
    assert admin_panel.tile("visits").value == 4
    assert [r["label"] for r in admin_panel.rows] == ["North Dental Clinic", "South Sales Office"]


def test_the_reception_links_open_lists_showing_the_same_rows(org, noon, client_for):
    rec = org.user("receptionist")
    add_visit(org, rec, at(8, 0), at(8, 4), 1)
    add_visit(org, rec, at(9, 0), at(9, 20), 2)
    add_visit(org, rec, at(11, 50), None, 3)
    from frontoffice.reception.models import Visit

    Visit.objects.filter(called_in_at__isnull=False).update(status="done")
    client = client_for("office_manager")
    panel = client.get("/insights/cockpit/").context["cockpit"].panel("reception")
    for key, expected in (("visits", 3), ("waiting", 1), ("over_target", 1)):
        response = client.get(panel.tile(key).url)
        assert response.status_code == 200
        assert response.context["page_obj"].paginator.count == expected, key


# ---------------------------------------------------------------- sales


def test_sales_panel_counts_todays_moves_wins_and_losses_in_reach(org, noon):
    party = make_party(org.user("admin"))
    rep, south = org.user("rep_north"), org.user("rep_south")
    moved = add_deal(org, party, rep, "open", datetime.date(2026, 3, 1), None, "100")
    won = add_deal(org, party, rep, "won", datetime.date(2026, 2, 1), TODAY, "1500.50")
    lost = add_deal(org, party, rep, "lost", datetime.date(2026, 2, 1), TODAY, "900")
    south_won = add_deal(org, party, south, "won", datetime.date(2026, 2, 1), TODAY, "700")
    south_won.region = org.south
    south_won.save(update_fields=["region"])
    add_deal(org, party, rep, "won", datetime.date(2026, 2, 1), datetime.date(2026, 3, 9), "50")  # yesterday
    event(moved, "stage_changed", at(9))
    event(moved, "stage_changed", at(10))
    event(moved, "stage_changed", at(23, 30, day=9))  # yesterday
    event(won, "won", at(11), to_kind="won")
    event(lost, "lost", at(11, 30), to_kind="lost")
    event(south_won, "won", at(11), to_kind="won")

    nsm = cockpit(viewer=org.user("nsm"), today=TODAY).panel("sales")
    assert {t.key: t.value for t in nsm.tiles} == {
        "moves": 5,
        "stage_changes": 2,
        "won": 2,
        "won_amount": Decimal("2200.50"),
        "lost": 1,
    }
    rsm = cockpit(viewer=org.user("rsm_north"), today=TODAY).panel("sales")
    assert {t.key: t.value for t in rsm.tiles} == {
        "moves": 4,
        "stage_changes": 2,
        "won": 1,
        "won_amount": Decimal("1500.50"),
        "lost": 1,
    }
    assert [r["kind"] for r in rsm.rows] == ["Lost", "Won", "Stage changed", "Stage changed"]
    assert rsm.tile("won").url == "/sales/?status=won&closed_from=2026-03-10&closed_to=2026-03-10"


# ---------------------------------------------------------------- finance


def test_finance_panel_counts_questions_drafts_vouchers_and_overdue_receivables(
    org, monday, link, south_link, customer, products
):
    from frontoffice.billing.tests.invoicing_factories import make_draft
    from frontoffice.finance.services.posting import journal_entry_draft_save
    from frontoffice.finance.tests.conftest import voucher
    from frontoffice.receivables.tests.factories import make_invoice

    clerk = org.user("clerk")
    ask(link)  # Monday 10:00
    monday.move_to(sthlm(19, 9, 30))  # Thursday: Monday's question is past its deadline
    ask(south_link)
    make_draft(clerk, customer, (products["checkup"], "1"))
    journal_entry_draft_save(
        actor=clerk, legal_entity=org.company, entry=voucher(("6110", "80.00", None), ("1930", None, "80.00"))
    )
    make_invoice(org, customer.party, "1000.00", issue_on=datetime.date(2026, 1, 10))  # due 9 Feb: overdue
    make_invoice(org, customer.party, "300.00", issue_on=datetime.date(2026, 3, 1))  # due 31 March
    panel = cockpit(viewer=org.user("finance_manager"), today=datetime.date(2026, 3, 19)).panel("finance")
    assert {t.key: t.value for t in panel.tiles} == {
        "open_questions": 2,
        "overdue_questions": 1,
        "draft_invoices": 1,
        "draft_vouchers": 1,
        "awaiting_vouchers": 0,
        "overdue_invoices": 1,
        "overdue_amount": Decimal("1000.00"),
    }
    assert panel.tile("overdue_questions").url == "/billing/questions/?due=overdue"
    assert panel.tile("draft_invoices").url == "/billing/invoices/?status=draft"
    assert panel.tile("draft_vouchers").url == "/finance/vouchers/?status=draft"
    assert panel.tile("overdue_amount").url == "/receivables/aging/?as_of=2026-03-19"


def test_finance_panel_is_not_part_of_an_office_managers_role(org, noon):
    panel = cockpit(viewer=org.user("office_manager"), today=TODAY).panel("finance")
    assert (panel.available, panel.allowed, panel.tiles) == (True, False, [])


# ---------------------------------------------------------------- training


def make_course(slug: str, title: str):
    """A published course with one version (rows made directly: the cockpit only reads)."""
    from frontoffice.training.models import Course, CourseVersion

    course = Course.objects.create(slug=slug)
    version = CourseVersion.objects.create(course=course, number=1, status="published", title_en=title)
    course.current_version = version
    course.save(update_fields=["current_version"])
    return course


def assign(org, name: str, course, due: datetime.date, *, done: datetime.datetime | None = None):
    from frontoffice.org.models import Staff
    from frontoffice.training.models import Assignment

    return Assignment.objects.create(
        course=course,
        version=course.current_version,
        person=Staff.objects.get(user=org.user(name)),
        due_on=due,
        completed_at=done,
    )


def test_training_panel_counts_overdue_assignments_of_the_viewers_people(org, noon):
    greeting, phone, privacy = (make_course(s, s.title()) for s in ("greeting", "phone", "privacy"))
    assign(org, "receptionist", greeting, datetime.date(2026, 3, 1))  # overdue
    assign(org, "receptionist", phone, datetime.date(2026, 3, 20))  # open, not yet due
    assign(org, "receptionist", privacy, datetime.date(2026, 3, 1), done=NOON)  # completed
    assign(org, "rep_south", greeting, datetime.date(2026, 3, 2))  # overdue, outside the office's reach
    office = cockpit(viewer=org.user("office_manager"), today=TODAY).panel("training")
    assert {t.key: t.value for t in office.tiles} == {"overdue": 1, "open": 2}
    assert office.tile("overdue").url == "/training/team/?status=overdue"
    nsm = cockpit(viewer=org.user("nsm"), today=TODAY).panel("training")
    assert nsm.tile("overdue").value == 2


# ---------------------------------------------------------------- page, denials, queries


def test_cockpit_page_is_for_managers_only(org, client_for, client):
    assert client.get("/insights/cockpit/").status_code in (302, 403)
    assert client_for("receptionist").get("/insights/cockpit/").status_code == 403
    assert client_for("rep_north").get("/insights/cockpit/").status_code == 403
    assert client_for("nobody").get("/insights/cockpit/").status_code == 403
    response = client_for("office_manager").get("/insights/cockpit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="panel-reception"' in body and 'data-testid="not-allowed"' in body


def test_a_missing_app_shows_not_available(org, noon, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_training(name, *args, **kwargs):
        if name.startswith("frontoffice.training"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_training)
    panel = cockpit(viewer=org.user("office_manager"), today=TODAY).panel("training")
    assert (panel.available, panel.tiles) == (False, [])


def test_cockpit_query_count_does_not_grow_with_rows(org, noon, client_for, django_assert_max_num_queries):
    rec = org.user("receptionist")
    party = make_party(org.user("admin"))
    client = client_for("admin")
    with django_assert_max_num_queries(40) as few:
        assert client.get("/insights/cockpit/").status_code == 200
    for n in range(1, 11):
        add_visit(org, rec, at(8, n), at(8, n + 3), n)
        opp = add_deal(org, party, rec, "open", datetime.date(2026, 3, 1), None, "10")
        event(opp, "stage_changed", at(9, n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/insights/cockpit/").status_code == 200
