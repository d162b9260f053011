"""Posting compliance per employee: first-time acceptance, rejections and corrections."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from frontoffice.finance.selectors.compliance import posting_compliance_by_employee
from frontoffice.finance.services.posting import (
    journal_entry_draft_save,
    journal_entry_post,
    journal_entry_reverse,
    journal_entry_submit,
)
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.finance.tests.conftest import voucher

pytestmark = pytest.mark.django_db

YEAR = (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


def test_counts_first_time_acceptance_rejections_and_corrections(org, ledger):
    clerk, manager = org.user("clerk"), org.user("finance_manager")
    good = journal_entry_post(
        actor=clerk, legal_entity=ledger, entry=voucher(("5010", "10.00", None), ("1930", None, "10.00"))
    )
    # A draft refused once (unbalanced), fixed, then posted: not accepted the first time.
    draft = journal_entry_draft_save(
        actor=clerk, legal_entity=ledger, entry=voucher(("5010", "10.00", None), ("1930", None, "9.00"))
    )
    with pytest.raises(PostingRejected):
        journal_entry_submit(actor=clerk, draft=draft)
    draft = journal_entry_draft_save(
        actor=clerk,
        legal_entity=ledger,
        draft=draft,
        entry=voucher(("5010", "10.00", None), ("1930", None, "10.00")),
    )
    journal_entry_submit(actor=clerk, draft=draft)
    # A refused direct posting, and a correction of the clerk's first voucher by the manager.
    with pytest.raises(PostingRejected):
        journal_entry_post(
            actor=clerk, legal_entity=ledger, entry=voucher(("1510", "5.00", None), ("1930", None, "5.00"))
        )
    journal_entry_reverse(actor=manager, entry=good)

    rows = {
        r.name: r
        for r in posting_compliance_by_employee(user=manager, legal_entity=ledger, start=YEAR[0], end=YEAR[1])
    }
    clerk_row = rows["Clerk Test"]
    assert (clerk_row.posted, clerk_row.first_time, clerk_row.rejections, clerk_row.corrections) == (
        2,
        1,
        2,
        1,
    )
    assert clerk_row.first_time_share == Decimal("50.0")
    assert clerk_row.codes == {"unbalanced": 1, "control_account": 1}
    manager_row = rows["Finance_Manager Test"]
    assert (manager_row.posted, manager_row.first_time, manager_row.rejections, manager_row.corrections) == (
        1,
        1,
        0,
        0,
    )


def test_only_roles_with_the_rejection_permission_see_compliance(org, ledger, client_for):
    with pytest.raises(PermissionDenied):
        posting_compliance_by_employee(
            user=org.user("clerk"), legal_entity=ledger, start=YEAR[0], end=YEAR[1]
        )
    url = reverse("finance:report-compliance")
    assert client_for("finance_manager").get(url).status_code == 200
    assert client_for("auditor").get(url).status_code == 200
    for persona in ("clerk", "rep_north", "receptionist"):
        assert client_for(persona).get(url).status_code == 403


def test_other_legal_entities_see_nothing(org, ledger):
    clerk = org.user("clerk")
    journal_entry_post(
        actor=clerk, legal_entity=ledger, entry=voucher(("5010", "10.00", None), ("1930", None, "10.00"))
    )
    # A user whose scope is another legal entity gets no rows of this one.
    from frontoffice.org.models import Role, Staff

    other = org.user("other_clerk")
    Staff.objects.filter(user=other).update(role=Role.objects.get(code="finance_manager"))
    assert (
        posting_compliance_by_employee(
            user=org.user("other_clerk"), legal_entity=ledger, start=YEAR[0], end=YEAR[1]
        )
        == []
    )


def test_the_report_page_lists_the_most_broken_standards(org, ledger, client_for):
    clerk = org.user("clerk")
    with pytest.raises(PostingRejected):
        journal_entry_post(
            actor=clerk, legal_entity=ledger, entry=voucher(("1510", "5.00", None), ("1930", None, "5.00"))
        )
    html = (
        client_for("finance_manager")
        .get(reverse("finance:report-compliance"), {"start": "2026-01-01", "end": "2026-12-31"})
        .content.decode()
    )
    assert 'href="/finance/standards/#standard-control_account"' in html
    assert "Clerk Test" in html
