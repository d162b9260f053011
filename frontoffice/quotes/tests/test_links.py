"""The customer's quote page behind a private link: it shows only its own quote, accepts and
declines, and refuses guessed, expired and revoked links."""

from __future__ import annotations

import datetime
import io
import re

import pytest
import time_machine
from django.core import mail
from pypdf import PdfReader

from frontoffice.parties.models import Interaction
from frontoffice.quotes.models import Quote
from frontoffice.quotes.services import quote_create, quote_send, quote_withdraw

pytestmark = pytest.mark.django_db


def send(org, world, django_capture_on_commit_callbacks, party=None, rep="rep_north"):
    actor = org.user(rep)
    quote = quote_create(
        actor=actor, party=party or world.north, lines=[{"product": world.catalogue.exam, "quantity": "2"}]
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        quote = quote_send(actor=actor, quote=quote)
    token = re.search(r"/q/([A-Za-z0-9_-]{43})/", mail.outbox[-1].body).group(1)
    return quote, f"/q/{token}/"


def test_the_link_shows_its_quote_and_nothing_else(client, org, world, django_capture_on_commit_callbacks):
    mine, my_url = send(org, world, django_capture_on_commit_callbacks)
    other, _ = send(org, world, django_capture_on_commit_callbacks, party=world.south, rep="rep_south")
    response = client.get(my_url)
    assert response.status_code == 200
    text = response.content.decode()
    assert (mine.reference in text and "Norrsken" not in text) or "Exam" in text
    assert "2,125.00" in text  # the quote is in English (the customer's billing language)
    assert other.reference not in text and "Söderljus" not in text
    assert response["X-Robots-Tag"].startswith("noindex") and "no-store" in response["Cache-Control"]
    assert 'href="/quotes/' not in text  # no staff links


def test_the_customer_downloads_the_pdf(client, org, world, django_capture_on_commit_callbacks):
    quote, url = send(org, world, django_capture_on_commit_callbacks)
    response = client.get(url + "pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert quote.reference in text


def test_accepting_needs_the_box_and_a_name_then_records_it(
    client, org, world, django_capture_on_commit_callbacks
):
    quote, url = send(org, world, django_capture_on_commit_callbacks)
    response = client.post(url, {"action": "accept", "name": "Anna Berg"})
    assert response.status_code == 400
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "accept", "name": "Anna Berg", "confirm": "on"})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.status, quote.accepted_by_name) == (Quote.Status.ACCEPTED, "Anna Berg")
    assert mail.outbox[-1].to == [org.user("rep_north").email]
    page = client.get(url).content.decode()
    assert "Anna Berg accepted this quote" in page and 'name="action" value="accept"' not in page
    assert Interaction.objects.filter(party=world.north, channel="web").count() == 1


def test_declining_with_a_reason(client, org, world, django_capture_on_commit_callbacks):
    quote, url = send(org, world, django_capture_on_commit_callbacks)
    assert client.post(url, {"action": "decline", "reason": ""}).status_code == 400
    assert client.post(url, {"action": "decline", "reason": "Too expensive"}).status_code == 302
    quote.refresh_from_db()
    assert (quote.status, quote.decline_reason) == (Quote.Status.DECLINED, "Too expensive")


def test_guessed_expired_and_revoked_links_are_refused(
    client, org, world, django_capture_on_commit_callbacks
):
    quote, url = send(org, world, django_capture_on_commit_callbacks)
    assert client.get("/q/" + "A" * 43 + "/").status_code == 404
    assert client.get("/q/not-a-token/").status_code == 404
    # The link lasts until 30 days after the quote's last valid day (15 April 2026).
    with time_machine.travel(datetime.datetime(2026, 5, 17, 12, 0, tzinfo=datetime.UTC)):
        assert client.get(url).status_code == 410
    with time_machine.travel(datetime.datetime(2026, 4, 20, 12, 0, tzinfo=datetime.UTC)):
        page = client.get(url)
        assert page.status_code == 200 and "can no longer be accepted" in page.content.decode()
        assert client.post(url, {"action": "accept", "name": "Anna", "confirm": "on"}).status_code == 400
    quote_withdraw(actor=org.user("rep_north"), quote=quote)
    assert client.get(url).status_code == 410
    assert client.post(url, {"action": "accept", "name": "Anna", "confirm": "on"}).status_code == 410
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT


def test_too_many_requests_are_refused(client, org, world, settings, django_capture_on_commit_callbacks):
    settings.BILLING_LINK_LIMIT_PER_TOKEN = 3
    _quote, url = send(org, world, django_capture_on_commit_callbacks)
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
