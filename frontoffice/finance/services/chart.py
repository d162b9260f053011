"""The chart of accounts and ledger set-up of a legal entity.

Invariants: account numbers are unique per legal entity and digits only; an account with
posted lines is never deleted (``PROTECT``) — it is deactivated instead.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.finance.charts import bas
from frontoffice.finance.models import LedgerAccount, PostingStandards, VoucherSeries
from frontoffice.finance.services.periods import fiscal_year_create, voucher_series_create

TEMPLATES = {"bas": bas}


def _require(actor: Any, perm: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(_("You do not have permission to do this."))


@transaction.atomic
def ledger_setup(
    *, actor: Any, legal_entity: Any, template: str = "bas", first_year_start: datetime.date, months: int = 12
) -> None:
    """Create a legal entity's chart (from a template), voucher series, standards and first year."""
    _require(actor, "finance.manage_ledger")
    le_id = getattr(legal_entity, "pk", legal_entity)
    if LedgerAccount.objects.filter(legal_entity_id=le_id).exists():
        raise ValidationError(_("This legal entity already has a chart of accounts."), code="chart_exists")
    chart = TEMPLATES.get(template)
    if chart is None:
        raise ValidationError(
            {"template": _("Unknown chart template “%(t)s”.") % {"t": template}}, code="unknown_template"
        )
    LedgerAccount.objects.bulk_create(
        [
            LedgerAccount(
                legal_entity_id=le_id,
                number=number,
                name_sv=name_sv,
                name_en=name_en,
                type=kind,
                control=control,
                default_vat_code=vat,
                required_dimension=dimension,
            )
            for number, name_sv, name_en, kind, control, vat, dimension in chart.ACCOUNTS
        ]
    )
    for code, name, is_manual in chart.SERIES:
        if not VoucherSeries.objects.filter(legal_entity_id=le_id, code=code).exists():
            voucher_series_create(actor=None, legal_entity=le_id, code=code, name=name, is_manual=is_manual)
    PostingStandards.objects.get_or_create(legal_entity_id=le_id)
    end = first_year_start
    for _i in range(months):
        end = (end.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    fiscal_year_create(
        actor=None, legal_entity=le_id, start_on=first_year_start, end_on=end - datetime.timedelta(days=1)
    )
    if actor is not None:
        from frontoffice.org.models import LegalEntity

        audit_record(
            actor=actor,
            action="finance.ledger.set_up",
            obj=LegalEntity.objects.get(pk=le_id),
            changes={"template": [None, template]},
        )
