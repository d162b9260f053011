"""How pricing plugs into navigation (views/profiles.py and views/authority.py own the URL names)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import NavItem, register_nav

register_nav(
    NavItem(
        "price-profiles", _("Price profiles"), "pricing:profile-list", "pricing.view_priceprofile", order=62
    )
)
register_nav(
    NavItem("approvals", _("Approvals"), "pricing:approval-list", "pricing.approve_priceprofile", order=64)
)
register_nav(
    NavItem(
        "discount-authority",
        _("Discount authority"),
        "pricing:authority-settings",
        "pricing.view_discountauthority",
        order=60,
        section="settings",
    )
)
