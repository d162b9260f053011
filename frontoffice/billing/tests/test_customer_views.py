"""The customer's invoice page behind a private link, and the staff side of documents: the
"Customer link" panel and the PDF / e-invoice downloads."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from peppol import validate_xsd

from frontoffice.billing.models import CustomerLink, Invoice
from frontoffice.billing.services.links import link_create, link_revoke
from frontoffice.billing.tests.document_factories import credit_all, issue, make_profile, seller_settings

PRIVATE = {
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store, private, max-age=0",
}


def assert_private(response) -> None:
    for header, value in PRIVATE.items():
        assert response[header] == value, header


def page(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode().replace("\xa0", " "))


@pytest.fixture
def invoices(billing, org):
    """Customer A (rep North's) and customer B (rep South's), one invoice each."""
    seller_settings(billing)
    a = make_profile(billing, owner=org.user("rep_north"), region=org.north, buyer_reference="Anna Berg")
    b = make_profile(
        billing,
        name="Söderbergs Tandlab AB",
        owner=org.user("rep_south"),
        region=org.south,
        organisation_number="556677-0003",
        vat_number="SE556677000301",
        street="Södra vägen 9",
        city="Malmö",
        postal_code="211 22",
    )
    invoice_a = issue(a, [("Undersökning", "2", "850.00", "SE25"), ("Lunch", "3", "95.50", "SE12")])
    invoice_b = issue(b, [("Tandlabbstjänst", "1", "4990.00", "SE25")])
    return invoice_a, invoice_b


@pytest.fixture
def link_a(invoices, org):
    return link_create(actor=org.user("clerk"), invoice=invoices[0])


# ---------------------------------------------------------------- the customer's page


def test_the_customer_sees_the_invoice_without_signing_in(
    client, invoices, link_a, django_assert_max_num_queries
):
    invoice_a, _ = invoices
    with django_assert_max_num_queries(8):
        response = client.get(link_a.path)
    assert response.status_code == 200
    assert_private(response)
    html = page(response)
    for item in [
        "F2026-00001",
        "Tandhälsan Norden AB",
        "Norrsken Bygg AB",
        "Undersökning",
        "Lunch",
        "1 700,00 kr",  # line amount
        "25 %",
        "12 %",
        "425,00 kr",  # VAT 25 %
        "34,38 kr",  # VAT 12 %
        "2 445,88 kr",  # amount to pay
        invoice_a.payment_reference,
        "2026-04-15",  # due date
        "5050-1055",
        "SE45 5000 0000 0583 9825 7466",
        "Anna Berg",
        'name="robots" content="noindex',
    ]:
        assert item in html, item
    assert 'data-testid="document-status"' in html
    assert reverse("customer:invoice-pdf", kwargs={"token": link_a.token}) in html
    assert reverse("customer:invoice-xml", kwargs={"token": link_a.token}) in html
    # no staff navigation, no other document
    assert "sidebar" not in html
    assert "Söderbergs" not in html


def test_the_page_is_in_the_invoices_language_whatever_the_browser_asks(client, invoices, billing, org):
    english = make_profile(
        billing, name="Nordic Dental Ltd", language="en", organisation_number="556123-4567"
    )
    invoice = issue(english, [("Check-up", "1", "850.00", "SE25")])
    made = link_create(actor=org.user("clerk"), invoice=invoice)
    response = client.get(made.path, HTTP_ACCEPT_LANGUAGE="sv")
    html = page(response)
    assert response["Content-Language"] == "en"
    assert 'lang="en"' in html
    assert "SEK 1,062.50" in html


def test_the_pdf_and_the_e_invoice_download(client, invoices, link_a):
    pdf = client.get(reverse("customer:invoice-pdf", kwargs={"token": link_a.token}))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="invoice-F2026-00001.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    assert_private(pdf)
    xml = client.get(reverse("customer:invoice-xml", kwargs={"token": link_a.token}))
    assert xml.status_code == 200
    assert xml["Content-Type"] == "application/xml"
    assert validate_xsd(xml.content)[0] is True
    assert b"<cbc:ID>F2026-00001</cbc:ID>" in xml.content
    assert_private(xml)
    link_a.link.refresh_from_db()
    assert link_a.link.use_count == 2


def test_a_credit_note_page_names_the_credited_invoice(client, invoices, org):
    credit = credit_all(invoices[0])
    made = link_create(actor=org.user("clerk"), invoice=credit)
    html = page(client.get(made.path))
    assert "K2026-00001" in html
    assert "F2026-00001" in html
    assert 'data-testid="amount-credited"' in html
    assert 'data-testid="amount-to-pay"' not in html


def test_no_e_invoice_link_when_the_customer_has_no_peppol_address(client, billing, org):
    seller_settings(billing)
    foreign = make_profile(
        billing, name="Fjord Dental AS", organisation_number="", vat_number="", country="NO"
    )
    invoice = issue(foreign, [("Dental chair", "1", "40000.00", "EXP")])
    made = link_create(actor=org.user("clerk"), invoice=invoice)
    html = page(client.get(made.path))
    assert 'data-testid="download-xml"' not in html
    assert client.get(reverse("customer:invoice-xml", kwargs={"token": made.token})).status_code == 404


def test_a_link_reaches_only_its_own_document(client, invoices, link_a, org):
    """Customer A's link never shows customer B's invoice: there is no id to change."""
    _, invoice_b = invoices
    link_b = link_create(actor=org.user("clerk"), invoice=invoice_b)
    attempts = [
        f"{link_a.path}?invoice={invoice_b.pk}",
        f"{link_a.path}?pk={invoice_b.pk}&id={invoice_b.pk}",
        f"/c/{link_a.token}/{invoice_b.pk}/",
        f"/c/{link_a.token}/pdf/?invoice={invoice_b.pk}",
        f"/c/{link_a.token[:-1]}/",
        f"/c/{link_a.token}{link_b.token}/",
        f"/c/{invoice_b.pk}/",
        f"/c/{link_b.link.pk}/",
        f"/c/{link_a.token}/..%2F{link_b.token}/",
    ]
    for url in attempts:
        response = client.get(url)
        body = response.content.decode(errors="replace")
        assert "Söderbergs" not in body, url
        assert "F2026-00002" not in body, url
        assert invoice_b.payment_reference not in body, url
    xml = client.get(f"/c/{link_a.token}/xml/?invoice={invoice_b.pk}").content
    assert b"F2026-00001" in xml
    assert b"Tandlab" not in xml
    # and B's own link shows B's invoice only
    html = page(client.get(link_b.path))
    assert "Söderbergs Tandlab AB" in html
    assert "Norrsken" not in html


@pytest.mark.parametrize(
    "token", ["A" * 43, "not-a-token", "x" * 200, "%00"], ids=["guess", "short", "long", "nul"]
)
def test_a_guessed_token_is_not_found(client, invoices, link_a, token):
    response = client.get(f"/c/{token}/")
    assert response.status_code == 404
    assert_private(response)
    assert 'data-testid="link-unavailable"' in response.content.decode()
    assert "Norrsken" not in response.content.decode()


def test_an_expired_link_is_gone(client, invoices, org):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        made = link_create(actor=org.user("clerk"), invoice=invoices[0], days=1)
    with time_machine.travel(now + datetime.timedelta(days=1, seconds=1), tick=False):
        for url in (made.path, reverse("customer:invoice-pdf", kwargs={"token": made.token})):
            response = client.get(url)
            assert response.status_code == 410
            assert_private(response)
            body = response.content.decode()
            assert 'data-testid="link-unavailable"' in body
            assert "F2026-00001" not in body


def test_a_revoked_link_is_gone(client, invoices, link_a, org):
    assert client.get(link_a.path).status_code == 200
    link_revoke(actor=org.user("clerk"), link=link_a.link)
    for url in (
        link_a.path,
        reverse("customer:invoice-pdf", kwargs={"token": link_a.token}),
        reverse("customer:invoice-xml", kwargs={"token": link_a.token}),
    ):
        response = client.get(url)
        assert response.status_code == 410
        assert "Norrsken" not in response.content.decode(errors="replace")


@override_settings(BILLING_LINK_LIMIT_PER_TOKEN=3)
def test_opening_one_link_too_often_is_rate_limited(client, invoices, link_a):
    statuses = [client.get(link_a.path, REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


@override_settings(BILLING_LINK_FAILURES_PER_ADDRESS=3)
def test_guessing_from_one_address_is_stopped(client, invoices, link_a):
    for n in range(3):
        assert client.get(f"/c/{'g' * 42}{n}/", REMOTE_ADDR="203.0.113.5").status_code == 404
    # even the right token is refused to that address for now; others still get through
    assert client.get(link_a.path, REMOTE_ADDR="203.0.113.5").status_code == 429
    assert client.get(link_a.path, REMOTE_ADDR="203.0.113.6").status_code == 200


def test_post_is_not_allowed_on_the_customer_page(client, invoices, link_a):
    assert client.post(link_a.path).status_code == 405


def test_the_pages_own_forms_pass_the_csrf_check_with_the_origin_a_browser_sends(invoices, link_a):
    """Under "no-referrer" browsers post the page's forms (ask, write, rate) with
    "Origin: null", which the CSRF check refuses; "same-origin" keeps the token from other
    sites and sends the page's own origin (tests/journeys/test_browser_invoice_question.py)."""
    client = Client(enforce_csrf_checks=True)
    response = client.get(link_a.path)
    html = response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in html
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    ask = reverse("customer:invoice-question-ask", kwargs={"token": link_a.token})
    data = {"csrfmiddlewaretoken": csrf, "line": "1", "category": "other", "body": "Why two?"}
    assert client.post(ask, data, HTTP_ORIGIN="null").status_code == 403
    response = client.post(ask, data, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302
    assert response["Location"].startswith(link_a.path)


# ---------------------------------------------------------------- staff downloads


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("clerk", 200),
        ("finance_manager", 200),
        ("auditor", 200),
        ("rep_north", 200),  # A is rep North's customer
        ("rep_south", 404),
        ("other_clerk", 404),
        ("receptionist", 403),
        ("nobody", 403),
    ],
)
def test_staff_download_the_pdf_and_the_e_invoice_within_their_scope(client_for, invoices, persona, status):
    invoice_a, _ = invoices
    client = client_for(persona)
    pdf = client.get(reverse("billing:invoice-pdf", args=[invoice_a.pk]))
    assert pdf.status_code == status
    ubl = client.get(reverse("billing:invoice-ubl", args=[invoice_a.pk]))
    assert ubl.status_code == status
    if status == 200:
        assert pdf.content.startswith(b"%PDF-")
        assert validate_xsd(ubl.content)[0] is True


def test_downloads_need_a_sign_in(client, invoices):
    response = client.get(reverse("billing:invoice-pdf", args=[invoices[0].pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_draft_has_no_downloads(client_for, invoices):
    invoice_a, _ = invoices
    Invoice.objects.filter(pk=invoice_a.pk).update(status=Invoice.Status.DRAFT, number=None, issue_on=None)
    client = client_for("clerk")
    assert client.get(reverse("billing:invoice-pdf", args=[invoice_a.pk])).status_code == 404
    assert client.get(reverse("billing:invoice-ubl", args=[invoice_a.pk])).status_code == 404


def test_an_e_invoice_that_cannot_be_made_says_why(client_for, billing):
    seller_settings(billing)
    foreign = make_profile(
        billing, name="Fjord Dental AS", organisation_number="", vat_number="", country="NO"
    )
    invoice = issue(foreign, [("Dental chair", "1", "40000.00", "EXP")])
    response = client_for("clerk").get(reverse("billing:invoice-ubl", args=[invoice.pk]))
    assert response.status_code == 409
    assert 'data-testid="export-errors"' in response.content.decode()


# ---------------------------------------------------------------- the "Customer link" panel


def test_a_clerk_makes_a_link_and_sees_it_once(client_for, invoices):
    invoice_a, _ = invoices
    client = client_for("clerk")
    url = reverse("billing:invoice-customer-links", args=[invoice_a.pk])
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-testid="customer-link-panel"' in body
    assert 'data-testid="create-link"' in body
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    link = CustomerLink.objects.get(invoice=invoice_a)
    match = re.search(r'value="(http://testserver/c/([A-Za-z0-9_-]{43})/)"', response.content.decode())
    assert match, response.content.decode()
    assert response["Cache-Control"] == "no-store, private"
    token = match.group(2)
    # the link works for the customer, and the panel never shows it again
    assert client.get(f"/c/{token}/").status_code == 200
    assert token not in client.get(url).content.decode()
    assert link.created_by.username == "clerk"


def test_a_clerk_revokes_a_link_from_the_panel(client_for, invoices, link_a):
    invoice_a, _ = invoices
    client = client_for("clerk")
    response = client.post(
        reverse("billing:invoice-customer-link-revoke", args=[invoice_a.pk, link_a.link.pk]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    link_a.link.refresh_from_db()
    assert link_a.link.revoked_at is not None
    assert "Revoked" in response.content.decode() or "badge--muted" in response.content.decode()
    assert client.get(link_a.path).status_code == 410


def test_read_only_staff_see_the_panel_but_cannot_make_or_revoke(client_for, invoices, link_a):
    invoice_a, _ = invoices
    client = client_for("auditor")
    url = reverse("billing:invoice-customer-links", args=[invoice_a.pk])
    body = client.get(url).content.decode()
    assert 'data-testid="customer-link"' in body
    assert 'data-testid="create-link"' not in body
    assert 'data-testid="revoke-link"' not in body
    assert client.post(url).status_code == 403
    revoke = reverse("billing:invoice-customer-link-revoke", args=[invoice_a.pk, link_a.link.pk])
    assert client.post(revoke).status_code == 403
    assert CustomerLink.objects.filter(invoice=invoice_a).count() == 1
    link_a.link.refresh_from_db()
    assert link_a.link.revoked_at is None


@pytest.mark.parametrize("persona", ["rep_south", "other_clerk"])
def test_the_panel_is_404_outside_scope(client_for, invoices, link_a, persona):
    invoice_a, _ = invoices
    client = client_for(persona)
    url = reverse("billing:invoice-customer-links", args=[invoice_a.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    revoke = reverse("billing:invoice-customer-link-revoke", args=[invoice_a.pk, link_a.link.pk])
    assert client.post(revoke).status_code in (403, 404)
    link_a.link.refresh_from_db()
    assert link_a.link.revoked_at is None
    assert CustomerLink.objects.filter(invoice=invoice_a).count() == 1


def test_a_link_of_another_invoice_cannot_be_revoked_through_this_one(client_for, invoices, org):
    invoice_a, invoice_b = invoices
    link_b = link_create(actor=org.user("clerk"), invoice=invoice_b)
    response = client_for("clerk").post(
        reverse("billing:invoice-customer-link-revoke", args=[invoice_a.pk, link_b.link.pk])
    )
    assert response.status_code == 404
    link_b.link.refresh_from_db()
    assert link_b.link.revoked_at is None


@pytest.mark.parametrize(
    ("open_amount", "status", "today", "label"),
    [
        ("2445.88", Invoice.Status.ISSUED, "2026-03-20", "Awaiting payment"),
        ("1000.00", Invoice.Status.ISSUED, "2026-03-20", "Partly paid"),
        ("2445.88", Invoice.Status.ISSUED, "2026-04-16", "Overdue"),
        ("0.00", Invoice.Status.PAID, "2026-04-16", "Paid"),
        ("0.00", Invoice.Status.CREDITED, "2026-04-16", "Credited"),
    ],
)
def test_the_page_says_where_the_invoice_stands(client, invoices, link_a, open_amount, status, today, label):
    Invoice.objects.filter(pk=invoices[0].pk).update(open_amount=open_amount, status=status)
    with time_machine.travel(f"{today} 12:00 +01:00", tick=False):
        html = page(client.get(link_a.path))
    badge = re.search(r'data-testid="document-status">([^<]+)<', html).group(1)
    with translation.override("sv"):
        assert badge == gettext(label)
