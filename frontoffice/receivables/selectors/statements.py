"""A customer statement: what the customer owes on a date, and what they paid lately.

Open items are the customer's issued invoices and credit notes with money open, issued on or
before ``as_of``; payments are those received from ``date_from`` to ``as_of``. The balance is
the open items less the customer's unallocated payments (money received but not yet applied
to an invoice), i.e. what the customer still owes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from frontoffice.billing.models import Invoice
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.parties.models import Party
from frontoffice.receivables.models import Payment
from frontoffice.receivables.services.common import ZERO


@dataclass
class Statement:
    party: Party
    as_of: datetime.date
    date_from: datetime.date
    open_items: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    unallocated_total: Decimal = ZERO

    @property
    def open_total(self) -> Decimal:
        return sum((i.open_amount for i in self.open_items), ZERO)

    @property
    def overdue_total(self) -> Decimal:
        return sum((i.open_amount for i in self.open_items if i.due_on and i.due_on < self.as_of), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.open_total - self.unallocated_total

    @property
    def currency(self) -> str:
        return self.open_items[0].currency if self.open_items else "SEK"


def customer_statement(
    *, user: Any, party: Any, as_of: datetime.date, date_from: datetime.date | None = None
) -> Statement:
    """The statement of one customer the user can see (404 otherwise); ``date_from`` defaults
    to 90 days before ``as_of``."""
    customer = get_visible_or_404(Party.objects.all(), user, pk=getattr(party, "pk", party))
    date_from = date_from or as_of - datetime.timedelta(days=90)
    items = list(
        visible_to(Invoice.objects.all(), user)
        .filter(party=customer, status=Invoice.Status.ISSUED, issue_on__lte=as_of)
        .exclude(open_amount=0)
        .select_related("series")
        .order_by("due_on", "issue_on", "pk")
    )
    payments = visible_to(Payment.objects.all(), user).filter(party=customer)
    in_period = list(
        payments.filter(paid_on__gte=date_from, paid_on__lte=as_of)
        .prefetch_related("allocations__invoice__series")
        .order_by("paid_on", "pk")
    )
    unallocated = ZERO
    for amount in payments.filter(unallocated_amount__gt=0, paid_on__lte=as_of).values_list(
        "unallocated_amount", flat=True
    ):
        unallocated += amount
    return Statement(
        party=customer,
        as_of=as_of,
        date_from=date_from,
        open_items=items,
        payments=in_period,
        unallocated_total=unallocated,
    )
