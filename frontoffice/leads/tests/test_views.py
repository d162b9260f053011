"""Pages, API and exports: permissions (403), scope (404, absent from lists, search and
exports), the public web form's defences, query counts."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from frontoffice.leads.models import Lead
from frontoffice.leads.services import lead_create
from frontoffice.leads.tests.conftest import WEB_DATA

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_leads(org, leads):
    north = lead_create(actor=None, data=dict(WEB_DATA), channel="web_form", source=leads.source)
    south = lead_create(
        actor=None,
        data={
            **WEB_DATA,
            "email": "sven@malmo.example",
            "company": "Malmö Tand AB",
            "contact_name": "Sven Syd",
            "postal_code": "211 22",
        },
        channel="web_form",
        source=leads.source,
    )
    assert north.owner == org.people["rep_north"] and south.owner == org.people["rep_south"]
    return north, south


def test_a_rep_never_sees_another_regions_leads(org, leads, two_leads, client_for):
    north, south = two_leads
    client = client_for("rep_north")
    page = client.get(reverse("leads:lead-list")).content.decode()
    assert "Anna Andersson" in page and "Sven Syd" not in page
    assert client.get(reverse("leads:lead-detail", args=[north.pk])).status_code == 200
    assert client.get(reverse("leads:lead-detail", args=[south.pk])).status_code == 404
    assert client.post(reverse("leads:lead-disqualify", args=[south.pk]), {"reason": "x"}).status_code == 404
    search = client.get(reverse("core:search"), {"q": "sven"}).context["groups"]
    assert not [h for g in search if g["key"] == "leads" for h in g["hits"]]
    search = client.get(reverse("core:search"), {"q": "anna"}).context["groups"]
    assert [h.title for g in search if g["key"] == "leads" for h in g["hits"]] == ["Anna Andersson"]
    export = client.get(reverse("leads:lead-list"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "anna@umeatandvard.example" in export and "sven@malmo.example" not in export
    api = client.get("/api/v1/leads/").json()
    assert [r["id"] for r in api["results"]] == [north.pk]
    assert client.get(f"/api/v1/leads/{south.pk}/").status_code == 404
    assert (
        client.post(
            f"/api/v1/leads/{south.pk}/qualify/", {"answers": {}}, content_type="application/json"
        ).status_code
        == 404
    )
    # The manager of North sees North only; the national manager both.
    rsm = client_for("rsm_north").get("/api/v1/leads/").json()
    assert [r["id"] for r in rsm["results"]] == [north.pk]
    nsm = client_for("nsm").get("/api/v1/leads/").json()
    assert sorted(r["id"] for r in nsm["results"]) == sorted([north.pk, south.pk])


def test_unassigned_leads_of_the_own_region_are_visible_to_its_reps(org, leads, client_for):
    lead = lead_create(actor=org.user("rsm_north"), data=dict(WEB_DATA), region=org.north)
    Lead.objects.filter(pk=lead.pk).update(owner=None)
    assert client_for("rep_north").get(reverse("leads:lead-detail", args=[lead.pk])).status_code == 200
    assert client_for("rep_south").get(reverse("leads:lead-detail", args=[lead.pk])).status_code == 404
    response = client_for("rep_north").post(reverse("leads:lead-take", args=[lead.pk]))
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).owner == org.people["rep_north"]


def test_permissions_are_403(org, leads, two_leads, client_for):
    north, _south = two_leads
    client = client_for("receptionist")
    assert client.get(reverse("leads:lead-list")).status_code == 403
    assert client.get(f"/api/v1/leads/{north.pk}/").status_code == 403
    assert client_for("auditor").post(reverse("leads:lead-qualify", args=[north.pk]), {}).status_code == 403
    assert client_for("rep_north").get(reverse("leads:import")).status_code == 403
    assert client_for("rep_north").get(reverse("leads:settings")).status_code == 403
    assert client_for("auditor").get(reverse("leads:lead-list"), {"format": "xlsx"}).status_code == 403


def test_list_query_count_is_constant(org, leads, client_for, django_assert_max_num_queries):
    for n in range(12):
        lead_create(
            actor=None,
            data={**WEB_DATA, "email": f"p{n}@x.example", "company": f"P{n} AB", "phone": ""},
            channel="web_form",
            source=leads.source,
        )
    client = client_for("nsm")
    client.get(reverse("leads:lead-list"))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("leads:lead-list"), {"stage": "new", "overdue": ""})
    assert response.content.decode().count('data-testid="lead-row"') == 12
    with django_assert_max_num_queries(12):
        client.get("/api/v1/leads/")


def test_export_is_formula_safe(org, leads, client_for):
    lead_create(
        actor=None,
        data={**WEB_DATA, "contact_name": '=HYPERLINK("x")', "company": "+cmd"},
        channel="web_form",
        source=leads.source,
    )
    client = client_for("nsm")
    csv_text = client.get(reverse("leads:lead-list"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'+cmd" in csv_text
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(reverse("leads:lead-list"), {"format": "xlsx"}).content))
    cells = [
        c
        for row in book.active.iter_rows()
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert cells and all(c.data_type == "s" for c in cells)


def test_web_form_creates_a_routed_lead(org, leads, client):
    url = reverse("leads:web-form", args=["tandhalsan-web"])
    assert client.get(url).status_code == 200
    response = client.post(url, {**WEB_DATA, "consent": "on", "website": ""})
    assert response.status_code == 302 and response.url.endswith("/thanks/")
    lead = Lead.objects.get()
    assert lead.channel == "web_form" and lead.owner == org.people["rep_north"]
    assert client.get(reverse("leads:web-form", args=["nope"])).status_code == 404


def test_web_form_honeypot_duplicate_and_rate_limit(org, leads, client, settings):
    url = reverse("leads:web-form", args=["tandhalsan-web"])
    bot = client.post(url, {**WEB_DATA, "consent": "on", "website": "http://spam.example"})
    assert bot.status_code == 302 and Lead.objects.count() == 0  # the same thanks, nothing stored
    first = client.post(url, {**WEB_DATA, "consent": "on"})
    again = client.post(url, {**WEB_DATA, "consent": "on"})
    assert first.status_code == again.status_code == 302 and first.url == again.url
    assert Lead.objects.count() == 1
    bad = client.post(url, {**WEB_DATA, "email": "nope", "consent": "on"})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.content.decode()
    settings.LEADS_WEB_FORM_LIMIT = 4  # the bot, two good posts and the bad one were counted
    limited = client.post(url, {**WEB_DATA, "email": "new@x.example", "consent": "on"})
    assert limited.status_code == 429 and Lead.objects.count() == 1
    other_ip = client.post(
        url, {**WEB_DATA, "email": "new@x.example", "consent": "on"}, REMOTE_ADDR="10.9.9.9"
    )
    assert other_ip.status_code == 302 and Lead.objects.count() == 2


def test_detail_qualify_and_convert_through_the_pages(org, leads, two_leads, client_for):
    north, _south = two_leads
    client = client_for("rep_north")
    page = client.get(reverse("leads:lead-detail", args=[north.pk]))
    assert page.status_code == 200 and "Budget" in page.content.decode()
    response = client.post(
        reverse("leads:lead-qualify", args=[north.pk]),
        {"q_budget": "on", "q_need": "on", "q_authority": "on", "qualified": "on"},
    )
    assert response.status_code == 302
    north.refresh_from_db()
    assert north.stage == "qualified" and north.checklist_score == 75
    response = client.post(
        reverse("leads:lead-convert", args=[north.pk]),
        {"name": "Chairs", "amount": "5000", "expected_close_on": "2026-12-31"},
    )
    assert response.status_code == 302
    north.refresh_from_db()
    assert north.stage == "converted" and north.opportunity.name == "Chairs"
    refused = client.post(reverse("leads:lead-disqualify", args=[north.pk]), {"reason": "late"})
    assert refused.status_code == 400


def test_api_create_with_idempotency_key_and_bad_input(org, leads, client_for):
    client = client_for("rsm_north")
    body = {**WEB_DATA, "source": leads.source.pk}
    first = client.post("/api/v1/leads/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc")
    again = client.post("/api/v1/leads/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Lead.objects.count() == 1
    bad = client.post(
        "/api/v1/leads/", {**body, "email": "x@", "region": ""}, content_type="application/json"
    )
    assert bad.status_code == 400 and "email" in bad.json()["errors"]
    unknown = client.post(
        "/api/v1/leads/",
        {**body, "email": "z@z.example", "region": "atlantis"},
        content_type="application/json",
    )
    assert unknown.status_code == 400 and "region" in unknown.json()["errors"]
    assert Lead.objects.count() == 1


def test_party_page_shows_the_leads_panel(org, leads, two_leads, client_for):
    north, _south = two_leads
    page = (
        client_for("rep_north").get(reverse("parties:party-detail", args=[north.party_id])).content.decode()
    )
    assert 'data-testid="party-leads"' in page


def test_gdpr_export_and_erase(org, leads, two_leads):
    from frontoffice.leads.registrations import _erase, _export

    north, _south = two_leads
    data = _export(north.party)
    assert data[0]["email"] == "anna@umeatandvard.example"
    assert _erase(north.party, org.user("admin")) == 1
    north.refresh_from_db()
    assert (north.email, north.phone, north.message, north.contact_name) == ("", "", "", "—")


def test_import_pages(org, leads, client_for, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("rsm_north")
    csv_bytes = b"Name,Company,Email,Postcode\nA,A AB,a@a.example,90326\nB,B AB,broken,90326\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("leads:import"), {"file": SimpleUploadedFile("l.csv", csv_bytes)})
    assert response.status_code == 302
    detail = client.get(response.url)
    assert detail.content.decode().count('data-testid="preview-row"') == 2
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(
            response.url,
            {
                "map_contact_name": "Name",
                "map_company": "Company",
                "map_email": "Email",
                "map_postal_code": "Postcode",
            },
        )
    page = client.get(posted.url).content.decode()
    assert 'data-testid="import-row-error"' in page and Lead.objects.count() == 0
    refused = client.post(
        reverse("leads:import"), {"file": SimpleUploadedFile("l.csv", "Name\nÅ\n".encode("latin-1"))}
    )
    assert refused.status_code == 200 and "not UTF-8" in refused.content.decode()


def test_api_assign_qualify_disqualify_convert(org, leads, two_leads, client_for):
    north, south = two_leads
    rsm = client_for("rsm_north")
    moved = rsm.post(
        f"/api/v1/leads/{north.pk}/assign/",
        {"owner": leads.rep_north2.pk, "reason": "Holiday"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["owner"]["id"] == leads.rep_north2.pk
    assert (
        rsm.post(
            f"/api/v1/leads/{north.pk}/assign/",
            {"owner": None, "reason": ""},
            content_type="application/json",
        ).status_code
        == 400
    )
    org.people["rep_north2"] = leads.rep_north2
    rep2 = client_for("rep_north2")
    assert rep2.post(f"/api/v1/leads/{north.pk}/convert/", {}, content_type="application/json").json()["code"]
    q = rep2.post(
        f"/api/v1/leads/{north.pk}/qualify/",
        {"answers": {"budget": True, "need": True}, "qualified": True},
        content_type="application/json",
    )
    assert q.status_code == 200 and (q.json()["stage"], q.json()["score"]) == ("qualified", 50)
    converted = rep2.post(
        f"/api/v1/leads/{north.pk}/convert/",
        {"amount": "1000.00", "expected_close_on": "2026-12-01"},
        content_type="application/json",
    )
    assert converted.status_code == 200 and converted.json()["opportunity"]
    out = client_for("rep_south").post(
        f"/api/v1/leads/{south.pk}/disqualify/", {"reason": "No need"}, content_type="application/json"
    )
    assert out.status_code == 200 and out.json()["stage"] == "disqualified"


def test_settings_pages_save_with_audit(org, leads, client_for):
    from frontoffice.core.audit import AuditEntry
    from frontoffice.leads.models import LeadSource

    client = client_for("nsm")
    assert client.get(reverse("leads:settings")).status_code == 200
    response = client.post(
        reverse("leads:settings-create", args=["source"]),
        {
            "name": "Partner",
            "first_contact_target": "8",
            "first_contact_unit": "working_hours",
            "web_form_key": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    source = LeadSource.objects.get(name="Partner")
    assert AuditEntry.objects.filter(action="leads.source.created", object_id=str(source.pk)).exists()
    bad = client.post(
        reverse("leads:settings-create", args=["rule"]), {"priority": "1", "region": org.other_region.pk}
    )
    assert bad.status_code == 200  # a region of another legal entity is not offered


def test_a_deactivated_owner_keeps_the_owner_filter(org, leads, two_leads, client_for):
    """A link to the leads of a rep who has since left lists only theirs (the filter accepted
    active staff only, dropped the owner and listed everyone's)."""
    from frontoffice.org.models import Staff

    _north, south = two_leads
    Staff.objects.filter(user=org.people["rep_south"]).update(active=False)
    page = client_for("nsm").get(reverse("leads:lead-list"), {"owner": org.people["rep_south"].pk})
    assert page.status_code == 200
    assert [lead.pk for lead in page.context["page_obj"]] == [south.pk]
    assert "(inactive)" in page.content.decode()


def test_the_owner_filter_names_only_people_of_the_viewers_company(org, leads, client_for):
    """The owner choices of the lead list never name another company's reps."""
    from frontoffice.org.models import Role, Staff, User

    outsider = User.objects.create_user(username="outsider", first_name="Otto", last_name="Utomstående")
    Staff.objects.create(
        user=outsider,
        legal_entity=org.other_company,
        role=Role.objects.get(code="sales_rep"),
        home_region=org.other_region,
        home_location=org.other_office,
    )
    for viewer in ("nsm", "rsm_north"):
        page = client_for(viewer).get(reverse("leads:lead-list"))
        owners = list(page.context["filter_form"].fields["owner"].queryset)
        assert outsider not in owners and org.people["rep_north"] in owners, viewer
        assert "Utomstående" not in page.content.decode()
