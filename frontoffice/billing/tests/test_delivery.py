"""E-mail delivery of an issued invoice: a courteous e-mail in the invoice's language, the PDF
attached, a private link that opens the customer's page, queued on commit; refused for drafts,
other delivery methods and actors without permission or outside their scope."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from frontoffice.billing.models import CustomerLink, DeliveryMethod, Invoice
from frontoffice.billing.services.delivery import invoice_send
from frontoffice.billing.tests.document_factories import credit_all, issue, make_profile, seller_settings
from frontoffice.billing.tests.invoicing_factories import make_draft, make_product, without_pricing_app
from frontoffice.core.models import AuditEntry

__all__ = ["without_pricing_app"]

SITE = "https://frontoffice.example.com"


class Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE + "/"


@pytest.fixture
def profile(billing, org):
    seller_settings(billing)
    return make_profile(billing, owner=org.user("rep_north"), region=org.north)


@pytest.fixture
def invoice(profile):
    return issue(profile, [("Undersökning", "2", "850.00", "SE25")])


@pytest.fixture
def clerk(org):
    return org.user("clerk")


def send(actor, invoice, capture):
    with capture(execute=True):
        return invoice_send(actor=actor, invoice=invoice)


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_invoice_goes_to_the_billing_address_in_swedish_with_the_pdf(
    clerk, invoice, django_capture_on_commit_callbacks
):
    with translation.override("en"):  # the clerk's language does not matter
        send(clerk, invoice, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.to == ["faktura@norrsken.example"]
    assert message.reply_to == ["faktura@tandhalsan.example"]
    assert message.subject == f"Faktura {invoice.reference} från {invoice.legal_entity.name}"
    assert message.body.startswith("Hej Norrsken Bygg AB,")
    assert f"faktura {invoice.reference}" in message.body
    assert invoice.payment_reference in message.body
    assert "5050-1055" in message.body
    assert "Vänliga hälsningar" in message.body
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"{invoice.reference}.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    assert invoice.reference in pdf_text(content)


def test_an_english_invoice_gets_an_english_email(clerk, profile, django_capture_on_commit_callbacks):
    invoice = issue(profile, [("Check-up", "1", "850.00", "SE25")], language="en")
    with translation.override("sv"):
        send(clerk, invoice, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject == f"Invoice {invoice.reference} from {invoice.legal_entity.name}"
    assert message.body.startswith("Dear Norrsken Bygg AB,")
    assert "Please find attached invoice" in message.body
    assert "Kind regards" in message.body
    assert "Hej" not in message.body


def test_a_credit_note_is_sent_as_a_credit_note(clerk, invoice, django_capture_on_commit_callbacks):
    note = credit_all(invoice)
    send(clerk, note, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject.startswith(f"Kreditfaktura {note.reference}")
    assert f"krediterar faktura {invoice.reference}" in message.body


def test_the_link_in_the_email_opens_the_customers_invoice_page(
    clerk, invoice, django_capture_on_commit_callbacks
):
    send(clerk, invoice, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    urls = re.findall(re.escape(SITE) + r"(/c/[A-Za-z0-9_-]{43}/)", message.body)
    assert len(urls) == 1
    response = Client().get(urls[0])
    assert response.status_code == 200
    assert invoice.reference in response.content.decode()
    link = CustomerLink.objects.get()
    assert link.invoice == invoice
    assert link.created_by == clerk
    assert link.use_count == 1


def test_sending_sets_sent_at_and_is_audited(clerk, invoice, django_capture_on_commit_callbacks):
    assert invoice.sent_at is None
    send(clerk, invoice, django_capture_on_commit_callbacks)
    invoice.refresh_from_db()
    assert invoice.sent_at is not None
    entry = AuditEntry.objects.get(action="billing.invoice.sent")
    assert entry.actor_id == clerk.pk
    assert entry.object_id == str(invoice.pk)


def test_sending_again_makes_a_new_link_and_a_new_email(clerk, invoice, django_capture_on_commit_callbacks):
    send(clerk, invoice, django_capture_on_commit_callbacks)
    send(clerk, invoice, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert CustomerLink.objects.filter(invoice=invoice).count() == 2
    assert AuditEntry.objects.filter(action="billing.invoice.sent").count() == 2


def test_nothing_is_sent_when_the_transaction_rolls_back(clerk, invoice, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        invoice_send(actor=clerk, invoice=invoice)
        raise Rollback
    assert callbacks == []
    assert mail.outbox == []
    invoice.refresh_from_db()
    assert invoice.sent_at is None
    assert not CustomerLink.objects.exists()
    assert not AuditEntry.objects.filter(action="billing.invoice.sent").exists()


def _refused(actor, invoice, capture, exc_type):
    with capture(execute=True), pytest.raises(exc_type) as exc:
        invoice_send(actor=actor, invoice=invoice)
    assert mail.outbox == []
    assert not CustomerLink.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).sent_at is None
    return exc.value


def test_a_draft_is_not_sent(clerk, billing, org, django_capture_on_commit_callbacks, without_pricing_app):
    seller_settings(billing)
    profile = make_profile(billing, owner=org.user("rep_north"), region=org.north)
    draft = make_draft(clerk, profile, (make_product(billing), "1"))
    assert draft.status == Invoice.Status.DRAFT
    exc = _refused(clerk, draft, django_capture_on_commit_callbacks, ValidationError)
    assert exc.code == "not_issued"


@pytest.mark.parametrize("method", [DeliveryMethod.PEPPOL, DeliveryMethod.LETTER])
def test_a_customer_without_email_delivery_is_not_sent_an_email(
    clerk, profile, invoice, method, django_capture_on_commit_callbacks
):
    profile.delivery = method
    profile.peppol_id = "0007:5590162425"
    profile.save()
    exc = _refused(clerk, invoice, django_capture_on_commit_callbacks, ValidationError)
    assert exc.code == "not_email_delivery"


def test_an_invoice_without_a_billing_address_is_not_sent(clerk, invoice, django_capture_on_commit_callbacks):
    Invoice.objects.filter(pk=invoice.pk).update(buyer_email="")
    invoice.refresh_from_db()
    exc = _refused(clerk, invoice, django_capture_on_commit_callbacks, ValidationError)
    assert exc.code == "no_email"


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "receptionist", "nobody", "other_clerk"])
def test_sending_needs_change_invoice_in_scope(org, invoice, persona, django_capture_on_commit_callbacks):
    _refused(org.user(persona), invoice, django_capture_on_commit_callbacks, PermissionDenied)


def test_a_rep_who_may_change_invoices_cannot_send_another_reps_invoice(
    org, invoice, django_capture_on_commit_callbacks
):
    rep = org.user("rep_south")
    rep.user_permissions.add(
        Permission.objects.get(codename="change_invoice", content_type__app_label="billing")
    )
    rep = org.user("rep_south")
    assert rep.has_perm("billing.change_invoice")
    _refused(rep, invoice, django_capture_on_commit_callbacks, PermissionDenied)


# ---------------------------------------------------------------- the button


def test_the_detail_page_offers_sending_and_the_button_sends(
    client_for, invoice, django_capture_on_commit_callbacks
):
    client = client_for("clerk")
    detail = reverse("billing:invoice-detail", args=[invoice.pk])
    url = reverse("billing:invoice-send", args=[invoice.pk])
    assert f'action="{url}"' in client.get(detail).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == detail
    assert len(mail.outbox) == 1
    assert "faktura@norrsken.example" in client.get(detail).content.decode()


def test_the_button_is_not_shown_without_permission_or_email_delivery(client_for, profile, invoice):
    detail = reverse("billing:invoice-detail", args=[invoice.pk])
    assert 'data-testid="invoice-send"' not in client_for("auditor").get(detail).content.decode()
    profile.delivery = DeliveryMethod.LETTER
    profile.save()
    assert 'data-testid="invoice-send"' not in client_for("clerk").get(detail).content.decode()


def test_the_send_view_denies_and_refuses(client_for, billing, org, invoice, without_pricing_app):
    url = reverse("billing:invoice-send", args=[invoice.pk])
    assert client_for("auditor").post(url).status_code == 403
    assert client_for("other_clerk").post(url).status_code == 404
    assert client_for("clerk").get(url).status_code == 405
    draft = make_draft(org.user("clerk"), invoice.profile, (make_product(billing), "1"))
    response = client_for("clerk").post(reverse("billing:invoice-send", args=[draft.pk]), follow=True)
    assert "Issue the invoice before sending it." in response.content.decode()
    assert mail.outbox == []
    assert not AuditEntry.objects.filter(action="billing.invoice.sent").exists()
