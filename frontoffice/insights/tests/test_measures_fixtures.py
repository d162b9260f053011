"""The reception, finance and professionalism measures against a small hand-computed fixture.

``test_measures.py`` covers the sales measures, visits and waiting time on the shared
``world``; this module covers the others. Every measure gets its own rows, attributed to the
same six people, chosen by where they sit so that each level adds someone:

- person:   receptionist (North clinic, team "Desk team")
- team:     + clerk (in "Desk team", no home location)
- location: receptionist + office_manager (the North clinic; the clerk is not there)
- region:   + rep_north (North; rsm_north has no rows)
- company:  + clerk + finance_manager (Tandhälsan Norden AB)
- other_clerk (Other Company AB) has rows too: they count nowhere.

Each measure also has rows that must not count: outside the period (9 March, from 00:15
local time), filtered out (cancelled, draft, credit note, unanswered, ...) or attributed to
nobody. Rows at 00:30 local time on 2 March (still 1 March in UTC) belong to the period.
The expected values are written out; the comment above each says how they were computed.
Rows are created directly (the measures only read them).
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from frontoffice.billing.tests.conftest import billing  # noqa: F401 - fixture
from frontoffice.finance.tests.conftest import ledger  # noqa: F401 - fixture
from frontoffice.insights.facts import figure_from_facts, rebuild
from frontoffice.insights.measures import OrgUnit, compute, get_measure
from frontoffice.insights.models import DailyFact
from frontoffice.insights.tests.conftest import END, START

pytestmark = pytest.mark.django_db

D = datetime.date
LEVELS = ("person", "team", "location", "region", "company")
_seq = itertools.count(1)

# measure -> level -> expected figure (as written in a report)
EXPECTED: dict[str, dict[str, str | None]] = {
    # Appointments not cancelled and not still booked; no-shows of them.
    # rec 1/4, clerk 1/1, om 0/3, rep 2/2, fm 0/1:
    # person 1/4 = 25.0; team 2/5 = 40.0; location 1/7 = 14.3; region 3/9 = 33.3; company 4/11 = 36.4
    "no_show_rate": {
        "person": "25.0",
        "team": "40.0",
        "location": "14.3",
        "region": "33.3",
        "company": "36.4",
    },
    # Invoices (not credit notes, not drafts) by issuer: rec 2, clerk 3, om 1, rep 1, fm 4.
    "invoices_issued": {"person": "2", "team": "5", "location": "3", "region": "4", "company": "11"},
    # Questions resolved: rec 2, clerk 1, om 2, rep 3, fm 1.
    "questions_resolved": {"person": "2", "team": "3", "location": "4", "region": "7", "company": "9"},
    # Median working minutes: rec 30, 90; clerk 200; om 10, 20; rep 40, 50, 60; fm 1000.
    # person median(30, 90) = 60; team (30, 90, 200) = 90; location (10, 20, 30, 90) = 25;
    # region (10, 20, 30, 40, 50, 60, 90) = 40; company (+ 200, 1000) = 50.
    "question_resolution_time": {
        "person": "60.0",
        "team": "90.0",
        "location": "25.0",
        "region": "40.0",
        "company": "50.0",
    },
    # Ratings: rec visits 5 and 4, a question 3 (12 / 3); clerk a question 2; om a visit 5;
    # rep meetings 1 and 2; fm a question 5.
    # person 12/3 = 4.00; team 14/4 = 3.50; location 17/4 = 4.25; region 20/6 = 3.33;
    # company 27/8 = 3.375 -> 3.38 (half up).
    "csat": {"person": "4.00", "team": "3.50", "location": "4.25", "region": "3.33", "company": "3.38"},
    # Complaints by owner: rec 1, clerk 2, om 3, rep 1, fm 2.
    "complaints": {"person": "1", "team": "3", "location": "4", "region": "5", "company": "9"},
    # Observation scores: rec 80, 70; clerk 90; om 60; rep 100, 95; fm 50.50.
    # person 150/2 = 75.0; team 240/3 = 80.0; location 210/3 = 70.0; region 405/5 = 81.0;
    # company 545.5/7 = 77.93 -> 77.9.
    "observation_score": {
        "person": "75.0",
        "team": "80.0",
        "location": "70.0",
        "region": "81.0",
        "company": "77.9",
    },
    # Posted vouchers without a rejection: rec 2/3, clerk 0/1, om 1/1, rep 2/2, fm 0/2.
    # person 66.7; team 2/4 = 50.0; location 3/4 = 75.0; region 5/6 = 83.3; company 5/9 = 55.6.
    "posting_compliance": {
        "person": "66.7",
        "team": "50.0",
        "location": "75.0",
        "region": "83.3",
        "company": "55.6",
    },
    # Assignments due in the period (not cancelled) completed by the due day (local date):
    # rec 2/4, clerk 1/1, om 0/1, rep 2/2, fm 0/1.
    # person 50.0; team 3/5 = 60.0; location 2/5 = 40.0; region 4/7 = 57.1; company 5/9 = 55.6.
    "training_on_time": {
        "person": "50.0",
        "team": "60.0",
        "location": "40.0",
        "region": "57.1",
        "company": "55.6",
    },
    # Company level only: receivables open on 8 March / credit sales 2-8 March x 7 days
    # = 2800.00 / 4500.00 x 7 = 4.36 -> 4.4 (see ``invoices``).
    "dso": {"person": None, "team": None, "location": None, "region": None, "company": "4.4"},
}


def local(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime.datetime:
    """A Stockholm time in 2026 (March unless told)."""
    return timezone.make_aware(datetime.datetime(2026, month, day, hour, minute))


# ---------------------------------------------------------------------------------------------
# Rows


def appointments(org: Any, p: dict[str, Any]) -> None:
    from frontoffice.appointments.models import Appointment, AppointmentType, Resource
    from frontoffice.appointments.tests.factories import make_patient

    resource = Resource.objects.create(location=org.clinic, name="Dr Berg")
    kind = AppointmentType.objects.create(legal_entity=org.company, name="Check-up", duration_minutes=30)
    patient = make_patient(org, org.clinic, "Anna Svensson")
    hours = itertools.count(0)

    def add(who: Any, status: str, day: int = 3) -> None:
        start = local(day, 7) + datetime.timedelta(minutes=30 * next(hours))  # never overlapping
        Appointment.objects.create(
            location=org.clinic,
            resource=resource,
            appointment_type=kind,
            party=patient,
            start_at=start,
            end_at=start + datetime.timedelta(minutes=20),
            busy_from=start,
            busy_until=start + datetime.timedelta(minutes=20),
            status=status,
            booking_code=f"B{next(_seq):07d}",
            booked_by=who,
        )

    for status in ("done", "no_show", "done", "done", "cancelled", "booked"):
        add(p["rec"], status, day=2)
    add(p["rec"], "no_show", day=9)  # next period
    add(p["clerk"], "no_show", day=4)
    for _i in range(3):
        add(p["om"], "done", day=5)
    add(p["rep"], "no_show", day=6)
    add(p["rep"], "no_show", day=6)
    add(p["fm"], "done", day=8)
    add(p["other"], "no_show", day=4)
    add(None, "no_show", day=4)  # booked online: nobody's


def _invoice_base(org: Any, legal_entity: Any, series: Any) -> dict[str, Any]:
    from frontoffice.billing.models import BillingProfile
    from frontoffice.parties.models import Party

    party = Party.objects.create(
        kind=Party.Kind.ORGANISATION,
        organisation_name="Norrsken Bygg AB",
        display_name="Norrsken Bygg AB",
        legal_entity=legal_entity,
    )
    profile = BillingProfile.objects.create(
        legal_entity=legal_entity,
        party=party,
        legal_name="Norrsken Bygg AB",
        street="Storgatan 1",
        postal_code="903 26",
        city="Umeå",
    )
    return {"legal_entity": legal_entity, "party": party, "profile": profile, "series": series}


def invoices(org: Any, p: dict[str, Any]) -> dict[str, Any]:
    """Invoices issued 2-8 March (and around), with totals and open amounts for DSO.

    Credit sales 2-8 March: 1000 + 2000 + 3 x 100 + 300 + 400 + 4 x 250 = 5000, less the
    credit note of 500 = 4500. Open on 8 March (issued, open amount not 0): the first invoice
    (1000 - 500 credited) 500 + the clerk's 300 + rep's 400 + fm's 1000 + February's 600 = 2800.
    """
    from frontoffice.billing.models import Invoice, InvoiceSeries

    series = InvoiceSeries.objects.get(legal_entity=org.company, code="F")
    credit_series = InvoiceSeries.objects.get(legal_entity=org.company, code="K")
    base = _invoice_base(org, org.company, series)
    numbers = itertools.count(1)

    def add(who: Any, when: datetime.datetime | None, total: str, open_: str, **extra: Any) -> Invoice:
        fields = {**base, **extra}
        status = fields.pop("status", "issued" if open_ != "0" else "paid")
        issued = when is not None
        return Invoice.objects.create(
            **fields,
            status=status if issued else "draft",
            year=2026 if issued else None,
            number=next(numbers) if issued else None,
            issue_on=when.date() if issued else None,
            issued_at=when,
            issued_by=who,
            total_amount=Decimal(total),
            open_amount=Decimal(open_),
        )

    first = add(p["rec"], local(2, 0, 30), "1000", "500")  # 500 credited by the credit note
    add(p["rec"], local(5, 14), "2000", "0")
    add(
        p["rec"],
        local(5, 15),
        "500",
        "0",
        kind="credit_note",
        credits=first,
        series=credit_series,
        status="issued",
    )
    add(p["rec"], local(9, 0, 15), "700", "700")  # next period
    add(p["rec"], None, "800", "800")  # a draft
    for _i in range(3):
        add(p["clerk"], local(3, 10), "100", "100")
    add(p["om"], local(4, 11), "300", "0")
    add(p["rep"], local(6, 12), "400", "400")
    for _i in range(4):
        add(p["fm"], local(8, 23, 30), "250", "250")
    add(p["fm"], local(10, 9, month=2), "600", "600")  # February: open, but not a sale of the period
    other_series = InvoiceSeries.objects.create(legal_entity=org.other_company, code="F", name="F")
    other = _invoice_base(org, org.other_company, other_series)
    Invoice.objects.create(
        **other,
        status="issued",
        year=2026,
        number=1,
        issue_on=D(2026, 3, 3),
        issued_at=local(3),
        issued_by=p["other"],
        total_amount=Decimal("9999"),
        open_amount=Decimal("9999"),
    )
    return {"invoice": first, "base": base}


def questions(org: Any, p: dict[str, Any], invoice: Any) -> None:
    """Invoice questions: (resolver, resolved at, working minutes, rating, rated at)."""
    from frontoffice.billing.models import InvoiceLine, InvoiceQuestion, VatCode
    from frontoffice.finance.models import LedgerAccount
    from frontoffice.parties.models import Interaction

    vat = VatCode.objects.get(legal_entity=org.company, code="SE25")
    line = InvoiceLine.objects.create(
        invoice=invoice,
        line_no=1,
        description="Undersökning",
        quantity=Decimal("1"),
        unit_price_amount=Decimal("800"),
        vat_code=vat,
        vat_rate=Decimal("25"),
        revenue_account=LedgerAccount.objects.get(legal_entity=org.company, number="3001"),
        net_amount=Decimal("800"),
    )

    def add(
        who: Any,
        resolved: datetime.datetime | None,
        minutes: int | None,
        rating: int | None = None,
        rated: datetime.datetime | None = None,
    ) -> None:
        asked = local(1, 8, month=3) if resolved is None else resolved - datetime.timedelta(hours=1)
        interaction = Interaction.objects.create(
            party=invoice.party,
            legal_entity=org.company,
            kind="invoice_question",
            channel="phone",
            started_at=asked,
            subject="Question",
        )
        InvoiceQuestion.objects.create(
            legal_entity=org.company,
            invoice=invoice,
            line=line,
            party=invoice.party,
            interaction=interaction,
            category="other",
            channel="phone",
            status="resolved" if resolved else "open",
            asked_at=asked,
            first_response_due_at=asked,
            resolution_due_at=asked,
            resolved_at=resolved,
            resolved_by=who if resolved else None,
            resolution_minutes=minutes,
            rating=rating,
            rated_at=rated,
        )

    add(p["rec"], local(2, 0, 30), 30, 3, local(4, 10))
    add(p["rec"], local(6, 16), 90)
    add(p["rec"], local(9, 0, 15), 5000, 1, local(9, 1))  # next period
    add(p["rec"], None, None)  # still open
    add(p["clerk"], local(3, 11), 200, 2, local(3, 12))
    add(p["om"], local(4, 9), 10)
    add(p["om"], local(4, 10), 20)
    for minutes in (40, 50, 60):
        add(p["rep"], local(5, 9), minutes)
    add(p["fm"], local(8, 23, 30), 1000, 5, local(8, 23, 45))
    add(p["other"], local(3, 9), 1, 1, local(3, 10))


def ratings(org: Any, p: dict[str, Any]) -> None:
    """Visit and meeting feedback (the questions' ratings are in ``questions``)."""
    from frontoffice.activities.models import Meeting, MeetingFeedback
    from frontoffice.parties.tests.factories import make_party
    from frontoffice.reception.models import Visit, VisitFeedback

    def visit_feedback(who: Any, rating: int | None, answered: datetime.datetime | None) -> None:
        visit = Visit.objects.create(
            location=org.clinic,
            visitor_name="V",
            visit_date=D(2026, 3, 1),
            ticket_number=next(_seq),
            arrived_at=local(1, 8),
            receptionist=who,
        )
        VisitFeedback.objects.create(
            visit=visit,
            location=org.clinic,
            receptionist=who,
            recipient="v@example.com",
            token_hash=f"{next(_seq):064d}",
            expires_at=local(20),
            answered_at=answered,
            rating=rating,
        )

    visit_feedback(p["rec"], 5, local(2, 0, 30))
    visit_feedback(p["rec"], 4, local(7, 12))
    visit_feedback(p["rec"], None, None)  # asked, never answered
    visit_feedback(p["rec"], 1, local(9, 0, 15))  # next period
    visit_feedback(p["om"], 5, local(5, 12))
    visit_feedback(None, 1, local(5, 13))  # nobody's
    party = make_party(org.user("admin"))

    def meeting_feedback(organiser: Any, rating: int, answered: datetime.datetime) -> None:
        meeting = Meeting.objects.create(
            legal_entity=org.company,
            party=party,
            organiser=organiser,
            title="Demo",
            starts_at=answered - datetime.timedelta(days=1),
            ends_at=answered - datetime.timedelta(days=1) + datetime.timedelta(hours=1),
            status="held",
        )
        MeetingFeedback.objects.create(
            meeting=meeting,
            recipient="c@example.com",
            token_hash=f"m{next(_seq):063d}",
            expires_at=local(20),
            answered_at=answered,
            rating=rating,
        )

    meeting_feedback(p["rep"], 1, local(3, 15))
    meeting_feedback(p["rep"], 2, local(8, 23, 30))
    meeting_feedback(p["rep"], 5, local(1, 23, 30))  # the day before the period


def complaints(org: Any, p: dict[str, Any]) -> None:
    from frontoffice.surveys.models import Complaint

    def add(who: Any, when: datetime.datetime) -> None:
        # A reception complaint at the clinic: the one complaint model of every desk.
        complaint = Complaint.objects.create(
            legal_entity=org.clinic.legal_entity,
            desk=Complaint.Desk.RECEPTION,
            location=org.clinic,
            region=org.clinic.region,
            subject="Rude",
            description="Rude",
            owner=who,
        )
        Complaint.objects.filter(pk=complaint.pk).update(created_at=when)

    add(p["rec"], local(2, 0, 30))
    add(p["rec"], local(9, 0, 15))  # next period
    add(None, local(4))  # not yet assigned
    for who, count in (("clerk", 2), ("om", 3), ("rep", 1), ("fm", 2), ("other", 4)):
        for _i in range(count):
            add(p[who], local(5))


def observations(org: Any, p: dict[str, Any]) -> None:
    from frontoffice.org.models import Staff
    from frontoffice.training.models import Observation, Rubric

    rubric = Rubric.objects.create(code="desk-manner", name_en="Desk manner")

    def add(who: Any, score: str, when: datetime.datetime) -> None:
        Observation.objects.create(
            person=Staff.objects.get(user=who),
            observer=org.user("office_manager"),
            rubric=rubric,
            observed_at=when,
            score_percent=Decimal(score),
        )

    add(p["rec"], "80", local(2, 0, 30))
    add(p["rec"], "70", local(6))
    add(p["rec"], "10", local(9, 0, 15))  # next period
    add(p["clerk"], "90", local(3))
    add(p["om"], "60", local(4))
    add(p["rep"], "100", local(5))
    add(p["rep"], "95", local(8, 23, 30))
    add(p["fm"], "50.50", local(7))
    add(p["other"], "0", local(4))


def vouchers(org: Any, p: dict[str, Any]) -> None:
    from frontoffice.finance.models import JournalEntry, VoucherSeries

    series = VoucherSeries.objects.get(legal_entity=org.company, code="A")
    other_series = VoucherSeries.objects.create(legal_entity=org.other_company, code="A", name="A")
    numbers = itertools.count(1000)

    def add(who: Any, day: int, rejections: int, status: str = "posted", **extra: Any) -> None:
        posted = status == "posted"
        JournalEntry.objects.create(
            legal_entity=extra.pop("legal_entity", org.company),
            series=extra.pop("series", series),
            number=next(numbers) if posted else None,
            date=D(2026, 3, day),
            text="Voucher",
            status=status,
            posted_at=local(day, 12) if posted else None,
            posted_by=who if posted else None,
            created_by=who,
            rejection_count=rejections,
        )

    add(p["rec"], 2, 0)
    add(p["rec"], 4, 0)
    add(p["rec"], 8, 2)
    add(p["rec"], 5, 1, status="draft")
    add(p["rec"], 9, 1)  # next period
    add(p["clerk"], 3, 1)
    add(p["om"], 4, 0)
    add(p["rep"], 5, 0)
    add(p["rep"], 6, 0)
    add(p["fm"], 7, 1)
    add(p["fm"], 7, 1)
    add(p["other"], 4, 0, legal_entity=org.other_company, series=other_series)


def assignments(org: Any, p: dict[str, Any]) -> None:
    from frontoffice.org.models import Staff
    from frontoffice.training.models import Assignment, Course, CourseVersion

    def add(
        who: Any, due: int, completed: datetime.datetime | None, cancelled: datetime.datetime | None = None
    ) -> None:
        n = next(_seq)
        course = Course.objects.create(slug=f"course-{n}")
        version = CourseVersion.objects.create(course=course, number=1, status="published")
        Assignment.objects.create(
            course=course,
            version=version,
            person=Staff.objects.get(user=who),
            due_on=D(2026, 3, due),
            completed_at=completed,
            cancelled_at=cancelled,
        )

    add(p["rec"], 3, local(2, 10))  # on time
    add(p["rec"], 4, local(4, 23, 30))  # on the due day (local time): on time
    add(p["rec"], 5, local(6, 0, 30))  # 00:30 on 6 March is still 5 March in UTC: late
    add(p["rec"], 6, None)  # not done: late
    add(p["rec"], 5, None, cancelled=local(3))  # cancelled: does not count
    add(p["rec"], 9, local(9))  # next period
    add(p["clerk"], 3, local(3, 9))
    add(p["om"], 4, local(5, 9))
    add(p["rep"], 6, local(1, 9))
    add(p["rep"], 8, local(8, 17))
    add(p["fm"], 7, None)
    add(p["other"], 5, local(2, 9))


@pytest.fixture
def fixture_world(org: Any, billing: Any) -> dict[str, Any]:  # noqa: F811 - the imported fixture
    from frontoffice.org.models import Staff, Team

    team = Team.objects.create(location=org.clinic, name="Desk team")
    Staff.objects.filter(user__in=[org.user("receptionist"), org.user("clerk")]).update(team=team)
    p = {
        "rec": org.user("receptionist"),
        "clerk": org.user("clerk"),
        "om": org.user("office_manager"),
        "rep": org.user("rep_north"),
        "fm": org.user("finance_manager"),
        "other": org.user("other_clerk"),
    }
    appointments(org, p)
    made = invoices(org, p)
    questions(org, p, made["invoice"])
    ratings(org, p)
    complaints(org, p)
    observations(org, p)
    vouchers(org, p)
    assignments(org, p)
    units = {
        "person": OrgUnit("person", p["rec"]),
        "team": OrgUnit("team", team),
        "location": OrgUnit("location", org.clinic),
        "region": OrgUnit("region", org.north),
        "company": OrgUnit("company", org.company),
    }
    return {"org": org, "people": p, "team": team, "units": units}


def _expected(key: str, level: str) -> Decimal | None:
    value = EXPECTED[key][level]
    return None if value is None else Decimal(value)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_measure_at_every_level(fixture_world, key):
    """Live from the source rows and folded from the daily facts, the same exact figure."""
    measure = get_measure(key)
    viewer = fixture_world["org"].user("finance_manager")
    rebuild()
    for level in LEVELS:
        unit = fixture_world["units"][level]
        expected = _expected(key, level)
        live = compute(measure, unit, START, END, user=viewer)
        assert live.available, key
        assert live.value == expected, (key, level, live.value)
        assert str(live.value) == str(EXPECTED[key][level]), (key, level)  # places as reported
        folded = figure_from_facts(measure, unit, START, END, user=viewer)
        assert folded.value == expected, (key, level, "facts", folded.value)


def test_additive_measures_have_facts_and_the_others_none(fixture_world):
    rebuild()
    with_facts = set(DailyFact.objects.values_list("measure", flat=True).distinct())
    additive = {k for k in EXPECTED if get_measure(k).from_facts}
    assert additive == {
        "no_show_rate",
        "invoices_issued",
        "questions_resolved",
        "csat",
        "complaints",
        "observation_score",
        "posting_compliance",
        "training_on_time",
    }
    assert additive <= with_facts
    assert not with_facts & {"question_resolution_time", "dso"}


def test_facts_place_rows_by_local_day(fixture_world):
    """A complaint at 00:30 on 2 March (1 March in UTC) is a fact of 2 March; 9 March's
    00:15 complaint is a fact of 9 March, outside the period."""
    rec = fixture_world["people"]["rec"]
    rebuild()
    days = sorted(
        DailyFact.objects.filter(measure="complaints", unit_id=rec.pk).values_list("day", "denominator")
    )
    assert days == [(D(2026, 3, 2), 1), (D(2026, 3, 9), 1)]
    on_time = DailyFact.objects.get(measure="training_on_time", unit_id=rec.pk, day=D(2026, 3, 5))
    assert (on_time.numerator, on_time.denominator) == (0, 1)  # completed 00:30 local on the 6th


def test_dso_needs_the_viewer_and_the_company(fixture_world):
    dso = get_measure("dso")
    company = fixture_world["units"]["company"]
    viewer = fixture_world["org"].user("finance_manager")
    assert compute(dso, company, START, END).value is None  # no viewer: no scope to read with
    for level in ("person", "team", "location", "region"):
        figure = compute(dso, fixture_world["units"][level], START, END, user=viewer)
        assert figure.applicable is False and figure.value is None
    # The other company's receivables are not in this one's DSO.
    other = OrgUnit("company", fixture_world["org"].other_company)
    assert compute(dso, other, START, END, user=viewer).value is None
