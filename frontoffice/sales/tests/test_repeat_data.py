"""Hand-made purchase histories for the repeat-customer tests (fixtures, no tests here).

Invoices and credit notes go through the billing services; customers, groups and products are
the smallest valid rows, written with the ORM like billing's own factories.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest

from frontoffice.billing.models import Invoice, Product, ProductGroup
from frontoffice.billing.services.crediting import credit_note_create
from frontoffice.billing.services.invoicing import invoices_issue_batch
from frontoffice.billing.tests.conftest import billing
from frontoffice.billing.tests.invoicing_factories import (
    make_customer,
    make_draft,
    make_product,
    without_pricing_app,
)
from frontoffice.finance.tests.conftest import ledger

__all__ = ["billing", "history", "ledger", "suggestion_world", "without_pricing_app"]

D = datetime.date


def group(legal_entity: Any, code: str, name: str) -> ProductGroup:
    return ProductGroup.objects.create(legal_entity=legal_entity, code=code, name=name)


def issue(actor: Any, drafts: list[Invoice]) -> list[Invoice]:
    """Issue drafts in date order (numbers follow dates)."""
    drafts = sorted(drafts, key=lambda i: (i.issue_on, i.pk))
    return invoices_issue_batch(actor=actor, invoices=drafts)


def credit_all(actor: Any, invoice: Invoice, on: datetime.date, lines: Any = None) -> Invoice:
    return credit_note_create(actor=actor, invoice=invoice, reason="Returned", lines=lines, issue_on=on)


@dataclass
class History:
    """Customers with their invoices; see ``history`` for the hand-computed expectations."""

    alpha: Any  # Rep North's customer with a regular monthly rhythm
    beta: Any  # Rep North's customer, two intervals
    gamma: Any  # Rep North's customer, two purchase dates only
    delta: Any  # Rep South's customer, due
    products: dict[str, Product]
    groups: dict[str, ProductGroup]
    invoices: dict[str, Invoice] = field(default_factory=dict)


@pytest.fixture
def history(billing, org, without_pricing_app) -> History:
    """Purchase dates (issued invoices, credit notes net out):

    alpha: Jan 5, Feb 4, Mar 8 (two invoices), Apr 6, May 7; a Jun 1 invoice wholly credited.
           Gaps 30, 32, 29, 31 → median 30.5 → 31 days; expected Jun 7; due from May 31;
           overdue after Jun 15 (tolerance ceil(31 * 25 %) = 8).
           Equipment (chair) on Jan 5, Mar 8, May 7 (the Feb 4 chair line credited in full):
           gaps 62, 60 → 61 days, expected Jul 7.
    beta:  Jan 10, Mar 10, Apr 9 → gaps 59, 30 → median 44.5 → 45; expected May 24;
           due from May 17; overdue after Jun 5 (tolerance ceil(11.25) = 12).
    gamma: Feb 1, Mar 1 → too little history.
    delta: (South) Feb 20, Mar 22, Apr 21 → 30, 30 → expected May 21; overdue after May 29.
    """
    actor = org.user("finance_manager")
    company = billing
    groups = {
        "consumables": group(company, "CONS", "Consumables"),
        "equipment": group(company, "EQUIP", "Equipment"),
    }
    products = {
        "gloves": make_product(company, "GLV", name="Gloves", price="100.00", group=groups["consumables"]),
        "chair": make_product(company, "CHR", name="Chair", price="1000.00", group=groups["equipment"]),
    }
    gloves, chair = products["gloves"], products["chair"]
    rep_north, rep_south = org.user("rep_north"), org.user("rep_south")
    alpha = make_customer(company, name="Alpha Tand AB", owner=rep_north, region=org.north)
    beta = make_customer(company, name="Beta Klinik AB", owner=rep_north, region=org.north)
    gamma = make_customer(company, name="Gamma Vård AB", owner=rep_north, region=org.north)
    delta = make_customer(company, name="Delta Syd AB", owner=rep_south, region=org.south)
    plan = {
        "a1": (alpha, D(2026, 1, 5), [(gloves, "2"), (chair, "1")]),
        "a2": (alpha, D(2026, 2, 4), [(gloves, "1"), (chair, "1")]),
        "a3": (alpha, D(2026, 3, 8), [(gloves, "3"), (chair, "1")]),
        "a3b": (alpha, D(2026, 3, 8), [(gloves, "1")]),
        "a4": (alpha, D(2026, 4, 6), [(gloves, "2")]),
        "a5": (alpha, D(2026, 5, 7), [(gloves, "1"), (chair, "1")]),
        "a6": (alpha, D(2026, 6, 1), [(gloves, "5")]),
        "b1": (beta, D(2026, 1, 10), [(gloves, "1")]),
        "b2": (beta, D(2026, 3, 10), [(gloves, "1")]),
        "b3": (beta, D(2026, 4, 9), [(gloves, "1")]),
        "c1": (gamma, D(2026, 2, 1), [(gloves, "1")]),
        "c2": (gamma, D(2026, 3, 1), [(gloves, "1")]),
        "d1": (delta, D(2026, 2, 20), [(gloves, "1")]),
        "d2": (delta, D(2026, 3, 22), [(gloves, "1")]),
        "d3": (delta, D(2026, 4, 21), [(gloves, "1")]),
    }
    drafts = {
        key: make_draft(actor, profile, *lines, issue_on=on) for key, (profile, on, lines) in plan.items()
    }
    issue(actor, list(drafts.values()))
    invoices = {key: Invoice.objects.get(pk=d.pk) for key, d in drafts.items()}
    chair_line = invoices["a2"].lines.get(product=chair)
    credit_all(actor, invoices["a2"], D(2026, 2, 10), lines={chair_line.pk: None})
    credit_all(actor, invoices["a6"], D(2026, 6, 2))
    return History(
        alpha=alpha.party,
        beta=beta.party,
        gamma=gamma.party,
        delta=delta.party,
        products=products,
        groups=groups,
        invoices=invoices,
    )


@dataclass
class World:
    target: Any
    parties: dict[str, Any]
    products: dict[str, Product]


@pytest.fixture
def suggestion_world(billing, org, without_pricing_app) -> World:
    """Who buys what (one invoice each, Mar 2-8, 2026):

    target (Rep North): X, V
    c1: X, Y, Z, Q      c2: X, Y, Z, Q      c3: X, Y, Q, Z (Z credited in full)
    c4: X, W            c5: V, Y            c6: V, Y
    Q is inactive. Buyers of X other than target: c1-c4 (4); of V: c5, c6 (2).
    For target: Y via X 3/4, via V 2/2 → Y "bought by 2 of 2 customers who also buy V";
    Z via X 2/4; W via X 1/4 (below the minimum of 2); Q inactive. Ranking: Y, Z.
    """
    actor = org.user("finance_manager")
    company = billing
    products = {
        code: make_product(company, code, name=f"Product {code}", price="10.00")
        for code in ("X", "Y", "Z", "W", "V", "Q")
    }
    buys = {
        "target": "XV",
        "c1": "XYZQ",
        "c2": "XYZQ",
        "c3": "XYQZ",
        "c4": "XW",
        "c5": "VY",
        "c6": "VY",
    }
    rep_north, rep_south = org.user("rep_north"), org.user("rep_south")
    parties, drafts = {}, {}
    for index, (name, codes) in enumerate(buys.items()):
        owner, region = (rep_north, org.north) if name == "target" else (rep_south, org.south)
        profile = make_customer(company, name=f"Customer {name}", owner=owner, region=region)
        parties[name] = profile.party
        lines = [(products[c], "1") for c in codes]
        # Q is retired below, after it was invoiced (an inactive product cannot be).
        drafts[name] = make_draft(actor, profile, *lines, issue_on=D(2026, 3, 2 + index))
    issue(actor, list(drafts.values()))
    products["Q"].active = False
    products["Q"].save(update_fields=["active"])
    c3 = Invoice.objects.get(pk=drafts["c3"].pk)
    credit_all(actor, c3, D(2026, 3, 20), lines={c3.lines.get(product=products["Z"]).pk: None})
    return World(target=parties["target"], parties=parties, products=products)
