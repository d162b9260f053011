"""Property: a quote's total is the sum of its line nets plus VAT per rate (each rate's VAT on
the sum of that rate's nets, rounded once, half up), and the invoice made from it has the
same amounts."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontoffice.billing.models import BillingSettings
from frontoffice.quotes.models import Quote
from frontoffice.quotes.services import quote_accept, quote_create, quote_send, quote_to_invoice

pytestmark = pytest.mark.django_db
D = Decimal
CENT = D("0.01")
HYPOTHESIS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RATES = {"SE25": D("25"), "SE12": D("12"), "SE06": D("6"), "SE00": D("0")}

line_strategy = st.tuples(
    st.sampled_from(list(RATES)),
    st.decimals(min_value=D("0.01"), max_value=D("50000"), places=2),  # unit price
    st.decimals(min_value=D("0.001"), max_value=D("40"), places=3),  # quantity
    st.sampled_from([D("0"), D("5"), D("9.99"), D("10")]),  # discount, within a rep's authority
)


class Rollback(Exception):
    pass


@HYPOTHESIS
@given(lines=st.lists(line_strategy, min_size=1, max_size=6), whole_krona=st.booleans())
def test_total_is_lines_plus_vat_per_rate_and_the_invoice_agrees(org, world, lines, whole_krona):
    rep = org.user("rep_north")
    try:
        with transaction.atomic():
            BillingSettings.objects.filter(legal_entity=org.company).update(round_to_whole_krona=whole_krona)
            quote = quote_create(
                actor=rep,
                party=world.north,
                lines=[
                    {
                        "description": f"Line {i}",
                        "vat_code": code,
                        "unit_price": price,
                        "quantity": qty,
                        "discount_percent": discount,
                    }
                    for i, (code, price, qty, discount) in enumerate(lines)
                ],
            )
            nets = defaultdict(lambda: D("0.00"))
            for code, price, qty, discount in lines:
                nets[RATES[code]] += (qty * price * (100 - discount) / 100).quantize(
                    CENT, rounding=ROUND_HALF_UP
                )
            net = sum(nets.values(), D("0.00"))
            vat = sum(
                ((n * r / 100).quantize(CENT, rounding=ROUND_HALF_UP) for r, n in nets.items()), D("0.00")
            )
            rounding = (
                (net + vat).quantize(D("1"), rounding=ROUND_HALF_UP) - (net + vat) if whole_krona else D("0")
            )
            assert (quote.net_amount, quote.vat_amount) == (net, vat)
            assert quote.total_amount == net + vat + rounding
            assert sum(line.net_amount for line in quote.lines.all()) == net
            quote = quote_accept(quote=quote_send(actor=rep, quote=quote), name="Anna", confirmed=True)
            invoice = quote_to_invoice(actor=org.user("clerk"), quote=quote)
            assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (
                quote.net_amount,
                quote.vat_amount,
                quote.total_amount,
            )
            assert Quote.objects.get(pk=quote.pk).invoice_id == invoice.pk
            raise Rollback
    except Rollback:
        pass
