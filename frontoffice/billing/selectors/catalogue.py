"""Read path of the catalogue (products, groups, VAT codes) and the billing settings.

- Every selector starts from ``visible_to``: a user reads the catalogue of their own legal
  entity (organisation-wide users pick one, validated like the ledger's, so another
  company's id is a 404).
- Lists select what their pages show, so the number of queries does not grow with the rows.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from frontoffice.billing.models import BillingSettings, InvoiceSeries, Product, ProductGroup, VatCode
from frontoffice.billing.services.catalogue_import import PRODUCT_CSV_COLUMNS, csv_cell_out
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.finance.models import AccountType, ControlKind, LedgerAccount
from frontoffice.finance.selectors.chart import (  # noqa: F401 - re-exported for billing's views
    can_choose_legal_entity,
    ledger_entity_for,
    ledger_is_set_up,
    legal_entity_choices,
)
from frontoffice.org.models import LegalEntity

billing_entity_for = ledger_entity_for


def billing_is_set_up(*, legal_entity: LegalEntity) -> bool:
    return BillingSettings.objects.filter(legal_entity=legal_entity).exists()


# ---------------------------------------------------------------------------------- products


def product_list(
    *,
    user: Any,
    legal_entity: LegalEntity | int | None = None,
    query: str = "",
    group: Any = None,
    active: bool | None = None,
) -> QuerySet[Product]:
    """Products visible to ``user`` (of ``legal_entity`` when given), by code.

    ``query`` matches the code's start or part of the name; ``group`` is a group id (or
    ``"none"`` for products without a group); ``active`` True/False filters, None shows both.
    """
    qs = visible_to(Product.objects.all(), user)
    if legal_entity is not None:
        qs = qs.filter(legal_entity=legal_entity)
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(code__istartswith=query) | Q(name__icontains=query))
    if group == "none":
        qs = qs.filter(group__isnull=True)
    elif group not in (None, ""):
        qs = qs.filter(group_id=group)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.select_related("group", "vat_code__revenue_account", "revenue_account").order_by("code", "id")


def product_get(*, user: Any, pk: Any) -> Product:
    """One product in the user's scope, else 404."""
    qs = Product.objects.select_related("legal_entity", "group", "vat_code", "revenue_account")
    return get_visible_or_404(qs, user, pk=pk)


def products_export_csv(*, user: Any, legal_entity: LegalEntity | int) -> str:
    """The legal entity's products as CSV in the import format (``;``, UTF-8 with BOM).

    Cells that spreadsheet programs would run as formulas are prefixed with ``'`` (the import
    removes it again). Needs ``billing.view_product``; rows outside the user's scope are absent.
    """
    if not user.has_perm("billing.view_product"):
        raise PermissionDenied(_("You do not have permission to do this."))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(PRODUCT_CSV_COLUMNS)
    for p in product_list(user=user, legal_entity=legal_entity).iterator(chunk_size=1000):
        writer.writerow(
            [
                csv_cell_out(v)
                for v in (
                    p.code,
                    p.name,
                    p.description,
                    p.kind,
                    p.group.code if p.group else "",
                    p.unit,
                    f"{p.unit_price_amount:.2f}",
                    p.vat_code.code,
                    p.revenue_account.number if p.revenue_account else "",
                    "yes" if p.active else "no",
                )
            ]
        )
    return out.getvalue()


# ---------------------------------------------------------------------------- product groups


def product_group_list(
    *, user: Any, legal_entity: LegalEntity | int | None = None, active: bool | None = None
) -> QuerySet[ProductGroup]:
    qs = visible_to(ProductGroup.objects.all(), user)
    if legal_entity is not None:
        qs = qs.filter(legal_entity=legal_entity)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("code", "id")


def product_group_get(*, user: Any, pk: Any) -> ProductGroup:
    return get_visible_or_404(ProductGroup.objects.select_related("legal_entity"), user, pk=pk)


# --------------------------------------------------------------------------------- VAT codes


def vat_code_list(
    *, user: Any, legal_entity: LegalEntity | int | None = None, active: bool | None = None
) -> QuerySet[VatCode]:
    qs = visible_to(VatCode.objects.all(), user)
    if legal_entity is not None:
        qs = qs.filter(legal_entity=legal_entity)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.select_related("revenue_account", "vat_account").order_by("code", "id")


def vat_code_get(*, user: Any, pk: Any) -> VatCode:
    qs = VatCode.objects.select_related("legal_entity", "revenue_account", "vat_account")
    return get_visible_or_404(qs, user, pk=pk)


# --------------------------------------------------------------------------- billing settings


def billing_settings_get(*, user: Any, legal_entity: LegalEntity | int) -> BillingSettings | None:
    qs = visible_to(BillingSettings.objects.filter(legal_entity=legal_entity), user)
    return qs.select_related("receivables_account", "rounding_account").first()


def invoice_series_list(*, user: Any, legal_entity: LegalEntity | int) -> QuerySet[InvoiceSeries]:
    return visible_to(InvoiceSeries.objects.filter(legal_entity=legal_entity), user).order_by("code")


# ------------------------------------------------------------------- account choices (forms)


def _accounts(legal_entity: LegalEntity | int) -> QuerySet[LedgerAccount]:
    return LedgerAccount.objects.filter(legal_entity=legal_entity, active=True).order_by("number")


def income_accounts(*, legal_entity: LegalEntity | int) -> QuerySet[LedgerAccount]:
    """Accounts revenue may post to: active income accounts that are not control accounts."""
    return _accounts(legal_entity).filter(type=AccountType.INCOME, control="")


def vat_accounts(*, legal_entity: LegalEntity | int) -> QuerySet[LedgerAccount]:
    return _accounts(legal_entity).filter(control=ControlKind.VAT)


def receivables_accounts(*, legal_entity: LegalEntity | int) -> QuerySet[LedgerAccount]:
    return _accounts(legal_entity).filter(control=ControlKind.RECEIVABLES)


def rounding_accounts(*, legal_entity: LegalEntity | int) -> QuerySet[LedgerAccount]:
    return _accounts(legal_entity).filter(type__in=[AccountType.INCOME, AccountType.EXPENSE], control="")
