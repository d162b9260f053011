"""E-mail delivery of an issued invoice or credit note.

Invariants protected here:

- only an issued document (not a draft) whose billing profile asks for delivery by e-mail and
  that has a billing e-mail address (``Invoice.buyer_email``, the snapshot taken at issue) is
  sent; anything else is refused with a ``ValidationError`` naming the reason (``code``);
- sending needs ``billing.change_invoice`` and the invoice in the actor's scope (like making
  a customer link, which every e-mail does: each e-mail carries a private link of its own,
  since only a link's digest is stored);
- the e-mail is written in the invoice's language (templates ``invoice_sv`` / ``invoice_en``),
  carries the PDF and is queued on commit (``core.tasks.email_enqueue``): a rolled-back
  transaction sends nothing, makes no link and leaves ``sent_at`` untouched;
- ``Invoice.sent_at`` records the latest sending; each sending is audited
  (``billing.invoice.sent``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontoffice.billing.documents.pdf import invoice_pdf
from frontoffice.billing.models import BillingSettings, DeliveryMethod, Invoice
from frontoffice.billing.services.links import link_create
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.core.tasks import email_enqueue

EMAIL_LANGUAGES = ("sv", "en")


def _language(invoice: Invoice) -> str:
    language = (invoice.language or "").split("-")[0].lower()
    return language if language in EMAIL_LANGUAGES else "en"


@transaction.atomic
def invoice_send(*, actor: Any, invoice: Invoice) -> Invoice:
    """E-mail the issued ``invoice`` (PDF attached, private link in the text) to the buyer's
    billing address once the transaction commits; sets ``sent_at``. Returns the invoice."""
    require_perm(actor, "billing.change_invoice")
    require_legal_entity(actor, invoice.legal_entity_id)
    if not visible_to(Invoice.objects.filter(pk=invoice.pk), actor).exists():
        raise PermissionDenied(_("You can only send invoices of your own customers."))
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("series", "profile", "legal_entity", "credits__series")
        .get(pk=invoice.pk)
    )
    if invoice.status == Invoice.Status.DRAFT:
        raise ValidationError(_("Issue the invoice before sending it."), code="not_issued")
    if invoice.profile.delivery != DeliveryMethod.EMAIL:
        raise ValidationError(
            _("This customer's invoices are delivered by %(method)s, not by e-mail.")
            % {"method": invoice.profile.get_delivery_display()},
            code="not_email_delivery",
        )
    if not invoice.buyer_email:
        raise ValidationError(_("The invoice has no billing e-mail address to send it to."), code="no_email")

    made = link_create(actor=actor, invoice=invoice)
    billing = BillingSettings.objects.filter(legal_entity_id=invoice.legal_entity_id).first()
    language = _language(invoice)
    context = {
        "invoice": invoice,
        "credit_note": invoice.kind == Invoice.Kind.CREDIT_NOTE,
        "url": settings.SITE_URL.rstrip("/") + made.path,
        "expires_on": timezone.localdate(made.link.expires_at),
        "seller": invoice.legal_entity,
        "billing": billing,
    }
    # Customer e-mails are written per language, so the customer gets natural Swedish or
    # English whatever language the clerk works in.
    with translation.override(language):
        subject = " ".join(
            render_to_string(f"billing/invoices/email/invoice_{language}_subject.txt", context).split()
        )
        body = render_to_string(f"billing/invoices/email/invoice_{language}.txt", context)
        pdf = invoice_pdf(invoice)
    reply_to = [billing.email] if billing and billing.email else None
    email_enqueue(
        subject=subject,
        body=body,
        to=[invoice.buyer_email],
        reply_to=reply_to,
        attachments=[(f"{invoice.reference}.pdf", pdf, "application/pdf")],
    )

    previous = invoice.sent_at
    invoice.sent_at = timezone.now()
    invoice.save(update_fields=["sent_at", "updated_at"])
    audit_record(
        actor=actor,
        action="billing.invoice.sent",
        obj=invoice,
        changes={
            "sent_at": [previous.isoformat() if previous else None, invoice.sent_at.isoformat()],
            "to": [None, invoice.buyer_email],
        },
    )
    return invoice
