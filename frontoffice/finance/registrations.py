"""How the ledger plugs into navigation (and, per area, search)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import NavItem, register_nav

# Each area module (views/chart.py, views/vouchers.py, views/reports.py, views/sie.py) owns the
# URL names below; they must exist, since the navigation reverses them on every page.
register_nav(
    NavItem("vouchers", _("Vouchers"), "finance:voucher-list", "finance.view_journalentry", order=40)
)
register_nav(
    NavItem("reports", _("Ledger reports"), "finance:report-index", "finance.view_ledger_reports", order=45)
)
register_nav(
    NavItem(
        "accounts", _("Chart of accounts"), "finance:account-list", "finance.view_ledgeraccount", order=50
    )
)
register_nav(
    NavItem(
        "ledger-settings",
        _("Ledger settings"),
        "finance:settings",
        "finance.manage_ledger",
        order=50,
        section="settings",
    )
)
