"""Complaints from every desk: owner, deadline, resolution, scope."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.core.models import AuditEntry
from frontoffice.surveys import selectors, services
from frontoffice.surveys.models import Complaint


def make(org, actor="clerk", **fields):
    fields.setdefault("desk", "finance")
    fields.setdefault("subject", "Invoice sent twice")
    fields.setdefault("description", "The customer got the same invoice twice.")
    return services.complaint_create(actor=org.user(actor), **fields)


def test_a_complaint_with_an_owner_starts_in_progress_and_is_audited(org, party):
    complaint = make(org, party=party, owner=org.user("clerk"), deadline=datetime.date(2026, 3, 10))
    complaint.refresh_from_db()
    assert complaint.status == "in_progress"
    assert complaint.legal_entity_id == org.company.pk
    assert complaint.region_id == org.north.pk  # the customer's region
    assert complaint.created_by == org.user("clerk")
    assert (
        AuditEntry.objects.filter(action="surveys.complaint.created", object_id=str(complaint.pk)).count()
        == 1
    )


def test_owner_deadline_then_resolution(org, party):
    complaint = make(org, party=party)
    assert complaint.status == "open"
    complaint = services.complaint_update(
        actor=org.user("finance_manager"),
        complaint=complaint,
        owner=org.user("clerk"),
        deadline=datetime.date(2026, 3, 10),
    )
    assert (complaint.status, complaint.owner, complaint.deadline) == (
        "in_progress",
        org.user("clerk"),
        datetime.date(2026, 3, 10),
    )
    with pytest.raises(ValidationError) as exc:
        services.complaint_resolve(actor=org.user("clerk"), complaint=complaint, resolution="   ")
    assert exc.value.error_dict["resolution"][0].code == "required"
    resolved = services.complaint_resolve(
        actor=org.user("clerk"), complaint=complaint, resolution="Credited the copy."
    )
    resolved.refresh_from_db()
    assert (resolved.status, resolved.resolution, resolved.resolved_by) == (
        "resolved",
        "Credited the copy.",
        org.user("clerk"),
    )
    with pytest.raises(ValidationError) as exc:
        services.complaint_update(actor=org.user("clerk"), complaint=resolved, deadline=None)
    assert exc.value.code == "resolved"
    with pytest.raises(ValidationError):
        services.complaint_resolve(actor=org.user("clerk"), complaint=resolved, resolution="again")


def test_the_owner_must_be_active_staff_of_the_company(org):
    with pytest.raises(ValidationError) as exc:
        make(org, owner=org.user("other_clerk"))
    assert exc.value.error_dict["owner"][0].code == "invalid_owner"
    with pytest.raises(ValidationError):
        make(org, owner=org.user("nobody"))
    assert Complaint.objects.count() == 0


def test_status_resolved_only_through_resolve(org):
    complaint = make(org)
    with pytest.raises(ValidationError) as exc:
        services.complaint_update(actor=org.user("clerk"), complaint=complaint, status="resolved")
    assert exc.value.error_dict["status"][0].code == "use_resolve"


def test_permissions_and_scope(org, party):
    with pytest.raises(PermissionDenied):
        make(org, actor="auditor")
    with pytest.raises(PermissionDenied):
        make(org, actor="nobody")
    # A rep of the south cannot see (so cannot attach) a customer of the north.
    with pytest.raises(ValidationError) as exc:
        make(org, actor="rep_south", desk="sales", party=party)
    assert exc.value.error_dict["party"][0].code == "unknown_party"
    # A receptionist registers at their own location, not at another one.
    mine = make(org, actor="receptionist", desk="reception", location=org.clinic)
    with pytest.raises(PermissionDenied):
        make(org, actor="receptionist", desk="reception", location=org.south_office)
    # The other company's clerk sees nothing of it and cannot change it.
    assert not selectors.complaint_list(user=org.user("other_clerk")).exists()
    with pytest.raises(PermissionDenied):
        services.complaint_update(actor=org.user("other_clerk"), complaint=mine, deadline=None)
    with pytest.raises(PermissionDenied):
        services.complaint_resolve(actor=org.user("auditor"), complaint=mine, resolution="x")


def test_list_filters_and_scope_by_persona(org, party, frozen):
    clinic = make(
        org, actor="receptionist", desk="reception", location=org.clinic, subject="Rude on the phone"
    )
    south = make(org, actor="admin", desk="sales", location=org.south_office, subject="Late quote")
    finance = make(
        org,
        actor="clerk",
        party=party,
        owner=org.user("clerk"),
        deadline=datetime.date(2026, 3, 1),
        subject="Twice",
    )
    services.complaint_resolve(actor=org.user("admin"), complaint=south, resolution="Apologised.")

    def ids(name, **filters):
        return set(selectors.complaint_list(user=org.user(name), **filters).values_list("pk", flat=True))

    assert ids("admin") == {clinic.pk, south.pk, finance.pk}
    assert ids("office_manager") == {clinic.pk}  # location scope
    assert ids("rep_south") == {south.pk}  # own scope: plus the unowned complaints of their region
    assert ids("rsm_north") == {clinic.pk, finance.pk}  # the north region
    assert ids("admin", status="unresolved") == {clinic.pk, finance.pk}
    assert ids("admin", desk="sales") == {south.pk}
    assert ids("admin", overdue=True) == {finance.pk}  # deadline 1 March, today 4 March
    assert ids("admin", q="rude") == {clinic.pk}
    assert ids("admin", q="greta") == {finance.pk}  # the customer's name


def test_a_complaint_from_a_survey_answer(org, sent):
    answered = services.survey_answer(token=sent.token, score="1", comment="Waited an hour")
    complaint = make(org, actor="office_manager", desk="reception", survey_request=answered, channel="survey")
    assert complaint.party_id == answered.party_id
    assert (complaint.location_id, complaint.region_id) == (org.clinic.pk, org.north.pk)
    # A persona that cannot see the answer cannot attach it.
    with pytest.raises(ValidationError) as exc:
        make(org, actor="rep_south", desk="reception", survey_request=answered)
    assert exc.value.error_dict["survey_request"][0].code == "unknown_answer"
