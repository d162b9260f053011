"""``{% load billing_profiles %}{% billing_profile_panel party %}``: the customer page's billing card.

The card shows the customer's billing profile when the user may see it (profiles follow the
customer's scope, so a sales rep sees those of their own customers), with a link to change it,
or a link to set billing up. Users without ``billing.view_billingprofile`` get nothing.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from frontoffice.billing.selectors.profiles import billing_profile_for_party
from frontoffice.billing.services.profiles import billing_profile_in_reach

register = template.Library()


@register.inclusion_tag("billing/profiles/party_panel.html", takes_context=True)
def billing_profile_panel(context: dict[str, Any], party: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("billing.view_billingprofile"):
        return {"hidden": True}
    profile = billing_profile_for_party(user=user, party=party)
    active = party.merged_into_id is None and party.erased_at is None
    can_create = (
        profile is None
        and active
        and user.has_perm("billing.add_billingprofile")
        and billing_profile_in_reach(actor=user, party=party)
    )
    return {
        "hidden": False,
        "profile": profile,
        "can_change": user.has_perm("billing.change_billingprofile"),
        "perms": context.get("perms"),
        "create_url": reverse("billing:profile-create", args=[party.pk]) if can_create else "",
    }
