"""Certification-gated capabilities: without a valid certificate of the required course the
action is refused with a link to the course, in the service layer (so UI and API alike)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from frontoffice.pricing.models import PriceProfile
from frontoffice.pricing.tests.test_api import PROFILES, body, detail
from frontoffice.training import services
from frontoffice.training.gates import require_capability
from frontoffice.training.models import Certificate
from frontoffice.training.tests.conftest import complete

pytestmark = pytest.mark.django_db


def test_ungated_capability_passes_and_gate_needs_manage_permission(training, org):
    require_capability(org.user("rsm_north"), "pricing.approve_discount")
    with pytest.raises(PermissionDenied):
        services.gate_set(
            actor=org.user("nsm"), capability="pricing.approve_discount", course=training.course
        )
    with pytest.raises(ValidationError):
        services.gate_set(actor=org.user("admin"), capability="made.up", course=training.course)


def test_certificate_required_then_valid_then_expired(training, org):
    services.gate_set(actor=org.user("admin"), capability="reception.kiosk", course=training.course)
    learner = org.user("receptionist")
    with pytest.raises(ValidationError) as exc:
        require_capability(learner, "reception.kiosk")
    assert exc.value.code == "certificate_required"
    assert reverse("training:course-detail", args=[training.course.pk]) in exc.value.messages[0]
    assignment = services.course_assign(
        actor=org.user("office_manager"), course=training.course, people=[training.staff["receptionist"]]
    )[0]
    complete(training.course, learner, assignment)
    require_capability(learner, "reception.kiosk")
    cert = Certificate.objects.get(assignment=assignment)
    with time_machine.travel(cert.expires_on + datetime.timedelta(days=1)), pytest.raises(ValidationError):
        require_capability(learner, "reception.kiosk")


def test_pricing_approval_refused_in_ui_and_api_without_certificate(
    training, org, catalogue, customers, client_for
):
    services.gate_set(actor=org.user("admin"), capability="pricing.approve_discount", course=training.course)
    created = (
        client_for("rep_north")
        .post(PROFILES, body(customers, catalogue, submit=True), content_type="application/json")
        .json()
    )
    profile = PriceProfile.objects.get(pk=created["id"])
    assert profile.status == PriceProfile.Status.PENDING_APPROVAL

    response = client_for("rsm_north").post(
        detail("profile-approve", created), {"comment": "ok"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "certificate_required"
    assert reverse("training:course-detail", args=[training.course.pk]) in response.json()["message"]

    response = client_for("rsm_north").post(
        reverse("pricing:profile-approve", args=[profile.pk]), {"comment": "ok"}, follow=True
    )
    assert "needs a valid certificate" in response.content.decode()
    profile.refresh_from_db()
    assert profile.status == PriceProfile.Status.PENDING_APPROVAL

    # With the certificate the same approval goes through.
    assignment = services.course_assign(
        actor=org.user("nsm"), course=training.course, people=[training.staff["rsm_north"]]
    )[0]
    complete(training.course, org.user("rsm_north"), assignment)
    response = client_for("rsm_north").post(
        detail("profile-approve", created), {"comment": "ok"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"


# --- finance.manual_voucher: manual vouchers to accounts the finance manager restricted -----------

VOUCHERS_POST = "/api/v1/finance/vouchers/post/"
VOUCHER_CREATE = reverse("finance:voucher-create")


def voucher_body(*lines):
    return {
        "series": "A",
        "date": "2026-03-15",
        "text": "Cash count",
        "lines": [{"account": a, "debit": d, "credit": c} for a, d, c in lines],
    }


def voucher_form(*lines):
    data = {
        "series": "A",
        "date": "2026-03-15",
        "text": "Cash count",
        "action": "post",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for idx, (account, debit, credit) in enumerate(lines):
        data |= {
            f"lines-{idx}-account": account,
            f"lines-{idx}-debit": debit or "",
            f"lines-{idx}-credit": credit or "",
            f"lines-{idx}-text": "",
        }
    return data


RESTRICTED = (("5010", "100.00", None), ("1930", None, "100.00"))
UNRESTRICTED = (("5010", "80.00", None), ("1910", None, "80.00"))


@pytest.fixture
def restricted_cash(org, ledger):
    """The finance manager restricts 1930 (bank) for manual vouchers."""
    from frontoffice.finance.models import LedgerAccount
    from frontoffice.finance.services.chart import account_update

    account = LedgerAccount.objects.get(legal_entity=ledger, number="1930")
    account_update(actor=org.user("finance_manager"), account=account, manual_voucher_restricted=True)
    return account


def posted_count():
    from frontoffice.finance.models import JournalEntry

    return JournalEntry.objects.filter(status=JournalEntry.Status.POSTED).count()


def test_manual_voucher_to_a_restricted_account_needs_the_certificate_in_api_and_ui(
    training, org, restricted_cash, client_for
):
    services.gate_set(actor=org.user("admin"), capability="finance.manual_voucher", course=training.course)
    course_url = reverse("training:course-detail", args=[training.course.pk])

    response = client_for("clerk").post(
        VOUCHERS_POST, voucher_body(*RESTRICTED), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "posting_rejected"
    [violation] = response.json()["violations"]
    assert violation["code"] == "certificate_required"
    assert "1930" in violation["message"] and course_url in violation["message"]
    assert posted_count() == 0

    response = client_for("clerk").post(VOUCHER_CREATE, voucher_form(*RESTRICTED))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-code="certificate_required"' in html and course_url in html
    assert posted_count() == 0

    # Accounts nobody restricted stay open to the same clerk.
    response = client_for("clerk").post(
        VOUCHERS_POST, voucher_body(*UNRESTRICTED), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert posted_count() == 1


def test_manual_voucher_gate_valid_then_expired_certificate(training, org, restricted_cash, client_for):
    from frontoffice.finance.services.posting import PostingRejected, journal_entry_post
    from frontoffice.finance.tests.conftest import voucher

    services.gate_set(actor=org.user("admin"), capability="finance.manual_voucher", course=training.course)
    clerk = org.user("clerk")
    assignment = services.course_assign(
        actor=org.user("finance_manager"), course=training.course, people=[training.staff["clerk"]]
    )[0]
    complete(training.course, clerk, assignment)

    response = client_for("clerk").post(
        VOUCHERS_POST, voucher_body(*RESTRICTED), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert posted_count() == 1

    cert = Certificate.objects.get(assignment=assignment)
    with time_machine.travel(cert.expires_on + datetime.timedelta(days=1)):
        with pytest.raises(PostingRejected) as exc:
            journal_entry_post(actor=clerk, legal_entity=org.company, entry=voucher(*RESTRICTED))
        assert [v.code for v in exc.value.violations] == ["certificate_required"]
    assert posted_count() == 1


def test_restricted_account_without_a_gate_and_system_postings_pass(training, org, restricted_cash):
    from frontoffice.finance.services.posting import journal_entry_post
    from frontoffice.finance.tests.conftest import voucher

    # No requirement set: the restriction alone refuses nothing.
    entry = journal_entry_post(actor=org.user("clerk"), legal_entity=org.company, entry=voucher(*RESTRICTED))
    assert entry.status == "posted"
    # With the requirement, vouchers of non-manual series (made by documents) are not gated.
    services.gate_set(actor=org.user("admin"), capability="finance.manual_voucher", course=training.course)
    entry = journal_entry_post(
        actor=org.user("clerk"), legal_entity=org.company, entry=voucher(*RESTRICTED, series="F")
    )
    assert entry.status == "posted"


# --- leads.high_value: leads worth more than the legal entity's threshold -------------------------

LEAD_DATA = {"contact_name": "Big Buyer", "company": "Norrland Kliniker AB", "email": "big@example.com"}


def lead_in_pool(org, amount):
    """A lead of North worth ``amount`` that nobody owns yet (``owner=None`` in the pool)."""
    from frontoffice.leads.models import Lead
    from frontoffice.leads.services import lead_create

    lead = lead_create(
        actor=org.user("rsm_north"),
        data={**LEAD_DATA, "email": f"lead{amount}@example.com"},
        region=org.north,
        estimated_amount=Decimal(amount),
    )
    Lead.objects.filter(pk=lead.pk).update(owner=None)
    lead.refresh_from_db()
    return lead


@pytest.fixture
def threshold(org):
    from frontoffice.leads.services.high_value import lead_high_value_threshold_set

    return lead_high_value_threshold_set(
        actor=org.user("nsm"), legal_entity=org.company, amount=Decimal("100000.00")
    )


def take_api(client, lead, owner_id, reason="Mine"):
    return client.post(
        f"/api/v1/leads/{lead.pk}/assign/",
        {"owner": owner_id, "reason": reason},
        content_type="application/json",
    )


def test_high_value_lead_refused_without_certificate_in_ui_and_api(training, org, threshold, client_for):
    services.gate_set(actor=org.user("admin"), capability="leads.high_value", course=training.course)
    course_url = reverse("training:course-detail", args=[training.course.pk])
    big = lead_in_pool(org, "250000.00")
    rep = org.user("rep_north")

    # The rep takes it from the lead page: refused, with the course linked.
    response = client_for("rep_north").post(reverse("leads:lead-take", args=[big.pk]), follow=True)
    html = response.content.decode()
    assert "may not take leads worth more than" in html and course_url in html
    big.refresh_from_db()
    assert big.owner_id is None

    # The same through the API, taking it or being assigned it by the manager.
    response = take_api(client_for("rep_north"), big, rep.pk)
    assert response.status_code == 400 and response.json()["code"] == "certificate_required"
    assert course_url in response.json()["message"]
    response = take_api(client_for("rsm_north"), big, rep.pk, reason="Your region")
    assert response.status_code == 400 and response.json()["code"] == "certificate_required"
    big.refresh_from_db()
    assert big.owner_id is None

    # Naming the uncertified rep as owner when the lead is entered is refused too.
    response = client_for("rsm_north").post(
        "/api/v1/leads/",
        {**LEAD_DATA, "owner": rep.pk, "estimated_amount": "300000.00"},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "certificate_required"

    # At or under the threshold the gate does not apply.
    small = lead_in_pool(org, "100000.00")
    response = take_api(client_for("rep_north"), small, rep.pk)
    assert response.status_code == 200 and response.json()["owner"]["id"] == rep.pk


def test_high_value_lead_routed_to_an_uncertified_rep_waits_in_the_pool(training, org, threshold):
    from frontoffice.leads.services import lead_create

    services.gate_set(actor=org.user("admin"), capability="leads.high_value", course=training.course)
    big = lead_create(
        actor=org.user("rsm_north"), data=LEAD_DATA, region=org.north, estimated_amount=Decimal("150000.00")
    )
    assert (big.owner_id, big.region_id, big.estimated_amount) == (None, org.north.pk, Decimal("150000.00"))
    usual = lead_create(
        actor=org.user("rsm_north"),
        data={**LEAD_DATA, "email": "usual@example.com"},
        region=org.north,
        estimated_amount=Decimal("150.00"),
    )
    assert usual.owner_id == org.user("rep_north").pk


def test_high_value_lead_with_valid_then_expired_certificate(training, org, threshold, client_for):
    from frontoffice.leads.services import lead_assign

    services.gate_set(actor=org.user("admin"), capability="leads.high_value", course=training.course)
    rep = org.user("rep_north")
    assignment = services.course_assign(
        actor=org.user("rsm_north"), course=training.course, people=[training.staff["rep_north"]]
    )[0]
    complete(training.course, rep, assignment)

    big = lead_in_pool(org, "250000.00")
    response = take_api(client_for("rep_north"), big, rep.pk)
    assert response.status_code == 200 and response.json()["owner"]["id"] == rep.pk

    later = lead_in_pool(org, "400000.00")
    cert = Certificate.objects.get(assignment=assignment)
    with time_machine.travel(cert.expires_on + datetime.timedelta(days=1)):
        with pytest.raises(ValidationError) as exc:
            lead_assign(actor=rep, lead=later, owner=rep, reason="Mine")
        assert exc.value.code == "certificate_required"
    later.refresh_from_db()
    assert later.owner_id is None


def test_high_value_lead_without_gate_or_threshold_is_taken_freely(training, org, client_for):
    from frontoffice.leads.services.high_value import lead_high_value_threshold_set

    rep = org.user("rep_north")
    # A gate but no threshold: no lead is high-value.
    services.gate_set(actor=org.user("admin"), capability="leads.high_value", course=training.course)
    big = lead_in_pool(org, "900000.00")
    assert take_api(client_for("rep_north"), big, rep.pk).status_code == 200
    # A threshold but no gate: nothing to certify.
    services.gate_set(actor=org.user("admin"), capability="leads.high_value", course=None)
    lead_high_value_threshold_set(actor=org.user("nsm"), legal_entity=org.company, amount=Decimal("1000.00"))
    other = lead_in_pool(org, "900001.00")
    assert take_api(client_for("rep_north"), other, rep.pk).status_code == 200


def test_high_value_threshold_is_set_on_the_lead_settings_page(org, client_for):
    from frontoffice.leads.services.high_value import high_value_threshold

    page = client_for("nsm").get(reverse("leads:settings"))
    assert page.status_code == 200 and 'data-testid="high-value-form"' in page.content.decode()
    response = client_for("nsm").post(
        reverse("leads:settings-high-value"), {"high_value_threshold_amount": "75000.50"}
    )
    assert response.status_code == 302
    assert high_value_threshold(org.company.pk) == Decimal("75000.50")
    response = client_for("nsm").post(
        reverse("leads:settings-high-value"), {"high_value_threshold_amount": "-1"}
    )
    assert high_value_threshold(org.company.pk) == Decimal("75000.50")
    # Reps may not change it.
    assert (
        client_for("rep_north")
        .post(reverse("leads:settings-high-value"), {"high_value_threshold_amount": "1"})
        .status_code
        == 403
    )
    assert high_value_threshold(org.company.pk) == Decimal("75000.50")


# --- leads.high_value on edits and imports: the same gate as assignment ------------------------------


def owned_lead(org, amount):
    """A lead of North owned by rep_north, worth ``amount``."""
    from frontoffice.leads.models import Lead

    lead = lead_in_pool(org, amount)
    Lead.objects.filter(pk=lead.pk).update(owner=org.user("rep_north"))
    lead.refresh_from_db()
    return lead


def certify_rep_north(training, org):
    assignment = services.course_assign(
        actor=org.user("rsm_north"), course=training.course, people=[training.staff["rep_north"]]
    )[0]
    complete(training.course, org.user("rep_north"), assignment)
    return Certificate.objects.get(assignment=assignment)


def test_raising_an_owned_lead_above_the_threshold_is_refused_without_certificate(
    training, org, threshold, client_for
):
    from frontoffice.core.models import AuditEntry

    services.gate_set(actor=org.user("admin"), capability="leads.high_value", course=training.course)
    course_url = reverse("training:course-detail", args=[training.course.pk])
    lead = owned_lead(org, "50000.00")

    # The rep's own edit page: refused with the reason and the course linked.
    response = client_for("rep_north").post(
        reverse("leads:lead-edit", args=[lead.pk]), {"estimated_amount": "150000.00"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "cannot be more than 100" in html and "while Rep_North Test owns the lead" in html
    assert course_url in html
    # The manager through the API: the same refusal, code certificate_required.
    response = client_for("rsm_north").patch(
        f"/api/v1/leads/{lead.pk}/", {"estimated_amount": "150000.00"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "certificate_required"
    assert "while Rep_North Test owns the lead" in response.json()["message"]
    lead.refresh_from_db()
    assert lead.estimated_amount == Decimal("50000.00")
    assert not AuditEntry.objects.filter(action="leads.lead.updated", object_id=str(lead.pk)).exists()

    # At the threshold, or on a lead nobody owns, the gate does not apply.
    response = client_for("rep_north").patch(
        f"/api/v1/leads/{lead.pk}/", {"estimated_amount": "100000.00"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["estimated_amount"] == "100000.00"
    pool = lead_in_pool(org, "50000.00")
    response = client_for("rsm_north").patch(
        f"/api/v1/leads/{pool.pk}/", {"estimated_amount": "900000.00"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["estimated_amount"] == "900000.00"


def test_raising_an_owned_lead_above_the_threshold_with_a_valid_certificate(
    training, org, threshold, client_for
):
    services.gate_set(actor=org.user("admin"), capability="leads.high_value", course=training.course)
    cert = certify_rep_north(training, org)
    lead = owned_lead(org, "50000.00")
    response = client_for("rep_north").post(
        reverse("leads:lead-edit", args=[lead.pk]), {"estimated_amount": "150000.00"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.estimated_amount == Decimal("150000.00")
    # Once the certificate has expired, raising it further is refused; lowering it never is.
    with time_machine.travel(cert.expires_on + datetime.timedelta(days=1)):
        response = client_for("rep_north").patch(
            f"/api/v1/leads/{lead.pk}/", {"estimated_amount": "200000.00"}, content_type="application/json"
        )
        assert response.status_code == 400 and response.json()["code"] == "certificate_required"
        response = client_for("rep_north").patch(
            f"/api/v1/leads/{lead.pk}/", {"estimated_amount": "120000.00"}, content_type="application/json"
        )
        assert response.status_code == 200 and response.json()["estimated_amount"] == "120000.00"


def test_imported_high_value_lead_waits_in_the_pool_unless_its_rep_is_certified(
    training, org, threshold, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from frontoffice.leads.models import Lead, LeadImport
    from frontoffice.leads.services.imports import lead_import_start, lead_import_upload

    settings.MEDIA_ROOT = tmp_path
    services.gate_set(actor=org.user("admin"), capability="leads.high_value", course=training.course)
    text = "Name;E-mail;Region;Value\nBig A;big-a@example.com;north;250 000\nSmall B;small-b@example.com;north;900\n"
    mapping = {"contact_name": "Name", "email": "E-mail", "region": "Region", "estimated_amount": "Value"}

    def run(content):
        imp = lead_import_upload(
            actor=org.user("rsm_north"),
            file=SimpleUploadedFile("leads.csv", content.encode()),
            legal_entity=org.company,
        )
        with django_capture_on_commit_callbacks(execute=True):
            lead_import_start(actor=org.user("rsm_north"), lead_import=imp, mapping=mapping)
        imp.refresh_from_db()
        assert imp.status == LeadImport.Status.DONE
        return {lead.email: lead for lead in Lead.objects.filter(lead_import=imp)}

    # rep_north is North's only rep: without a certificate the big lead stays unassigned.
    first = run(text)
    assert (first["big-a@example.com"].owner_id, first["big-a@example.com"].region_id) == (None, org.north.pk)
    assert first["big-a@example.com"].estimated_amount == Decimal("250000.00")
    assert first["small-b@example.com"].owner_id == org.user("rep_north").pk

    certify_rep_north(training, org)
    second = run(text.replace("big-a@", "big-c@").replace("small-b@", "small-d@"))
    assert second["big-c@example.com"].owner_id == org.user("rep_north").pk
