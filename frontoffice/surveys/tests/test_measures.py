"""Survey answers count in the insights measures: CSAT beside the desks' ratings, NPS on its own,
general complaints beside reception's. Values are hand-computed."""

from __future__ import annotations

import datetime
from decimal import Decimal

from frontoffice.insights.facts import figure_from_facts, rebuild
from frontoffice.insights.measures import OrgUnit, compute, get_measure
from frontoffice.surveys.models import Complaint, SurveyRequest

START, END = datetime.date(2026, 3, 2), datetime.date(2026, 3, 9)
AT = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC)


def answer(org, party, n: int, kind: str, score: int | None, user=None) -> SurveyRequest:
    return SurveyRequest.objects.create(
        legal_entity=org.company,
        kind=kind,
        trigger="reception.visit_completed",
        party=party,
        concerns=f"reception.visit:{n}",
        staff_user=user or org.user("receptionist"),
        location=org.clinic,
        region=org.north,
        recipient="greta@example.com",
        token_hash=f"{n:064d}",
        sent_at=AT - datetime.timedelta(days=1),
        expires_at=AT + datetime.timedelta(days=13),
        answered_at=AT if score is not None else None,
        score=score,
    )


def test_csat_and_nps_count_survey_answers_for_the_staff_member(org, party):
    receptionist = OrgUnit("person", org.user("receptionist"))
    answer(org, party, 1, "csat", 5)
    answer(org, party, 2, "csat", 3)
    answer(org, party, 3, "csat", None)  # unanswered: not a rating
    for n, score in enumerate([10, 9, 7, 3], start=10):
        answer(org, party, n, "nps", score)
    answer(org, party, 20, "nps", 0, user=org.user("rep_north"))  # someone else's detractor
    assert compute(get_measure("csat"), receptionist, START, END).value == Decimal("4.00")
    # 2 promoters, 1 passive, 1 detractor of 4 answers: 50 - 25 = 25.
    assert compute(get_measure("nps"), receptionist, START, END).value == Decimal("25.0")
    rebuild()
    assert figure_from_facts(get_measure("nps"), receptionist, START, END).value == Decimal("25.0")
    company = OrgUnit("company", org.company)
    # 2 promoters, 1 passive, 2 detractors of 5: 40 - 40 = 0.
    assert compute(get_measure("nps"), company, START, END).value == Decimal("0.0")


def test_complaints_of_every_desk_count_for_their_owner(org, party):
    owner = org.user("rep_north")
    Complaint.objects.create(
        legal_entity=org.company,
        desk="sales",
        subject="Late quote",
        description="The quote came late.",
        owner=owner,
        region=org.north,
    )
    Complaint.objects.filter(subject="Late quote").update(created_at=AT)
    figure = compute(get_measure("complaints"), OrgUnit("person", owner), START, END)
    assert figure.value == Decimal("1")
