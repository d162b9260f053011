"""The activity list's search and filters, its CSV/XLSX export and the API list: the same
filters everywhere, scope never widened by a filter, formula-safe cells, constant queries."""

from __future__ import annotations

import datetime
import io

import pytest
from openpyxl import load_workbook

from frontoffice.activities.models import Activity
from frontoffice.activities.selectors import activity_list
from frontoffice.activities.services.activities import activity_create
from frontoffice.activities.tests.conftest import at
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db
LIST = "/activities/list/"
API = "/api/v1/activities/activities/"


@pytest.fixture
def work(org, customer, south_customer):
    """North: a done call on 1 Dec 23:30 (Stockholm; 22:30 UTC), an open task due 3 Dec and a
    done e-mail on 5 Dec with notes about invoices; South: one done call on 1 Dec."""
    rep = org.user("rep_north")
    other = make_party(rep, first_name="Olle", last_name="Ek", email="olle@example.com")
    call = activity_create(
        actor=rep,
        party=customer,
        kind="call",
        subject="Price follow-up",
        done=True,
        done_at=at("2026-12-01", "23:30"),
        outcome="Interested",
        notes="Wants the spring catalogue",
    )
    task = activity_create(
        actor=rep, party=other, kind="task", subject="Send brochure", due_at=at("2026-12-03", "10:00")
    )
    email = activity_create(
        actor=rep,
        party=customer,
        kind="email",
        subject="Catalogue",
        done=True,
        done_at=at("2026-12-05", "08:00"),
        notes="Asked about unpaid invoices",
    )
    south = activity_create(
        actor=org.user("rep_south"),
        party=south_customer,
        kind="call",
        subject="Price follow-up south",
        done=True,
        done_at=at("2026-12-01", "12:00"),
        notes="Wants the spring catalogue too",
    )
    return {"call": call, "task": task, "email": email, "south": south, "other": other}


def ids(qs):
    return {a.pk for a in qs}


def test_search_matches_subject_notes_and_customer_name_every_word(org, work):
    rep = org.user("rep_north")
    find = lambda q: ids(activity_list(user=rep, status="all", q=q))  # noqa: E731
    assert find("catalogue") == {work["call"].pk, work["email"].pk}  # notes, subject
    assert find("INVOICES") == {work["email"].pk}  # notes, any case
    assert find("olle") == {work["task"].pk}  # the customer's name
    assert find("karin spring") == {work["call"].pk}  # every word, in any of the fields
    assert find("karin brochure") == set()
    assert find("   ") == ids(activity_list(user=rep, status="all"))


def test_filters_kind_status_owner_party_and_dates(org, work, customer):
    rep = org.user("rep_north")
    call, task, email = work["call"], work["task"], work["email"]
    assert ids(activity_list(user=rep, status="all", kind="email")) == {email.pk}
    assert ids(activity_list(user=rep, status="open")) == {task.pk}
    assert ids(activity_list(user=rep, status="done")) == {call.pk, email.pk}
    assert ids(activity_list(user=rep, status="all", owner="me")) == {call.pk, task.pk, email.pk}
    assert ids(activity_list(user=rep, status="all", owner=str(rep.pk))) == {call.pk, task.pk, email.pk}
    assert ids(activity_list(user=rep, status="all", party=customer.pk)) == {call.pk, email.pk}
    assert ids(activity_list(user=rep, status="all", party="x")) == {call.pk, task.pk, email.pk}
    # The activity's date is when it was done, else when it is due; days are Stockholm days,
    # so 23:30 on 1 December (22:30 UTC) belongs to 1 December, not the 2nd.
    day = datetime.date
    in_range = lambda a, b: ids(activity_list(user=rep, status="all", date_from=a, date_to=b))  # noqa: E731
    assert in_range(day(2026, 12, 1), day(2026, 12, 1)) == {call.pk}
    assert in_range(day(2026, 12, 2), day(2026, 12, 3)) == {task.pk}
    assert in_range(day(2026, 12, 2), None) == {task.pk, email.pk}
    assert in_range(None, day(2026, 12, 4)) == {call.pk, task.pk}
    due = ids(activity_list(user=rep, status="all", due_from=day(2026, 12, 3), due_to=day(2026, 12, 3)))
    assert due == {task.pk}


def test_filters_never_widen_the_scope(org, work, south_customer):
    rep_south = org.user("rep_south")
    for user in (org.user("rep_north"), org.user("rsm_north")):
        assert ids(activity_list(user=user, status="all", owner=str(rep_south.pk))) == set()
        assert ids(activity_list(user=user, status="all", party=south_customer.pk)) == set()
        assert work["south"].pk not in ids(activity_list(user=user, status="all", q="south"))
    nsm = ids(activity_list(user=org.user("nsm"), status="all", q="spring catalogue"))
    assert nsm == {work["call"].pk, work["south"].pk}


def test_the_page_searches_filters_and_keeps_the_customer_filter(client_for, org, work, customer):
    client = client_for("rep_north")
    page = client.get(LIST, {"status": "all", "q": "invoices"}).content.decode()
    assert "Catalogue" in page and "Price follow-up" not in page
    page = client.get(LIST, {"status": "all", "party": customer.pk}).content.decode()
    assert 'data-testid="activity-party-filter"' in page and "Karin Berg" in page
    assert f'name="party" value="{customer.pk}"' in page  # kept when the filters change
    assert "Send brochure" not in page
    fragment = client.get(LIST, {"status": "open", "kind": "task"}, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and 'id="activity-results"' in body and "Send brochure" in body
    assert "format=csv" in body and "kind=task" in body  # the export links follow the filters
    # An owner out of reach is ignored, not an error, and shows nothing of theirs.
    page = client.get(LIST, {"status": "all", "owner": str(org.user("rep_south").pk)})
    assert page.status_code == 200 and "Price follow-up south" not in page.content.decode()


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return response.content.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("persona", "sees_north", "sees_south"),
    [("rep_north", True, False), ("rep_south", False, True), ("rsm_north", True, False), ("nsm", True, True)],
)
def test_the_export_is_scoped_like_the_list(client_for, work, persona, sees_north, sees_south):
    client = client_for(persona)
    text = _csv(client.get(LIST, {"status": "all", "format": "csv"}))
    assert ("Send brochure" in text) is sees_north
    assert ("Price follow-up south" in text) is sees_south
    book = load_workbook(io.BytesIO(client.get(LIST, {"status": "all", "format": "xlsx"}).content))
    subjects = {row[2] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert ("Send brochure" in subjects) is sees_north
    assert ("Price follow-up south" in subjects) is sees_south


def test_the_export_follows_the_filters_and_shows_local_times(client_for, work):
    text = _csv(client_for("rep_north").get(LIST, {"status": "done", "q": "spring", "format": "csv"}))
    lines = text.strip().split("\r\n")
    assert len(lines) == 2 and lines[0].startswith("Kind;Direction;Subject;Customer;Owner;Region")
    cells = lines[1].split(";")
    assert cells[:6] == ["Call", "Outbound", "Price follow-up", "Karin Berg", "Rep_North Test", "North"]
    assert cells[8] == "2026-12-01 23:30"  # Stockholm wall time
    assert cells[10] == "Wants the spring catalogue"


def test_people_without_the_permission_cannot_export(client_for, work):
    for persona in ("clerk", "receptionist", "nobody"):
        assert client_for(persona).get(LIST, {"format": "csv"}).status_code == 403


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_exported_cells_starting_like_a_formula_are_neutralised(client_for, org, customer, start):
    activity_create(
        actor=org.user("rep_north"),
        party=customer,
        kind="call",
        subject=f'{start}HYPERLINK("http://evil.example","x")',
        done=True,
        outcome=f"{start}1+2",
        notes=f"{start}cmd|' /C calc'!A0",
    )
    client = client_for("rep_north")
    text = _csv(client.get(LIST, {"status": "all", "format": "csv"}))
    row = text.strip().split("\r\n")[1]
    assert f"'{start}HYPERLINK" in row and f"'{start}1+2" in row and f"'{start}cmd" in row
    assert f";{start}" not in row and not row.startswith(start)
    book = load_workbook(io.BytesIO(client.get(LIST, {"status": "all", "format": "xlsx"}).content))
    cells = [c for row in book.active.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    risky = [c for c in cells if c.value.startswith(start)]
    assert len(risky) == 3 and all(c.data_type == "s" for c in risky)  # text, never a formula


def test_the_api_list_takes_the_same_search_and_filters(client_for, org, work, customer):
    client = client_for("rep_north")

    def subjects(**params):
        response = client.get(API, {"status": "all", **params})
        assert response.status_code == 200, response.content
        return {row["subject"] for row in response.json()["results"]}

    assert subjects(q="invoices") == {"Catalogue"}
    assert subjects(q="olle") == {"Send brochure"}
    assert subjects(party=customer.pk) == {"Price follow-up", "Catalogue"}
    assert subjects(kind="task", owner="me") == {"Send brochure"}
    assert subjects(date_from="2026-12-01", date_to="2026-12-01") == {"Price follow-up"}
    assert subjects(due_from="2026-12-03", due_to="2026-12-03") == {"Send brochure"}
    assert subjects(q="south") == set()
    assert subjects(owner=str(org.user("rep_south").pk)) == set()
    assert subjects(party=work["south"].party_id) == set()
    bad = client.get(API, {"date_from": "1 Dec"})
    assert bad.status_code == 400 and "date_from" in bad.json()["errors"]


def test_list_export_and_api_run_a_constant_number_of_queries(
    client_for, org, customer, django_assert_max_num_queries
):
    rep = org.user("rep_north")

    def add(n):
        for i in range(n):
            activity_create(
                actor=rep,
                party=make_party(rep, first_name=f"P{i}", last_name=f"{n}", email=f"p{i}-{n}@example.com"),
                kind="task",
                subject=f"Catalogue task {i}",
                notes="spring",
                due_at=at("2026-12-02", "10:00"),
            )

    client = client_for("rep_north")
    params = {"status": "all", "q": "spring", "kind": "task", "owner": "me", "date_from": "2026-12-01"}
    counts = []
    for n in (3, 9):
        add(n)
        with django_assert_max_num_queries(14) as page:
            assert client.get(LIST, params).status_code == 200
        with django_assert_max_num_queries(10) as csv_export:
            assert client.get(LIST, {**params, "format": "csv"}).status_code == 200
        with django_assert_max_num_queries(10) as xlsx_export:
            assert client.get(LIST, {**params, "format": "xlsx"}).status_code == 200
        with django_assert_max_num_queries(12) as api:
            assert client.get(API, params).json()["count"] == Activity.objects.count()
        counts.append((len(page), len(csv_export), len(xlsx_export), len(api)))
    assert counts[0] == counts[1]  # the same number of queries for 3 and for 12 rows


def test_a_deactivated_owner_keeps_the_owner_filter(client_for, org, work):
    """A link to a person who has since left still lists only that person's activities (the
    filter used to accept active staff only, dropped the owner and listed everyone's)."""
    from frontoffice.org.models import Staff

    rep_south = org.user("rep_south")
    Staff.objects.filter(user=rep_south).update(active=False)
    page = client_for("nsm").get(LIST, {"owner": rep_south.pk, "status": "all"})
    assert page.status_code == 200
    assert [a.pk for a in page.context["page_obj"]] == [work["south"].pk]
    assert "(inactive)" in page.content.decode()
