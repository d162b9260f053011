"""High-value leads: above the legal entity's threshold (``LeadSettings``) a lead may only be
owned by a rep holding the certificate the administrator requires for ``leads.high_value``.

The certificate check is ``core.registry.require_capability`` (installed by training), so
leads does not import training. Without a threshold, a value or a requirement nothing is
refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.core.registry import require_capability
from frontoffice.core.scoping import user_scope

CAPABILITY = "leads.high_value"


def high_value_threshold(legal_entity_id: int) -> Decimal | None:
    from frontoffice.leads.models import LeadSettings

    return (
        LeadSettings.objects.filter(legal_entity_id=legal_entity_id)
        .values_list("high_value_threshold_amount", flat=True)
        .first()
    )


def high_value_refusal(
    *, owner: Any, legal_entity_id: int, amount: Decimal | None, editing: bool = False
) -> ValidationError | None:
    """The error refusing ``owner`` a lead worth ``amount``, or ``None`` when they may own it.

    ``editing``: the lead is already theirs and an edit would raise its value; the message
    says so (same gate, same ``certificate_required`` code)."""
    if owner is None or amount is None:
        return None
    threshold = high_value_threshold(legal_entity_id)
    if threshold is None or amount <= threshold:
        return None
    try:
        require_capability(owner, CAPABILITY)
    except ValidationError as exc:
        from frontoffice.org.models import LegalEntity

        currency = (
            LegalEntity.objects.filter(pk=legal_entity_id).values_list("base_currency", flat=True).first()
        )
        name = owner.get_full_name() or owner.get_username()
        message = (
            _(
                "The estimated value cannot be more than %(threshold)s %(currency)s while "
                "%(person)s owns the lead. %(reason)s"
            )
            if editing
            else _("%(person)s may not take leads worth more than %(threshold)s %(currency)s. %(reason)s")
        )
        return ValidationError(
            message
            % {
                "person": name,
                "threshold": number_format(threshold, 2, force_grouping=True),
                "currency": currency or "",
                "reason": exc.messages[0],
            },
            code="certificate_required",
        )
    return None


def require_high_value_owner(*, owner: Any, legal_entity_id: int, amount: Decimal | None) -> None:
    refusal = high_value_refusal(owner=owner, legal_entity_id=legal_entity_id, amount=amount)
    if refusal is not None:
        raise refusal


class HighValueGate:
    """The same check for many leads of one legal entity (the import): the threshold is read
    once and each owner's certificate checked once."""

    def __init__(self, legal_entity_id: int) -> None:
        self.threshold = high_value_threshold(legal_entity_id)
        self._allowed: dict[int, bool] = {}

    def allows(self, owner_id: int | None, amount: Decimal | None) -> bool:
        """Whether the user ``owner_id`` may own a lead worth ``amount``."""
        if owner_id is None or amount is None or self.threshold is None or amount <= self.threshold:
            return True
        if owner_id not in self._allowed:
            from frontoffice.org.models import User

            try:
                require_capability(User.objects.get(pk=owner_id), CAPABILITY)
            except ValidationError:
                self._allowed[owner_id] = False
            else:
                self._allowed[owner_id] = True
        return self._allowed[owner_id]


@transaction.atomic
def lead_high_value_threshold_set(*, actor: Any, legal_entity: Any, amount: Decimal | None) -> Any:
    """Set (or clear with ``None``) the legal entity's high-value threshold. Needs
    ``leads.manage_leads`` and the legal entity in the actor's scope."""
    from frontoffice.leads.models import LeadSettings

    require_perm(actor, "leads.manage_leads")
    le_id = getattr(legal_entity, "pk", legal_entity)
    scope = user_scope(actor)
    if not scope.everything and scope.legal_entity_id != le_id:
        raise PermissionDenied(_("You can only work in your own legal entity."))
    settings_row, _created = LeadSettings.objects.select_for_update().get_or_create(legal_entity_id=le_id)
    before = settings_row.high_value_threshold_amount
    settings_row.high_value_threshold_amount = amount
    settings_row.full_clean()
    settings_row.save(update_fields=["high_value_threshold_amount", "updated_at"])
    if before != amount:
        audit_record(
            actor=actor,
            action="leads.settings.high_value_threshold_set",
            obj=settings_row,
            changes={
                "high_value_threshold_amount": [
                    str(before) if before is not None else None,
                    str(amount) if amount is not None else None,
                ]
            },
        )
    return settings_row
