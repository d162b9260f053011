"""How billing plugs into navigation (each area's views own the URL names reversed here)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from frontoffice.billing.personal_data import BILLING_PROFILES_HANDLER, INVOICE_QUESTIONS_HANDLER
from frontoffice.billing.views import invoices as invoice_views
from frontoffice.core.registry import (
    NavItem,
    TouchpointKind,
    register_nav,
    register_personal_data,
    register_touchpoint_kind,
)


def _has_url(urlpatterns: list, name: str) -> bool:
    """Whether an area's views define ``name``: the navigation reverses every entry on every
    page, so an entry appears only once its page exists."""
    return any(getattr(pattern, "name", None) == name for pattern in urlpatterns)


if _has_url(invoice_views.urlpatterns, "invoice-list"):
    register_nav(NavItem("invoices", _("Invoices"), "billing:invoice-list", "billing.view_invoice", order=35))
register_nav(NavItem("products", _("Products"), "billing:product-list", "billing.view_product", order=60))
register_nav(
    NavItem(
        "billing-settings",
        _("Billing settings"),
        "billing:settings",
        "billing.manage_billing",
        order=55,
        section="settings",
    )
)
register_nav(
    NavItem(
        "recurring-invoices",
        _("Recurring invoices"),
        "billing:recurring-list",
        "billing.view_invoice",
        order=37,
    )
)
register_nav(
    NavItem(
        "invoice-questions", _("Invoice questions"), "billing:question-list", "billing.view_invoice", order=36
    )
)
# Billing profiles hold personal data: GDPR export includes them, erasure anonymises them.
register_personal_data(BILLING_PROFILES_HANDLER)
# Invoice questions hold the asker's name, e-mail and words: exported, and anonymised on erasure.
register_personal_data(INVOICE_QUESTIONS_HANDLER)

# A completed contact that other apps (surveys) may follow up; announced by question_resolve. The desk
# sends its own feedback link too, so the surveys settings page says so.
register_touchpoint_kind(
    TouchpointKind("billing.question_resolved", _("Invoice question resolved"), "finance", own_feedback=True)
)
