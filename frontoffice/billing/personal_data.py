"""Billing profiles in a customer's personal-data export and erasure (GDPR art. 15, 17, 20).

``BILLING_PROFILES_HANDLER`` is meant for ``core.registry.register_personal_data``: the export
lists the customer's profiles; erasure keeps each profile row (issued invoices refer to it)
but removes name, numbers, address and e-mail and deactivates it.

``INVOICE_QUESTIONS_HANDLER``: the customer's questions about invoice lines and their
conversations. Erasure removes the asker's name and e-mail, the rating comment and the
messages the customer wrote (or that staff took down for them); the question rows, their
times, statuses, resolutions and staff replies stay: they belong to invoices, which the
Accounting Act (Bokföringslagen) requires to be kept for seven years, and they feed the
anonymous response-time measures. Both are registered in ``billing.registrations``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import PersonalDataHandler

PROFILE_EXPORT_FIELDS = [
    "legal_name",
    "organisation_number",
    "vat_number",
    "street",
    "postal_code",
    "city",
    "country",
    "billing_email",
    "payment_terms_days",
    "credit_limit_amount",
    "delivery",
    "peppol_id",
    "buyer_reference",
    "language",
    "currency",
    "active",
]


def _export_profiles(party: Any) -> list[dict[str, Any]]:
    from frontoffice.billing.models import BillingProfile
    from frontoffice.core.audit import snapshot

    return [
        {"legal_entity": str(p.legal_entity), **snapshot(p, PROFILE_EXPORT_FIELDS)}
        for p in BillingProfile.objects.filter(party=party).select_related("legal_entity").order_by("pk")
    ]


def _erase_profiles(party: Any, actor: Any) -> int:
    from frontoffice.billing.models import BillingProfile

    # The profile row stays (issued invoices point at it) but no longer says who the customer
    # is; each invoice keeps its own copy of the buyer as billed, as bookkeeping law requires.
    return BillingProfile.objects.filter(party=party).update(
        legal_name="—",
        organisation_number="",
        vat_number="",
        street="",
        postal_code="",
        city="",
        billing_email="",
        peppol_id="",
        buyer_reference="",
        active=False,
    )


def _count_profiles(party: Any) -> int:
    from frontoffice.billing.models import BillingProfile

    return BillingProfile.objects.filter(party=party).count()


BILLING_PROFILES_HANDLER = PersonalDataHandler(
    key="billing_profiles",
    label=_("Billing profiles"),
    export=_export_profiles,
    erase=_erase_profiles,
    count=_count_profiles,
    kept_reason=_(
        "Kept, deactivated, without name, numbers, address and e-mail: issued invoices refer "
        "to the profile and keep their own copy of the buyer, as the Accounting Act requires."
    ),
)


# ---------------------------------------------------------------- invoice questions

ERASED = "—"


def _export_questions(party: Any) -> list[dict[str, Any]]:
    from django.db.models import Prefetch

    from frontoffice.billing.models import InvoiceQuestion, QuestionMessage

    questions = (
        InvoiceQuestion.objects.filter(party=party)
        .select_related("invoice__series", "line", "assigned_to")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=QuestionMessage.objects.select_related("author").order_by("created_at", "pk"),
            )
        )
        .order_by("asked_at", "pk")
    )
    return [
        {
            "invoice": q.invoice.reference or str(q.invoice),
            "line": q.line.line_no,
            "category": q.category,
            "channel": q.channel,
            "status": q.status,
            "asked_by": q.customer_name,
            "reply_email": q.reply_email,
            "asked_at": q.asked_at.isoformat(),
            "resolved_at": q.resolved_at.isoformat() if q.resolved_at else None,
            "resolution": q.resolution,
            "rating": q.rating,
            "rating_comment": q.rating_comment,
            "assigned_to": str(q.assigned_to) if q.assigned_to else None,
            "messages": [
                {
                    "from": m.sender,
                    "author": str(m.author) if m.author else None,
                    "internal": m.internal,
                    "written_at": m.created_at.isoformat(),
                    "body": m.body,
                }
                for m in q.messages.all()
            ],
        }
        for q in questions
    ]


def _erase_questions(party: Any, actor: Any) -> int:
    from frontoffice.billing.models import InvoiceQuestion, QuestionMessage

    questions = InvoiceQuestion.objects.filter(party=party)
    count = questions.update(customer_name=ERASED, reply_email="", rating_comment="")
    QuestionMessage.objects.filter(question__party=party, sender=QuestionMessage.Sender.CUSTOMER).update(
        body=ERASED
    )
    return count


def _count_questions(party: Any) -> int:
    from frontoffice.billing.models import InvoiceQuestion

    return InvoiceQuestion.objects.filter(party=party).count()


INVOICE_QUESTIONS_HANDLER = PersonalDataHandler(
    key="invoice_questions",
    label=_("Invoice questions"),
    export=_export_questions,
    erase=_erase_questions,
    count=_count_questions,
    kept_reason=_(
        "Kept without the asker's name and e-mail, the customer's own messages and rating "
        "comment: the questions belong to invoices, which the Accounting Act (Bokföringslagen) "
        "requires to be kept for seven years; times, resolutions and staff replies remain."
    ),
)
