"""How receivables plug into navigation (each area's views own the URL names reversed here)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import NavItem, register_nav

register_nav(
    NavItem("payments", _("Payments"), "receivables:payment-list", "receivables.view_payment", order=36)
)
register_nav(
    NavItem(
        "receivables-aging",
        _("Receivables aging"),
        "receivables:aging",
        "receivables.view_receivables",
        order=37,
    )
)
register_nav(
    NavItem("reminders", _("Reminders"), "receivables:reminder-list", "receivables.add_reminder", order=38)
)
register_nav(
    NavItem(
        "receivables-settings",
        _("Receivables settings"),
        "receivables:settings",
        "receivables.manage_receivables",
        order=56,
        section="settings",
    )
)
