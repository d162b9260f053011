"""Quote pages: list (filters, constant queries), scope and permission denials, create from
the customer page, HTMX line editing with live totals, approval, PDF, convert."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from frontoffice.quotes.models import Quote
from frontoffice.quotes.services import quote_accept, quote_approval_request, quote_create, quote_send

pytestmark = pytest.mark.django_db


def make(org, world, rep="rep_north", party=None, **kw):
    return quote_create(
        actor=org.user(rep), party=party or world.north, lines=[{"product": world.catalogue.exam}], **kw
    )


def test_the_list_runs_constant_queries_and_filters(client_for, org, world, django_assert_max_num_queries):
    for _ in range(6):
        make(org, world)
    make(org, world, rep="rep_south", party=world.south)
    client = client_for("rep_north")
    with django_assert_max_num_queries(14):
        response = client.get("/quotes/")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="quote-row"') == 6
    response = client.get("/quotes/", {"status": "sent"})
    assert response.content.decode().count('data-testid="quote-row"') == 0
    response = client.get("/quotes/", {"q": "Q2026-00002"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and body.count('data-testid="quote-row"') == 1
    finance = client_for("finance_manager").get("/quotes/").content.decode()
    assert finance.count('data-testid="quote-row"') == 7


def test_people_without_permission_get_403_and_out_of_scope_quotes_404(client_for, org, world):
    quote = make(org, world)
    assert client_for("receptionist").get("/quotes/").status_code == 403
    assert client_for("receptionist").get(f"/quotes/{quote.pk}/").status_code == 403
    assert client_for("rep_south").get(f"/quotes/{quote.pk}/").status_code == 404
    assert client_for("other_clerk").get(f"/quotes/{quote.pk}/").status_code == 404
    assert "Q2026-00001" not in client_for("rep_south").get("/quotes/").content.decode()
    assert client_for("rep_south").post(f"/quotes/{quote.pk}/send/").status_code == 404
    assert client_for("auditor").post(f"/quotes/{quote.pk}/send/").status_code == 403
    assert client_for("auditor").get(f"/quotes/{quote.pk}/").status_code == 200
    assert client_for("rep_south").get(f"/quotes/{quote.pk}/pdf/").status_code == 404


def test_a_quote_is_created_from_the_customer_page(client_for, org, world):
    client = client_for("rep_north")
    page = client.get(world.north.get_absolute_url()).content.decode()
    assert 'data-testid="party-quotes"' in page and f"/quotes/new/?party={world.north.pk}" in page
    form = client.get(f"/quotes/new/?party={world.north.pk}")
    assert form.status_code == 200
    response = client.post("/quotes/new/", {"customer": world.north.pk, "valid_until": "2026-04-30"})
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/quotes/{quote.pk}/"
    assert quote.valid_until.isoformat() == "2026-04-30"
    # rep_south cannot pick rep_north's customer
    assert client_for("rep_south").post("/quotes/new/", {"customer": world.north.pk}).status_code == 200
    assert Quote.objects.count() == 1


def test_lines_are_added_with_htmx_and_totals_follow(client_for, org, world):
    quote = quote_create(actor=org.user("rep_north"), party=world.north)
    client = client_for("rep_north")
    preview = client.post(
        f"/quotes/{quote.pk}/lines/preview/",
        {"line-product": world.catalogue.exam.pk, "line-quantity": "2"},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-testid="line-preview"' in preview.content.decode()
    response = client.post(
        f"/quotes/{quote.pk}/lines/",
        {"line-product": world.catalogue.exam.pk, "line-quantity": "2"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="quote-lines"' in body
    quote.refresh_from_db()
    assert quote.total_amount == Decimal("2125.00")
    bad = client.post(f"/quotes/{quote.pk}/lines/", {"line-quantity": "abc"}, HTTP_HX_REQUEST="true")
    assert "field--error" in bad.content.decode()
    assert quote.lines.count() == 1
    line = quote.lines.get()
    client.post(
        f"/quotes/{quote.pk}/lines/{line.pk}/", {f"line-{line.pk}-quantity": "1"}, HTTP_HX_REQUEST="true"
    )
    quote.refresh_from_db()
    assert quote.total_amount == Decimal("1062.50")
    client.post(f"/quotes/{quote.pk}/lines/{line.pk}/delete/", HTTP_HX_REQUEST="true")
    quote.refresh_from_db()
    assert quote.total_amount == Decimal("0.00")


def test_the_approver_decides_on_the_quote_page_and_the_history_shows(client_for, org, world):
    rep = org.user("rep_north")
    quote = quote_create(
        actor=rep, party=world.north, lines=[{"product": world.catalogue.soft, "discount_percent": "15"}]
    )
    page = client_for("rep_north").get(f"/quotes/{quote.pk}/").content.decode()
    assert 'data-testid="quote-request-approval"' in page
    quote_approval_request(actor=rep, quote=quote)
    response = client_for("rsm_north").post(f"/quotes/{quote.pk}/approve/", {"comment": "OK"})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.approval_status == Quote.Approval.APPROVED
    page = client_for("rep_north").get(f"/quotes/{quote.pk}/").content.decode()
    assert page.count('data-testid="approval-decision"') == 2
    assert client_for("rep_north").post(f"/quotes/{quote.pk}/approve/").status_code == 403


def test_the_staff_pdf_carries_the_quote(client_for, org, world):
    quote = make(org, world)
    response = client_for("rep_north").get(f"/quotes/{quote.pk}/pdf/")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Q2026-00001" in text and "Norrsken Bygg AB" in text and "Exam (EXAM)" in text
    assert "2,125.00" in text or "1,062.50" in text


def test_the_clerk_converts_an_accepted_quote_from_its_page(client_for, org, world):
    quote = make(org, world)
    quote_accept(quote=quote_send(actor=org.user("rep_north"), quote=quote), name="Anna", confirmed=True)
    response = client_for("clerk").post(f"/quotes/{quote.pk}/invoice/")
    quote.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == f"/billing/invoices/{quote.invoice_id}/"
    assert client_for("rep_north").post(f"/quotes/{quote.pk}/invoice/").status_code == 302
    quote.refresh_from_db()
    assert quote.invoice.source_type == "quote"


def test_a_repeat_order_link_asks_then_makes_the_quote(client_for, org, world):
    from frontoffice.billing.services.invoicing import invoice_draft_create

    invoice = invoice_draft_create(
        actor=org.user("clerk"),
        legal_entity=org.company,
        party=world.north,
        lines=[{"product": world.catalogue.exam, "quantity": "3"}],
    )
    client = client_for("rep_north")
    page = client.get(f"/quotes/from-invoice/{invoice.pk}/")
    assert page.status_code == 200 and 'data-testid="quote-from-invoice"' in page.content.decode()
    assert Quote.objects.count() == 0
    response = client.post(f"/quotes/from-invoice/{invoice.pk}/")
    quote = Quote.objects.get()
    assert response["Location"] == f"/quotes/{quote.pk}/" and quote.lines.get().quantity == Decimal("3")
    assert client_for("rep_south").get(f"/quotes/from-invoice/{invoice.pk}/").status_code == 404


def test_a_quote_waiting_for_approval_is_in_the_approvers_queue(client_for, org, world):
    rep = org.user("rep_north")
    quote = quote_create(
        actor=rep, party=world.north, lines=[{"product": world.catalogue.soft, "discount_percent": "15"}]
    )
    quote_approval_request(actor=rep, quote=quote)
    page = client_for("rsm_north").get("/pricing/approvals/").content.decode()
    assert f'href="/quotes/{quote.pk}/"' in page and "Q2026-00001" in page
