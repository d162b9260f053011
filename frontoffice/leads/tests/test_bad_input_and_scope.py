"""Issue 5's "bad input" and scoping rules for leads, beyond test_views/test_intake/test_import:
every formula start (= + - @) neutralised in CSV and XLSX; malformed phones refused by the web
form and the API; a rep never sees another region's leads, assigned or not, in the list, its
filters, the XLSX export, global search or the API (list, filters, detail)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from frontoffice.leads.models import Lead
from frontoffice.leads.services import lead_create
from frontoffice.leads.tests.conftest import WEB_DATA
from frontoffice.parties.models import Party

pytestmark = pytest.mark.django_db

SOUTH = {
    **WEB_DATA,
    "email": "sven@malmo.example",
    "company": "Malmö Tand AB",
    "contact_name": "Sven Syd",
    "postal_code": "211 22",
}


@pytest.fixture
def south_leads(org, leads):
    """rep_south's routed lead and an unassigned lead of South (the region's pool)."""
    routed = lead_create(actor=None, data=dict(SOUTH), channel="web_form", source=leads.source)
    pool = lead_create(
        actor=org.user("nsm"),
        data={**SOUTH, "email": "pool@malmo.example", "contact_name": "Pia Pool", "company": "Pool AB"},
        region=org.south,
    )
    Lead.objects.filter(pk=pool.pk).update(owner=None)  # set-up: back in the region's pool
    assert routed.owner == org.people["rep_south"]
    return routed, pool


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_every_formula_start_is_neutralised_in_both_formats(org, leads, client_for, start):
    lead_create(
        actor=None,
        data={**WEB_DATA, "contact_name": f'{start}HYPERLINK("http://x.example")', "company": f"{start}cmd"},
        channel="web_form",
        source=leads.source,
    )
    client = client_for("nsm")
    text = client.get(reverse("leads:lead-list"), {"format": "csv"}).content.decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text), delimiter=";"))[1]
    assert row[1] == f'\'{start}HYPERLINK("http://x.example")'
    assert row[2] == f"'{start}cmd"
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
    book = load_workbook(io.BytesIO(client.get(reverse("leads:lead-list"), {"format": "xlsx"}).content))
    cells = [c for r in book.active.iter_rows(min_row=2) for c in r if isinstance(c.value, str)]
    risky = [c for c in cells if c.value.startswith(start)]
    assert {c.value for c in risky} >= {f'{start}HYPERLINK("http://x.example")', f"{start}cmd"}
    assert all(c.data_type == "s" for c in risky)  # text cells, never formulas


def test_malformed_phones_are_refused_by_the_web_form_and_the_api(org, leads, client, client_for):
    url = reverse("leads:web-form", args=["tandhalsan-web"])
    for phone in ("12", "12abc", "=1+1"):
        response = client.post(url, {**WEB_DATA, "phone": phone, "consent": "on"})
        assert response.status_code == 400, phone
        api = client_for("rsm_north").post(
            "/api/v1/leads/",
            {**WEB_DATA, "phone": phone, "source": leads.source.pk},
            content_type="application/json",
        )
        assert api.status_code == 400 and "phone" in api.json()["errors"], phone
        client.logout()
    assert Lead.objects.count() == 0 and Party.objects.count() == 0


def test_a_rep_never_sees_another_regions_leads_anywhere(org, leads, south_leads, client_for):
    routed, pool = south_leads
    north = lead_create(actor=None, data=dict(WEB_DATA), channel="web_form", source=leads.source)
    client = client_for("rep_north")
    south_ids = {routed.pk, pool.pk}
    # List, also when filtered to the other region or rep, and "my leads".
    for params in ({}, {"region": org.south.pk}, {"owner": org.people["rep_south"].pk}, {"q": "malmo"}):
        page = client.get(reverse("leads:lead-list"), params).content.decode()
        assert "Sven Syd" not in page and "Pia Pool" not in page, params
    # Exports in both formats, whatever the filters.
    for params in ({}, {"region": org.south.pk}):
        text = client.get(reverse("leads:lead-list"), {**params, "format": "csv"}).content.decode("utf-8-sig")
        assert "malmo.example" not in text
        book = load_workbook(
            io.BytesIO(client.get(reverse("leads:lead-list"), {**params, "format": "xlsx"}).content)
        )
        values = {c for r in book.active.iter_rows(values_only=True) for c in r}
        assert not {"Sven Syd", "Pia Pool", "sven@malmo.example"} & values
    # Global search: by name, e-mail and company.
    for q in ("sven", "pia pool", "malmo.example", "Malmö Tand"):
        groups = client.get(reverse("core:search"), {"q": q}).context["groups"]
        assert not [h for g in groups if g["key"] == "leads" for h in g["hits"]], q
    # API: list, its filters and the details.
    for params in ({}, {"region": org.south.pk}, {"owner": org.people["rep_south"].pk}, {"q": "sven"}):
        ids = {r["id"] for r in client.get("/api/v1/leads/", params).json()["results"]}
        assert not ids & south_ids, params
    for pk in south_ids:
        assert client.get(f"/api/v1/leads/{pk}/").status_code == 404
        assert client.get(reverse("leads:lead-detail", args=[pk])).status_code == 404
    assert client.get(f"/api/v1/leads/{north.pk}/").status_code == 200
    # rep_south sees both South leads (their own and their region's pool), in the API too.
    south = {r["id"] for r in client_for("rep_south").get("/api/v1/leads/").json()["results"]}
    assert south == south_ids
