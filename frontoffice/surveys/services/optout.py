"""Staff set a customer's survey opt-out: recorded (told at the desk, on the phone) or withdrawn
(the customer wants surveys again).

The opt-out is the same ``SurveyOptOut`` row the customer's own link writes (one per customer,
``via`` says who recorded it), so sending and reminders need no second check.

Invariants protected here:

- only holders of ``parties.change_party`` with the customer in their scope change it (a
  customer outside it is ``PermissionDenied``; the views and the API answer 404 before that);
- an erased or merged customer's opt-out does not change (``locked``): an erased customer must
  never be surveyed again, and a merged one lives on in the customer it was merged into;
- every change is one audit entry on the customer (``surveys.opt_out.recorded`` or
  ``surveys.opt_out.removed``), so it shows in the customer's trail; setting the state it
  already has changes nothing and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.surveys.models import SurveyOptOut


def survey_opt_out_set(*, actor: Any, party: Any, opted_out: bool) -> SurveyOptOut | None:
    """Record (``opted_out=True``) or withdraw the customer's survey opt-out; returns the
    opt-out row, or ``None`` when the customer now receives surveys."""
    from frontoffice.parties.models import Party

    require_perm(actor, "parties.change_party")
    with transaction.atomic():
        locked = visible_to(Party.objects.select_for_update(of=("self",)), actor).filter(pk=party.pk).first()
        if locked is None:
            raise PermissionDenied
        if locked.is_erased or locked.is_merged:
            raise ValidationError(
                _("This customer was erased or merged; their survey opt-out can no longer be changed."),
                code="locked",
            )
        current = SurveyOptOut.objects.filter(party=locked).first()
        if opted_out and current is None:
            current = SurveyOptOut.objects.create(party=locked, via=SurveyOptOut.Via.STAFF, recorded_by=actor)
            audit_record(
                actor=actor,
                action="surveys.opt_out.recorded",
                obj=locked,
                changes={"survey_opt_out": [False, True], "via": [None, SurveyOptOut.Via.STAFF]},
            )
        elif not opted_out and current is not None:
            via = current.via
            current.delete()
            current = None
            audit_record(
                actor=actor,
                action="surveys.opt_out.removed",
                obj=locked,
                changes={"survey_opt_out": [True, False], "via": [via, None]},
            )
    return current
