"""Discount authority: the largest discount each role may grant on its own, per legal entity.

Invariants:
- a role without a stored row has the shipped default (``DEFAULTS``; 0 % for roles not listed);
- authority is always between 0 and 100 %; only ``pricing.change_discountauthority`` in the
  same legal entity changes it, and every change is on the audit trail;
- a person's authority is that of the role of their active staff profile in the legal entity
  (organisation-wide roles count in every legal entity); without one it is 0 %.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.org.models import Role
from frontoffice.pricing.models import DiscountAuthority
from frontoffice.pricing.selectors import DEFAULTS, HUNDRED, ZERO, role_authority


def _le_id(legal_entity: Any) -> int:
    return getattr(legal_entity, "pk", legal_entity)


@transaction.atomic
def discount_authority_set(
    *, actor: Any, legal_entity: Any, role: Role, max_discount_percent: Decimal | str
) -> DiscountAuthority:
    """Set one role's discount authority in a legal entity.

    Needs ``pricing.change_discountauthority`` in that legal entity. ``ValidationError`` on
    ``max_discount_percent`` (code ``discount_range``) outside 0-100 %. Audited as
    ``pricing.discount_authority.changed``. Pending approvals are not re-routed: whoever
    decides them is checked against the authority in force at that moment.
    """
    require_perm(actor, "pricing.change_discountauthority")
    le_id = _le_id(legal_entity)
    require_legal_entity(actor, le_id)
    try:
        value = Decimal(str(max_discount_percent).strip().replace(",", "."))
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite() or not ZERO <= value <= HUNDRED:
        raise ValidationError(
            {
                "max_discount_percent": ValidationError(
                    _("Enter a discount between 0 and 100 %."), code="discount_range"
                )
            }
        )
    value = value.quantize(Decimal("0.01"))
    before = role_authority(legal_entity=le_id, role=role)
    row, _created = DiscountAuthority.objects.select_for_update().get_or_create(
        legal_entity_id=le_id,
        role=role,
        defaults={"max_discount_percent": value, "updated_by": actor},
    )
    if row.max_discount_percent != value:
        row.max_discount_percent = value
        row.updated_by = actor
        row.full_clean()
        row.save(update_fields=["max_discount_percent", "updated_by", "updated_at"])
    if before != value:
        audit_record(
            actor=actor,
            action="pricing.discount_authority.changed",
            obj=row,
            changes={"max_discount_percent": [str(before), str(value)], "role": [None, role.code]},
        )
    return row


@transaction.atomic
def discount_authority_setup(*, actor: Any, legal_entity: Any) -> int:
    """Store the shipped defaults for the shipped roles that have no row yet; return how many.

    Needs ``pricing.change_discountauthority`` (or ``actor=None`` for system set-up, e.g. the
    demo). Safe to run twice. Without it the defaults apply anyway; stored rows make them
    visible in exports and unaffected by later changes of the shipped defaults.
    """
    require_perm(actor, "pricing.change_discountauthority", system=True)
    le_id = _le_id(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    existing = set(DiscountAuthority.objects.filter(legal_entity_id=le_id).values_list("role_id", flat=True))
    created = 0
    for role in Role.objects.filter(code__in=DEFAULTS).exclude(pk__in=existing):
        row = DiscountAuthority.objects.create(
            legal_entity_id=le_id, role=role, max_discount_percent=DEFAULTS[role.code]
        )
        audit_record(
            actor=actor,
            action="pricing.discount_authority.created",
            obj=row,
            changes={
                "max_discount_percent": [None, str(row.max_discount_percent)],
                "role": [None, role.code],
            },
        )
        created += 1
    return created
