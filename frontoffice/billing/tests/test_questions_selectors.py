"""Read path of invoice questions: the oversight figures computed in SQL (medians with window
functions, exact average ratings), the at-risk rule, and the customer page's selector."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from frontoffice.billing.models import InvoiceQuestion
from frontoffice.billing.selectors.questions import customer_questions, question_list, question_oversight
from frontoffice.billing.services.questions import (
    question_assign,
    question_note,
    question_rate,
    question_reply,
    question_resolve,
)
from frontoffice.billing.tests.questions_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.questions_factories import ask, sthlm
from frontoffice.org.models import Role, Staff, User

pytestmark = pytest.mark.django_db
D = Decimal
SINCE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def clerk_two(org):
    user = User.objects.create_user(
        username="clerk_two", email="two@example.com", first_name="Two", last_name="Test"
    )
    Staff.objects.create(user=user, legal_entity=org.company, role=Role.objects.get(code="accounts_clerk"))
    return user


def resolved(monday, org, link, assignee, *, minutes: int, rating: int | None = None) -> InvoiceQuestion:
    """A question asked Monday 16 March at 08:00, given to ``assignee`` and resolved
    ``minutes`` working minutes later (all on that Monday), then rated."""
    monday.move_to(sthlm(16, 8))
    question = ask(link)
    if question.assigned_to != assignee:
        question = question_assign(actor=org.user("finance_manager"), question=question, assignee=assignee)
    monday.move_to(sthlm(16, 8) + datetime.timedelta(minutes=minutes))
    question = question_resolve(actor=assignee, question=question, explanation="Explained.")
    if rating is not None:
        question_rate(link=link.link, question=question, rating=rating)
    return question


@pytest.mark.usefixtures("invoice")
def test_oversight_medians_and_ratings_per_assignee_and_in_total(monday, org, link, clerk_two, settings):
    settings.BILLING_QUESTION_LIMIT_PER_DAY = 50
    clerk = org.user("clerk")
    for minutes, rating in [(60, 5), (180, 4), (600 - 120, 4)]:  # 480 stays within Monday
        resolved(monday, org, link, clerk, minutes=minutes, rating=rating)
    for minutes, rating in [(30, 2), (90, None)]:
        resolved(monday, org, link, clerk_two, minutes=minutes, rating=rating)
    monday.move_to(sthlm(16, 16))
    ask(link)  # open, to the clerk with fewer open (equal: the one assigned longest ago)
    figures = question_oversight(user=org.user("finance_manager"), legal_entity=org.company, since=SINCE)
    rows = {row.user.username: row for row in figures.rows}
    assert set(rows) == {"clerk", "clerk_two"}
    one, two = rows["clerk"], rows["clerk_two"]
    assert (one.resolved, one.median_resolution_minutes, one.median_first_response_minutes) == (3, 180, 180)
    assert (one.average_rating, one.ratings, one.good_share) == (D("4.33"), 3, D("100"))
    # An even count: the mean of the two middle values, (30 + 90) / 2.
    assert (two.resolved, two.median_resolution_minutes) == (2, 60)
    assert (two.average_rating, two.ratings, two.good_share) == (D("2.00"), 1, D("0"))
    # In total: 30, 60, 90, 180, 480 -> 90; ratings 5, 4, 4, 2 -> 3.75, 3 of 4 good.
    assert (figures.totals.resolved, figures.totals.median_resolution_minutes) == (5, 90)
    assert (figures.totals.average_rating, figures.totals.ratings, figures.totals.good_share) == (
        D("3.75"),
        4,
        D("75"),
    )
    assert (figures.open, figures.unassigned, figures.totals.open) == (1, 0, 1)


def test_oversight_counts_the_queue_at_risk_and_overdue(monday, org, invoice, link):
    ask(link)  # first response due Tuesday 09:00
    monday.move_to(sthlm(16, 16))
    ask(link)  # first response due Tuesday 15:00
    Staff.objects.filter(user=org.user("clerk")).update(active=False)
    ask(link)  # unassigned; due Tuesday 15:00
    monday.move_to(sthlm(17, 7))  # at risk until Tuesday 10:00
    figures = question_oversight(user=org.user("finance_manager"), legal_entity=org.company, since=SINCE)
    assert (figures.open, figures.unassigned, figures.at_risk, figures.overdue) == (3, 1, 1, 0)
    monday.move_to(sthlm(17, 14))  # at risk until 16:00; the first is overdue
    figures = question_oversight(user=org.user("finance_manager"), legal_entity=org.company, since=SINCE)
    assert (figures.at_risk, figures.overdue) == (3, 1)


def test_a_first_response_takes_the_question_off_the_first_deadline(monday, org, invoice, link):
    question = ask(link)
    question_reply(actor=org.user("clerk"), question=question, body="Looking into it.")
    monday.move_to(sthlm(17, 9, 30))  # first response was due 09:00, resolution Friday 14:00
    assert list(question_list(user=org.user("clerk"), due="overdue")) == []
    monday.move_to(sthlm(20, 13))  # within 2 working hours of the resolution deadline
    assert list(question_list(user=org.user("clerk"), due="at_risk")) == [question]


def test_oversight_is_scoped(monday, org, invoice, link, south_link):
    ask(link)
    ask(south_link)
    north = question_oversight(user=org.user("rsm_north"), legal_entity=org.company, since=SINCE)
    everyone = question_oversight(user=org.user("finance_manager"), legal_entity=org.company, since=SINCE)
    other = question_oversight(user=org.user("other_clerk"), legal_entity=org.company, since=SINCE)
    assert (north.open, everyone.open, other.open) == (1, 2, 0)


def test_the_customer_selector_leaves_out_internal_notes(org, invoice, link, south_link):
    question = ask(link, body="Ours.")
    ask(south_link, body="Theirs.")
    question_note(actor=org.user("clerk"), question=question, body="Internal.")
    question_reply(actor=org.user("clerk"), question=question, body="Public answer.")
    (shown,) = customer_questions(invoice=invoice)
    assert [m.body for m in shown.public_messages] == ["Ours.", "Public answer."]
