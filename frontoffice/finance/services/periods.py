"""Fiscal years, periods, lock dates and posting standards.

Invariants:
- fiscal years of a legal entity do not overlap and cover whole months; each has an opening
  period (number 0) and one period per month (1..n);
- creating a year also creates its series counters, so the first posting never races to
  create them.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.finance.models import (
    FiscalYear,
    LockDate,
    Period,
    PostingStandards,
    SeriesCounter,
    VoucherSeries,
)


def month_end(day: datetime.date) -> datetime.date:
    nxt = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


@transaction.atomic
def fiscal_year_create(
    *, actor: Any, legal_entity: Any, start_on: datetime.date, end_on: datetime.date
) -> FiscalYear:
    """Create a fiscal year of whole months (at most 18, as Swedish law allows) with its periods."""
    require_perm(actor, "finance.manage_ledger", system=True)
    le_id = getattr(legal_entity, "pk", legal_entity)
    errors: dict[str, str] = {}
    if start_on.day != 1:
        errors["start_on"] = _("A fiscal year starts on the first day of a month.")
    if end_on != month_end(end_on):
        errors["end_on"] = _("A fiscal year ends on the last day of a month.")
    if end_on <= start_on:
        errors["end_on"] = _("The last day must be after the first day.")
    months = (end_on.year - start_on.year) * 12 + end_on.month - start_on.month + 1
    if not errors and months > 18:
        errors["end_on"] = _("A fiscal year is at most 18 months long.")
    if FiscalYear.objects.filter(legal_entity_id=le_id, start_on__lte=end_on, end_on__gte=start_on).exists():
        errors["start_on"] = _("This fiscal year overlaps an existing one.")
    if errors:
        raise ValidationError(errors, code="invalid_fiscal_year")
    year = FiscalYear.objects.create(legal_entity_id=le_id, start_on=start_on, end_on=end_on)
    periods = [Period(fiscal_year=year, legal_entity_id=le_id, number=0, start_on=start_on, end_on=start_on)]
    day = start_on
    for number in range(1, months + 1):
        periods.append(
            Period(
                fiscal_year=year, legal_entity_id=le_id, number=number, start_on=day, end_on=month_end(day)
            )
        )
        day = month_end(day) + datetime.timedelta(days=1)
    Period.objects.bulk_create(periods)
    SeriesCounter.objects.bulk_create(
        [
            SeriesCounter(series=s, fiscal_year=year)
            for s in VoucherSeries.objects.filter(legal_entity_id=le_id)
        ],
        ignore_conflicts=True,
    )
    if actor is not None:
        audit_record(
            actor=actor, action="finance.fiscal_year.created", obj=year, changes={"year": [None, str(year)]}
        )
    return year


@transaction.atomic
def voucher_series_create(
    *, actor: Any, legal_entity: Any, code: str, name: str, is_manual: bool = True
) -> VoucherSeries:
    require_perm(actor, "finance.manage_ledger", system=True)
    le_id = getattr(legal_entity, "pk", legal_entity)
    series = VoucherSeries(
        legal_entity_id=le_id, code=code.strip().upper(), name=name.strip(), is_manual=is_manual
    )
    series.full_clean()
    series.save()
    SeriesCounter.objects.bulk_create(
        [
            SeriesCounter(series=series, fiscal_year=y)
            for y in FiscalYear.objects.filter(legal_entity_id=le_id)
        ],
        ignore_conflicts=True,
    )
    if actor is not None:
        audit_record(actor=actor, action="finance.series.created", obj=series)
    return series


@transaction.atomic
def lock_date_set(
    *, actor: Any, legal_entity: Any, locked_through: datetime.date | None, role: Any = None
) -> LockDate | None:
    """Lock postings dated on or before ``locked_through`` for ``role`` (None: everyone)."""
    require_perm(actor, "finance.manage_ledger", system=True)
    le_id = getattr(legal_entity, "pk", legal_entity)
    existing = LockDate.objects.filter(legal_entity_id=le_id, role=role).first()
    before = existing.locked_through.isoformat() if existing else None
    if locked_through is None:
        if existing:
            existing.delete()
        result = None
    elif existing:
        existing.locked_through = locked_through
        existing.save(update_fields=["locked_through", "updated_at"])
        result = existing
    else:
        result = LockDate.objects.create(legal_entity_id=le_id, role=role, locked_through=locked_through)
    if actor is not None and result is not None:
        audit_record(
            actor=actor,
            action="finance.lock_date.set",
            obj=result,
            changes={"locked_through": [before, locked_through.isoformat() if locked_through else None]},
        )
    return result


@transaction.atomic
def posting_standards_set(*, actor: Any, legal_entity: Any, **fields: Any) -> PostingStandards:
    require_perm(actor, "finance.manage_ledger", system=True)
    le_id = getattr(legal_entity, "pk", legal_entity)
    standards, _created = PostingStandards.objects.get_or_create(legal_entity_id=le_id)
    before = {k: str(getattr(standards, k)) for k in fields}
    for name, value in fields.items():
        if name not in {"four_eyes_threshold_amount", "attachment_threshold_amount"}:
            raise TypeError(f"Unknown standard: {name}")
        setattr(standards, name, value)
    standards.full_clean()
    standards.save()
    if actor is not None:
        audit_record(
            actor=actor,
            action="finance.standards.updated",
            obj=standards,
            changes={k: [before[k], str(v)] for k, v in fields.items()},
        )
    return standards
