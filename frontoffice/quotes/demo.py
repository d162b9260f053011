"""Demo quotes for the demo company (``seed_quotes``), written through the services.

The north rep's customer gets a draft, a sent quote (priced by the customer's approved price
profile), one the customer accepted online and one they declined; the south rep's customer a
quote whose 25 % manual discount waits for the national sales manager's approval.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from frontoffice.billing.models import Product
from frontoffice.parties.models import Party
from frontoffice.quotes.models import Quote
from frontoffice.quotes.services import (
    quote_accept,
    quote_approval_request,
    quote_create,
    quote_decline,
    quote_send,
)


def _customer(company: Any, owner: Any) -> Party | None:
    owned = Party.objects.active().filter(legal_entity=company, owner=owner)
    return owned.filter(kind=Party.Kind.ORGANISATION).order_by("pk").first() or owned.order_by("pk").first()


@transaction.atomic
def seed_quotes(company: Any, users: dict[str, Any]) -> int:
    """Create the demo quotes once; return how many were created. ``users``: the demo's users
    by username (``rep``, ``rep2``). Run after billing and pricing; safe to run twice."""
    if Quote.objects.filter(legal_entity=company).exists():
        return 0
    products = list(
        Product.objects.filter(legal_entity=company, active=True, unit_price_amount__gt=0).order_by("code")[
            :3
        ]
    )
    if not products:
        return 0
    rep, rep2 = users.get("rep"), users.get("rep2")
    north = _customer(company, rep) if rep else None
    south = _customer(company, rep2) if rep2 else None
    created = 0

    def lines(*quantities: str) -> list[dict[str, Any]]:
        return [{"product": p, "quantity": q} for p, q in zip(products, quantities, strict=False)]

    if north is not None:
        quote_create(actor=rep, party=north, lines=lines("2", "1"), intro="Som vi pratade om vid besöket.")
        sent = quote_create(actor=rep, party=north, lines=lines("5"), terms="Leverans inom två veckor.")
        if sent.recipient_email:
            quote_send(actor=rep, quote=sent)
        accepted = quote_create(actor=rep, party=north, lines=lines("1", "3", "2"))
        declined = quote_create(actor=rep, party=north, lines=lines("10"))
        if accepted.recipient_email:
            quote_accept(quote=quote_send(actor=rep, quote=accepted), name="Karin Ek", confirmed=True)
            quote_decline(
                quote=quote_send(actor=rep, quote=declined), reason="Vi väntar till nästa budgetår."
            )
        created += 4
    if south is not None:
        quote = quote_create(
            actor=rep2,
            party=south,
            lines=[{"product": products[0], "quantity": "20", "discount_percent": "25"}],
        )
        # Without an approver covering it, the quote stays a draft.
        with contextlib.suppress(ValidationError):
            quote_approval_request(actor=rep2, quote=quote)
        created += 1
    return created
