"""Issue 5's "bad input" and scoping rules for opportunities, beyond test_views/test_api: every
formula start (= + - @) neutralised in CSV and XLSX; a rep never sees another region's
opportunities through the list's filters, either export format, global search or the API (list,
filters, detail)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from frontoffice.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db
LIST = "sales:opportunity-list"
API = "/api/v1/sales/opportunities/"


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_every_formula_start_is_neutralised_in_both_formats(client_for, org, sales, start):
    make_opportunity(
        org.user("rep_north"),
        sales.north_party,
        name=f'{start}HYPERLINK("http://x.example")',
        competitors=f"{start}cmd|' /C calc'!A0",
    )
    client = client_for("rep_north")
    text = client.get(reverse(LIST), {"format": "csv"}).content.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))[:2]
    assert row[0] == f'\'{start}HYPERLINK("http://x.example")'
    assert row[header.index("Competitors")] == f"'{start}cmd|' /C calc'!A0"
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
    book = load_workbook(io.BytesIO(client.get(reverse(LIST), {"format": "xlsx"}).content))
    cells = [c for r in book.active.iter_rows(min_row=2) for c in r if isinstance(c.value, str)]
    risky = [c for c in cells if c.value.startswith(start)]
    assert len(risky) == 2 and all(c.data_type == "s" for c in risky)  # text, never formulas


def test_a_rep_never_sees_another_regions_opportunities_anywhere(client_for, org, sales):
    north = make_opportunity(org.user("rep_north"), sales.north_party, name="North deal")
    south = make_opportunity(org.user("rep_south"), sales.south_party, name="South deal")
    client = client_for("rep_north")
    for params in ({}, {"region": org.south.pk}, {"owner": org.people["rep_south"].pk}, {"q": "south"}):
        page = client.get(reverse(LIST), params).content.decode()
        assert "South deal" not in page, params
        text = client.get(reverse(LIST), {**params, "format": "csv"}).content.decode("utf-8-sig")
        assert "South deal" not in text, params
        book = load_workbook(io.BytesIO(client.get(reverse(LIST), {**params, "format": "xlsx"}).content))
        assert "South deal" not in {c for r in book.active.iter_rows(values_only=True) for c in r}
        ids = {r["id"] for r in client.get(API, params).json()["results"]}
        assert south.pk not in ids, params
    groups = client.get(reverse("core:search"), {"q": "south deal"}).context["groups"]
    assert not [h for g in groups if g["key"] == "opportunities" for h in g["hits"]]
    assert client.get(f"{API}{south.pk}/").status_code == 404
    assert client.get(f"{API}{north.pk}/").status_code == 200
    # The manager of North the same; the national manager sees both.
    rsm = {r["id"] for r in client_for("rsm_north").get(API).json()["results"]}
    assert rsm == {north.pk}
    nsm = {r["id"] for r in client_for("nsm").get(API).json()["results"]}
    assert nsm == {north.pk, south.pk}
