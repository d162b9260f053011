"""Certification-gated capabilities.

An administrator can require a valid certificate of a course for a capability key. Services
that perform the action call ``require_capability(user, key)`` at their start, so the UI and
the API refuse alike, with a message that names and links the course.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CAPABILITIES: dict[str, Any] = {
    "reception.kiosk": _("Run the self check-in kiosk"),
    "leads.high_value": _("Take leads above the high-value threshold"),
    "finance.manual_voucher": _("Post manual vouchers to restricted accounts"),
    "pricing.approve_discount": _("Approve discounts and price profiles"),
}


def has_valid_certificate(user: Any, course_id: int, *, on: Any = None) -> bool:
    from frontoffice.training.models import Certificate

    today = on or timezone.localdate()
    return Certificate.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        person__user_id=getattr(user, "pk", None),
        person__active=True,
        course_id=course_id,
    ).exists()


def require_capability(user: Any, key: str) -> None:
    """Raise ``ValidationError(code="certificate_required")`` when ``key`` is gated by a course
    and ``user`` holds no valid certificate of it. Ungated capabilities pass."""
    from frontoffice.training.models import CapabilityGate

    gate = CapabilityGate.objects.select_related("course__current_version").filter(capability=key).first()
    if gate is None or getattr(user, "is_superuser", False):
        return
    if has_valid_certificate(user, gate.course_id):
        return
    raise ValidationError(
        gettext("This needs a valid certificate of the course “%(course)s”: %(url)s")
        % {"course": gate.course.title, "url": reverse("training:course-detail", args=[gate.course_id])},
        code="certificate_required",
        params={"course": gate.course_id},
    )
