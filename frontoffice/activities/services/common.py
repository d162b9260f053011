"""What the activities services share: scope fields copied from the staff member, the scope
check of a record being written, and the hand-over to the leads app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from frontoffice.core.scoping import user_scope, visible_to
from frontoffice.org.models import Staff
from frontoffice.parties.models import Party


@dataclass(frozen=True)
class ScopeFields:
    legal_entity_id: int
    region_id: int | None
    location_id: int | None


def staff_of(user: Any) -> Staff | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return Staff.objects.filter(user_id=user.pk, active=True).first()


def scope_fields(*, owner: Any, party: Party) -> ScopeFields:
    """Like ``parties.Interaction``: region and location of the owner's staff profile, else the
    customer's; the legal entity is the customer's."""
    staff = staff_of(owner)
    return ScopeFields(
        legal_entity_id=party.legal_entity_id,
        region_id=staff.home_region_id if staff and staff.home_region_id else party.region_id,
        location_id=staff.home_location_id if staff and staff.home_location_id else party.location_id,
    )


def visible_party(actor: Any, party: Party | int) -> Party:
    """The customer, if ``actor`` may see it (else a field error naming ``party``)."""
    pk = getattr(party, "pk", party)
    found = visible_to(Party.objects.all(), actor).filter(pk=pk).first()
    if found is None:
        raise ValidationError(
            {"party": ValidationError(_("Choose a customer you can see."), code="party_not_visible")}
        )
    if found.is_merged or found.is_erased:
        raise ValidationError(
            {"party": ValidationError(_("This customer is merged or erased."), code="party_locked")}
        )
    return found


def check_owner(*, actor: Any, owner: Any, legal_entity_id: int, field: str = "owner") -> None:
    """``owner`` must be a staff member of the legal entity; a sales rep (own scope) may only
    give work to themselves, managers to anyone within their reach."""
    scope = user_scope(actor)
    if scope.nothing:
        raise PermissionDenied(_("You have no staff profile with a role."))
    staff = staff_of(owner)
    if staff is None or staff.legal_entity_id != legal_entity_id:
        raise ValidationError(
            {
                field: ValidationError(
                    _("Choose a staff member of the customer's legal entity."), code="owner_entity"
                )
            }
        )
    if scope.everything or owner.pk == actor.pk:
        return
    if scope.level == "own":
        raise ValidationError(
            {field: ValidationError(_("You can only plan work for yourself."), code="owner_not_self")}
        )
    if scope.level in ("region", "location") and staff.home_region_id not in scope.region_ids:
        raise ValidationError(
            {
                field: ValidationError(
                    _("Choose a staff member of your own regions."), code="owner_out_of_scope"
                )
            }
        )
    if scope.legal_entity_id != legal_entity_id:
        raise ValidationError(
            {
                field: ValidationError(
                    _("Choose a staff member of your own legal entity."), code="owner_entity"
                )
            }
        )


def lead_contact_recorded(*, actor: Any, lead: Any, interaction: Any) -> None:
    """Tell the leads app an outbound contact about ``lead`` happened (its first-contact
    clock). Imported at call time: leads sits below activities but may not be installed yet."""
    if lead is None:
        return
    try:
        from frontoffice.leads.services import lead_contact_recorded as recorded
    except ImportError:
        try:  # services as a package without re-exports
            from frontoffice.leads.services.lifecycle import lead_contact_recorded as recorded
        except ImportError:  # the leads app has not landed
            return
    recorded(actor=actor, lead=lead, interaction=interaction)
