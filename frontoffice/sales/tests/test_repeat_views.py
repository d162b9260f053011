"""Repeat-customer pages: worklist, customer history, export, customer-page panel; denials."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import NoReverseMatch, reverse

from frontoffice.sales.tests.test_repeat_data import *  # noqa: F403 - fixtures
from frontoffice.sales.tests.test_repeat_data import issue, make_customer, make_draft
from frontoffice.sales.views import repeat as views

pytestmark = pytest.mark.django_db
# Jun 10, 2026: beta overdue (after Jun 5), alpha due (from May 31), delta (South) overdue.
TODAY = datetime.datetime(2026, 6, 10, 9, 0, tzinfo=datetime.UTC)
WORKLIST = "/sales/repeat/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def test_worklist_url_and_nav():
    assert reverse("sales:repeat-worklist") == WORKLIST


def test_rep_sees_own_customers_overdue_first_with_a_quote_link(history, client_for):
    response = client_for("rep_north").get(WORKLIST)
    assert response.status_code == 200
    rows = response.context["page_obj"].object_list
    assert [r.party.pk for r in rows] == [history.beta.pk, history.alpha.pk]
    html = response.content.decode()
    assert "Beta Klinik AB" in html and "Alpha Tand AB" in html
    assert "Delta Syd AB" not in html
    quote = reverse("quotes:quote-from-invoice", kwargs={"invoice_id": history.invoices["a5"].pk})
    assert f'href="{quote}"' in html
    assert 'name="owner"' not in html  # a rep has no rep/region filter


def test_quote_link_is_left_out_while_the_quotes_url_does_not_exist(monkeypatch):
    def missing(*args, **kwargs):
        raise NoReverseMatch("quotes:quote-from-invoice")

    monkeypatch.setattr(views, "reverse", missing)
    assert views.quote_from_invoice_url(12) is None


def test_manager_filters_by_region_and_rep(history, client_for, org):
    client = client_for("nsm")
    everyone = client.get(WORKLIST).context["page_obj"].object_list
    assert [r.party.pk for r in everyone] == [history.delta.pk, history.beta.pk, history.alpha.pk]
    south = client.get(WORKLIST, {"region": org.south.pk}).context["page_obj"].object_list
    assert [r.party.pk for r in south] == [history.delta.pk]
    north_rep = client.get(WORKLIST, {"owner": org.user("rep_north").pk, "kind": "due"})
    assert [r.party.pk for r in north_rep.context["page_obj"].object_list] == [history.alpha.pk]
    regional = client_for("rsm_north").get(WORKLIST, {"region": org.south.pk})
    # South is not among a North manager's regions: the filter is refused, the scope stays North.
    assert [r.party.pk for r in regional.context["page_obj"].object_list] == [
        history.beta.pk,
        history.alpha.pk,
    ]


def test_htmx_request_gets_only_the_results_fragment(history, client_for):
    response = client_for("rep_north").get(WORKLIST, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="repeat-results"' in html
    assert "<html" not in html


def test_worklist_needs_the_permission(history, client_for):
    assert client_for("receptionist").get(WORKLIST).status_code == 403
    assert client_for("clerk").get(WORKLIST).status_code == 403
    assert client_for("nobody").get(WORKLIST).status_code == 403


def test_other_company_sees_an_empty_worklist(history, client_for, org):
    from django.contrib.auth.models import Permission

    from frontoffice.org.models import Staff

    staff = Staff.objects.get(user=org.user("other_clerk"))
    staff.role.permissions.add(
        Permission.objects.get(codename="view_opportunity", content_type__app_label="sales")
    )
    response = client_for("other_clerk").get(WORKLIST)
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 0


def test_worklist_query_count_does_not_grow_with_rows(
    history, client_for, django_assert_max_num_queries, org
):
    client = client_for("nsm")
    client.get(WORKLIST)  # warm the session and permission caches
    with django_assert_max_num_queries(16):
        client.get(WORKLIST)
    actor = org.user("finance_manager")
    gloves = history.products["gloves"]
    drafts = []
    for n in range(4):
        profile = make_customer(
            history.alpha.legal_entity, name=f"Extra {n} AB", owner=org.user("rep_north"), region=org.north
        )
        for month in (1, 2, 3):
            drafts.append(
                make_draft(actor, profile, (gloves, "1"), issue_on=datetime.date(2026, month, 1 + n))
            )
    issue(actor, drafts)
    response = client.get(WORKLIST)
    assert response.context["page_obj"].paginator.count == 7
    with django_assert_max_num_queries(16):
        client.get(WORKLIST)


def test_export_is_formula_safe_and_scoped(history, client_for, org):
    party = history.beta
    party.display_name = "=HYPERLINK(1)"
    party.save(update_fields=["display_name"])
    response = client_for("rep_north").get(WORKLIST, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Customer"
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)", "Alpha Tand AB"]
    assert rows[1][4:7] == ["2026-04-09", "45", "2026-05-24"]
    south = client_for("rep_south").get(WORKLIST, {"format": "csv"}).content.decode("utf-8-sig")
    assert "Alpha Tand AB" not in south and "Delta Syd AB" in south
    assert client_for("clerk").get(WORKLIST, {"format": "csv"}).status_code == 403
    xlsx = client_for("rep_north").get(WORKLIST, {"format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A2"].value == "=HYPERLINK(1)"
    assert sheet["A2"].data_type == "s"  # text, never a formula


def test_customer_history_page_and_denials(history, client_for):
    url = reverse("sales:repeat-customer", args=[history.alpha.pk])
    response = client_for("rep_north").get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="history-invoice"') == 6
    assert html.count('data-testid="rhythm-group"') == 2
    assert "quote-from-last-order" in html
    assert client_for("rep_south").get(url).status_code == 404
    assert client_for("receptionist").get(url).status_code == 403
    assert client_for("rep_north").get(reverse("sales:repeat-customer", args=[999999])).status_code == 404


def test_customer_page_shows_the_purchase_rhythm_panel(history, client_for):
    url = reverse("parties:party-detail", args=[history.alpha.pk])
    html = client_for("rep_north").get(url).content.decode()
    assert 'data-testid="purchase-rhythm-panel"' in html
    assert "Purchase rhythm" in html
    # No permission for the sales desk: no panel (the clerk still sees the customer).
    clerk = client_for("clerk").get(url)
    assert clerk.status_code == 200
    assert 'data-testid="purchase-rhythm-panel"' not in clerk.content.decode()


def test_customer_page_panel_is_hidden_without_purchases(billing, client_for, org):
    profile = make_customer(billing, name="Never Bought AB", owner=org.user("rep_north"), region=org.north)
    html = (
        client_for("rep_north").get(reverse("parties:party-detail", args=[profile.party.pk])).content.decode()
    )
    assert 'data-testid="purchase-rhythm-panel"' not in html


def test_purchase_rhythm_panel_runs_a_constant_number_of_queries(
    suggestion_world, org, rf, django_assert_max_num_queries
):
    request = rf.get("/")
    request.user = org.user("rep_north")
    request.user.has_perm(views.VIEW)  # load the permission cache, as the customer page has
    with django_assert_max_num_queries(7):
        context = views.party_panel_context(request, suggestion_world.target)
    assert [s.product.code for s in context["suggestions"]] == ["Y", "Z"]
    assert context["rhythm"].purchase_dates == 1
    request.user = org.user("rep_south")
    assert views.party_panel_context(request, suggestion_world.target) is None
