"""Repeat customers: rhythm, reorder status, history totals and suggestions on hand-made data."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.http import Http404

from frontoffice.sales import repeat
from frontoffice.sales.tests.test_repeat_data import *  # noqa: F403 - fixtures

D = datetime.date
pytestmark = pytest.mark.django_db


def rhythm_of(rhythms, party):
    (found,) = [r for r in rhythms if r.party_id == party.pk]
    return found


def test_alpha_rhythm_is_the_median_gap_with_credited_and_same_day_invoices_ignored(history, org):
    """Gaps 30, 32, 29, 31 (two invoices on Mar 8 make one date; the credited Jun 1 none)."""
    rhythms = repeat.customer_rhythms(user=org.user("rep_north"), today=D(2026, 6, 1))
    alpha = rhythm_of(rhythms, history.alpha)
    assert alpha.purchase_dates == 5
    assert alpha.intervals == 4
    assert alpha.first_on == D(2026, 1, 5)
    assert alpha.last_on == D(2026, 5, 7)
    assert alpha.last_invoice_id == history.invoices["a5"].pk
    assert alpha.median_gap == Decimal("30.5")
    assert alpha.typical_days == 31
    assert alpha.expected_on == D(2026, 6, 7)
    assert alpha.due_from == D(2026, 5, 31)
    assert alpha.overdue_after == D(2026, 6, 15)
    assert (alpha.min_gap, alpha.max_gap, alpha.spread_days) == (29, 32, 3)
    assert alpha.confidence == repeat.HIGH
    assert alpha.status == repeat.DUE


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (D(2026, 5, 30), repeat.NOT_DUE),
        (D(2026, 5, 31), repeat.DUE),
        (D(2026, 6, 15), repeat.DUE),
        (D(2026, 6, 16), repeat.OVERDUE),
    ],
)
def test_alpha_status_changes_exactly_at_the_lead_and_tolerance_edges(history, org, today, status):
    alpha = rhythm_of(repeat.customer_rhythms(user=org.user("rep_north"), today=today), history.alpha)
    assert alpha.status == status


def test_beta_even_count_median_rounds_half_up_and_two_intervals_mean_low_confidence(history, org):
    beta = rhythm_of(repeat.customer_rhythms(user=org.user("rep_north"), today=D(2026, 6, 10)), history.beta)
    assert beta.intervals == 2
    assert beta.median_gap == Decimal("44.5")
    assert beta.typical_days == 45
    assert beta.expected_on == D(2026, 5, 24)
    assert beta.due_from == D(2026, 5, 17)
    assert beta.overdue_after == D(2026, 6, 5)
    assert beta.confidence == repeat.LOW
    assert beta.status == repeat.OVERDUE
    assert beta.days_overdue == 17


def test_two_purchase_dates_are_too_little_history(history, org):
    gamma = rhythm_of(repeat.customer_rhythms(user=org.user("rep_north"), today=D(2026, 6, 1)), history.gamma)
    assert gamma.purchase_dates == 2
    assert gamma.typical_days is None
    assert gamma.expected_on is None
    assert gamma.status == repeat.TOO_FEW


def test_group_rhythm_ignores_a_line_credited_in_full(history, org):
    """Chairs on Jan 5, Mar 8, May 7 (Feb 4's chair credited): gaps 62, 60 → 61 days."""
    rhythms = repeat.group_rhythms(user=org.user("rep_north"), today=D(2026, 6, 1), parties=[history.alpha])
    by_group = {r.group_id: r for r in rhythms}
    chairs = by_group[history.groups["equipment"].pk]
    assert chairs.purchase_dates == 3
    assert chairs.median_gap == Decimal("61")
    assert chairs.expected_on == D(2026, 7, 7)
    assert chairs.status == repeat.NOT_DUE
    gloves = by_group[history.groups["consumables"].pk]
    assert gloves.purchase_dates == 5
    assert gloves.expected_on == D(2026, 6, 7)


def test_a_rep_sees_only_the_rhythms_of_their_own_customers(history, org):
    north = {r.party_id for r in repeat.customer_rhythms(user=org.user("rep_north"), today=D(2026, 6, 1))}
    south = {r.party_id for r in repeat.customer_rhythms(user=org.user("rep_south"), today=D(2026, 6, 1))}
    assert north == {history.alpha.pk, history.beta.pk, history.gamma.pk}
    assert south == {history.delta.pk}
    assert repeat.customer_rhythms(user=org.user("other_clerk"), today=D(2026, 6, 1)) == []
    assert repeat.customer_rhythms(user=org.user("nobody"), today=D(2026, 6, 1)) == []
    everyone = {r.party_id for r in repeat.customer_rhythms(user=org.user("nsm"), today=D(2026, 6, 1))}
    assert everyone == north | south


def test_purchase_history_totals_net_out_credit_notes(history, org):
    """Q1: 200 + 1000 + 100 + 300 + 1000 + 100 = 2700; Q2: 200 + 100 + 1000 = 1300 (Jun 1
    credited in full, Feb 4's chair too)."""
    got = repeat.purchase_history(user=org.user("rep_north"), party_id=history.alpha.pk, today=D(2026, 6, 1))
    assert [(p.year, p.quarter, p.net_amount) for p in got.by_quarter] == [
        (2026, 1, Decimal("2700.00")),
        (2026, 2, Decimal("1300.00")),
    ]
    assert [(p.year, p.net_amount) for p in got.by_year] == [(2026, Decimal("4000.00"))]
    assert [(g.name, g.net_amount) for g in got.by_group] == [
        ("Equipment", Decimal("3000.00")),
        ("Consumables", Decimal("1000.00")),
    ]
    assert [(p.code, p.net_amount, p.quantity, p.last_on) for p in got.by_product] == [
        ("CHR", Decimal("3000.00"), Decimal("3.000"), D(2026, 5, 7)),
        ("GLV", Decimal("1000.00"), Decimal("10.000"), D(2026, 5, 7)),
    ]
    invoices = list(got.invoices)
    assert [i.pk for i in invoices] == [history.invoices[k].pk for k in ("a5", "a4", "a3b", "a3", "a2", "a1")]
    assert history.invoices["a6"].pk not in {i.pk for i in invoices}
    feb = next(i for i in invoices if i.pk == history.invoices["a2"].pk)
    assert feb.kept_amount == Decimal("100.00")
    assert [line.kept_amount for line in feb.lines.all()] == [Decimal("100.00"), Decimal("0.00")]
    assert got.rhythm.expected_on == D(2026, 6, 7)
    assert [(name, r.expected_on) for name, r in got.group_rhythms] == [
        ("Consumables", D(2026, 6, 7)),
        ("Equipment", D(2026, 7, 7)),
    ]


def test_purchase_history_of_a_customer_out_of_scope_is_404(history, org):
    with pytest.raises(Http404):
        repeat.purchase_history(user=org.user("rep_south"), party_id=history.alpha.pk, today=D(2026, 6, 1))
    with pytest.raises(Http404):
        repeat.purchase_history(user=org.user("other_clerk"), party_id=history.alpha.pk, today=D(2026, 6, 1))


def test_suggestions_rank_by_share_with_the_best_reason(suggestion_world, org):
    found = repeat.suggestions_for(user=org.user("rep_north"), parties=[suggestion_world.target])
    got = found[suggestion_world.target.pk]
    assert [(s.product.code, s.because.code, s.together, s.base, s.rank) for s in got] == [
        ("Y", "V", 2, 2, 1),
        ("Z", "X", 2, 4, 2),
    ]
    assert got[0].reason == "bought by 2 of 2 customers who also buy Product V"
    assert got[1].share == Decimal("50")


def test_suggestions_respect_the_minimum_support(suggestion_world, org):
    found = repeat.suggestions_for(
        user=org.user("rep_north"), parties=[suggestion_world.target], min_support=1
    )
    codes = [s.product.code for s in found[suggestion_world.target.pk]]
    assert codes == ["Y", "Z", "W"]  # W: 1 of 4; Q stays out (inactive)


def test_suggestions_are_made_only_for_customers_in_scope(suggestion_world, org):
    assert repeat.suggestions_for(user=org.user("rep_south"), parties=[suggestion_world.target]) == {}
    assert repeat.suggestions_for(user=org.user("other_clerk")) == {}
    mine = repeat.suggestions_for(user=org.user("rep_north"))
    assert set(mine) == {suggestion_world.target.pk}


def test_worklist_puts_overdue_then_due_and_leaves_out_the_rest(history, org):
    rows = repeat.worklist(user=org.user("rep_north"), today=D(2026, 6, 10))
    assert [(r.rhythm.party_id, r.rhythm.status) for r in rows] == [
        (history.beta.pk, repeat.OVERDUE),
        (history.alpha.pk, repeat.DUE),
    ]
    managers = repeat.worklist(user=org.user("nsm"), today=D(2026, 6, 10))
    assert [r.rhythm.party_id for r in managers] == [history.delta.pk, history.beta.pk, history.alpha.pk]
    south_only = repeat.worklist(user=org.user("nsm"), today=D(2026, 6, 10), region=org.south)
    assert [r.rhythm.party_id for r in south_only] == [history.delta.pk]
    due_only = repeat.worklist(user=org.user("nsm"), today=D(2026, 6, 10), kind="due")
    assert [r.rhythm.party_id for r in due_only] == [history.alpha.pk]


def test_worklist_lists_upsell_candidates_after_reorders(suggestion_world, org):
    rows = repeat.worklist(user=org.user("nsm"), today=D(2026, 6, 10))
    """One purchase date each, so no reorder rhythm: everyone with a suggestion is a candidate,
    strongest first (target and c3 at 2 of 2, then 3 of 4, then 2 of 4; ties by customer)."""
    names = {p.pk: name for name, p in suggestion_world.parties.items()}
    assert [(names[r.rhythm.party_id], r.kind, r.suggestions[0].product.code) for r in rows] == [
        ("target", "upsell", "Y"),
        ("c3", "upsell", "Z"),  # via Q: its other buyers c1, c2 both buy Z
        ("c4", "upsell", "Y"),
        ("c5", "upsell", "X"),
        ("c6", "upsell", "X"),
        ("c1", "upsell", "V"),
        ("c2", "upsell", "V"),
    ]
