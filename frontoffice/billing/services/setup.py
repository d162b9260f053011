"""Setting a legal entity up for billing: VAT codes with their accounts, settings, series.

The defaults follow the chart the legal entity was created from: BAS account numbers when the
chart has them (3001/2611 for 25 %, 3002/2621, 3003/2631, 3004 exempt, 3231 reverse charge in
construction, 3108 services to the EU, 3105 export of goods, 3305 services outside the EU,
1510 receivables, 3740 rounding), the generic chart's otherwise.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.billing.models import BillingSettings, InvoiceSeries, VatCategory, VatCode
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.finance.models import LedgerAccount

# (code, name_sv, name_en, category, rate, revenue account, VAT account, exemption text)
# fmt: off
BAS_VAT_CODES: list[tuple[str, str, str, str, str, str, str, str]] = [
    ("SE25", "Moms 25 %", "VAT 25 %", VatCategory.STANDARD, "25.00", "3001", "2611", ""),
    ("SE12", "Moms 12 %", "VAT 12 %", VatCategory.STANDARD, "12.00", "3002", "2621", ""),
    ("SE06", "Moms 6 %", "VAT 6 %", VatCategory.STANDARD, "6.00", "3003", "2631", ""),
    ("SE00", "Momsfri försäljning", "VAT exempt sale", VatCategory.EXEMPT, "0.00", "3004", "",
     "Undantag från skatteplikt enligt mervärdesskattelagen / Exempt from VAT"),
    ("OMV", "Omvänd skattskyldighet (bygg)", "Reverse charge (construction)", VatCategory.REVERSE_CHARGE,
     "0.00", "3231", "", "Omvänd betalningsskyldighet / Reverse charge"),
    ("EUTJ", "Tjänst till annat EU-land", "Services to another EU country", VatCategory.REVERSE_CHARGE,
     "0.00", "3108", "", "Omvänd betalningsskyldighet / Reverse charge, article 196 VAT directive"),
    ("EXP", "Export av varor", "Export of goods", VatCategory.EXPORT, "0.00", "3105", "",
     "Export utanför EU / Export outside the EU"),
    ("EXPTJ", "Tjänst utanför EU", "Services outside the EU", VatCategory.OUTSIDE_SCOPE, "0.00", "3305", "",
     "Tjänsten är omsatt utomlands / Service supplied outside Sweden"),
]
GENERIC_VAT_CODES: list[tuple[str, str, str, str, str, str, str, str]] = [
    ("SE25", "Moms 25 %", "VAT 25 %", VatCategory.STANDARD, "25.00", "4100", "2100", ""),
    ("SE12", "Moms 12 %", "VAT 12 %", VatCategory.STANDARD, "12.00", "4000", "2100", ""),
    ("SE06", "Moms 6 %", "VAT 6 %", VatCategory.STANDARD, "6.00", "4000", "2100", ""),
    ("SE00", "Momsfri försäljning", "VAT exempt sale", VatCategory.EXEMPT, "0.00", "4500", "",
     "Exempt from VAT"),
]
# fmt: on
BAS_ACCOUNTS = {"receivables": "1510", "rounding": "3740"}
GENERIC_ACCOUNTS = {"receivables": "1100", "rounding": "4900"}
SERIES = [
    ("F", "Fakturor / Invoices", "F", False),
    ("K", "Kreditfakturor / Credit notes", "K", True),
]


def _le_id(legal_entity: Any) -> int:
    return getattr(legal_entity, "pk", legal_entity)


@transaction.atomic
def billing_setup(*, actor: Any, legal_entity: Any) -> BillingSettings:
    """Create a legal entity's VAT codes, billing settings and invoice series from its chart.

    Needs ``billing.manage_billing`` (or ``actor=None`` for system set-up, e.g. the demo).
    The legal entity must have a chart of accounts. Safe to run twice: existing rows are kept.
    """
    require_perm(actor, "billing.manage_billing", system=True)
    le_id = _le_id(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    accounts = {a.number: a for a in LedgerAccount.objects.filter(legal_entity_id=le_id)}
    if not accounts:
        raise ValidationError(
            _("Set up the chart of accounts before billing: invoices post to it."), code="no_chart"
        )
    bas = "1510" in accounts and "3001" in accounts
    codes = BAS_VAT_CODES if bas else GENERIC_VAT_CODES
    numbers = BAS_ACCOUNTS if bas else GENERIC_ACCOUNTS
    for code, name_sv, name_en, category, rate, revenue, vat, reason in codes:
        if revenue not in accounts or (vat and vat not in accounts):
            continue  # the chart was edited: the finance manager adds this code by hand
        VatCode.objects.get_or_create(
            legal_entity_id=le_id,
            code=code,
            defaults={
                "name_sv": name_sv,
                "name_en": name_en,
                "category": category,
                "rate": Decimal(rate),
                "revenue_account": accounts[revenue],
                "vat_account": accounts.get(vat) if vat else None,
                "exemption_reason": reason,
            },
        )
    for code, name, prefix, credit in SERIES:
        InvoiceSeries.objects.get_or_create(
            legal_entity_id=le_id,
            code=code,
            defaults={"name": name, "prefix": prefix, "for_credit_notes": credit},
        )
    billing_settings, created = BillingSettings.objects.get_or_create(
        legal_entity_id=le_id,
        defaults={
            "receivables_account": accounts.get(numbers["receivables"])
            or next(a for a in accounts.values() if a.control == "receivables"),
            "rounding_account": accounts.get(numbers["rounding"]),
        },
    )
    if created:
        audit_record(actor=actor, action="billing.settings.created", obj=billing_settings)
    return billing_settings
