"""Template helpers of invoice questions.

- ``{% customer_questions invoice as questions %}``: on the customer's invoice page, the
  questions about that invoice with their non-internal messages (two queries; nothing for a
  credit note);
- ``{{ minutes|working_time }}``: working minutes as "3 h 20 min";
- ``{{ question|customer_status }}``: the status as the customer should read it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from frontoffice.billing.models import InvoiceQuestion
from frontoffice.billing.selectors.questions import customer_questions as select_customer_questions

register = template.Library()


@register.simple_tag
def customer_questions(invoice: Any) -> list[InvoiceQuestion]:
    return select_customer_questions(invoice=invoice)


@register.filter
def working_time(minutes: Any) -> str:
    if minutes in (None, ""):
        return "—"
    minutes = int(minutes)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return pgettext("working time", "%(minutes)s min") % {"minutes": rest}
    if not rest:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}


@register.filter
def customer_status(question: InvoiceQuestion) -> str:
    Status = InvoiceQuestion.Status
    return {
        Status.OPEN: _("Waiting for our answer"),
        Status.ANSWERED: _("Answered"),
        Status.RESOLVED: _("Resolved"),
        Status.CLOSED: _("Closed"),
        Status.REOPENED: _("We are looking into it again"),
    }.get(question.status, question.get_status_display())
