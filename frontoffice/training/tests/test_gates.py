"""Certification-gated capabilities: without a valid certificate of the required course the
action is refused with a link to the course, in the service layer (so UI and API alike)."""

from __future__ import annotations

import datetime

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
