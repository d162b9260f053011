"""Read path for the chart of accounts and the ledger settings. Every selector is scoped.

- A user works in one legal entity: their own; organisation-scope users pick one, validated
  through ``visible_to`` (``ledger_entity_for``), so another company's id is a 404.
- Lists select and prefetch what their pages show, so the number of queries does not grow
  with the number of rows.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from frontoffice.core.scoping import get_visible_or_404, user_scope, visible_to
from frontoffice.finance.models import (
    DimensionObject,
    FiscalYear,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LockDate,
    Period,
    PostingStandards,
    VoucherSeries,
)
from frontoffice.finance.services.chart import CSV_COLUMNS, CSV_FORMULA_START
from frontoffice.org.models import LegalEntity, Role


def legal_entity_choices(*, user: Any) -> QuerySet[LegalEntity]:
    return visible_to(LegalEntity.objects.all(), user).order_by("name")


def ledger_entity_for(*, user: Any, legal_entity: Any = None) -> LegalEntity | None:
    """The legal entity whose ledger ``user`` works on.

    ``legal_entity`` (an id, typically the ``legal_entity`` query parameter) must be visible
    to the user, else 404. Without it: the user's own legal entity, or for a user without one
    (a superuser) the first visible legal entity; ``None`` when there is none.
    """
    if legal_entity not in (None, ""):
        return get_visible_or_404(LegalEntity.objects.all(), user, pk=legal_entity)
    own = user_scope(user).legal_entity_id
    if own is not None:
        return get_visible_or_404(LegalEntity.objects.all(), user, pk=own)
    return legal_entity_choices(user=user).first()


def can_choose_legal_entity(*, user: Any) -> bool:
    return user_scope(user).everything


def ledger_is_set_up(*, legal_entity: LegalEntity) -> bool:
    return LedgerAccount.objects.filter(legal_entity=legal_entity).exists()


# ---------------------------------------------------------------------------------- accounts


def account_list(
    *,
    user: Any,
    legal_entity: LegalEntity,
    query: str = "",
    type: str = "",
    control: str = "",
    active: str = "",
    restricted: bool = False,
) -> QuerySet[LedgerAccount]:
    """Accounts of the legal entity visible to ``user``, by number.

    ``query`` matches the number's start or either name; ``control`` is a control kind, or
    ``"any"``/``"none"``; ``active`` is ``"yes"`` or ``"no"``; ``restricted`` keeps only the
    accounts restricted for manual vouchers (``manual_voucher_restricted``). Each account carries
    ``has_posted_lines`` (one subquery, not one query per row).
    """
    qs = visible_to(LedgerAccount.objects.filter(legal_entity=legal_entity), user)
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(number__startswith=query) | Q(name_sv__icontains=query) | Q(name_en__icontains=query)
        )
    if type:
        qs = qs.filter(type=type)
    if control == "any":
        qs = qs.exclude(control="")
    elif control == "none":
        qs = qs.filter(control="")
    elif control:
        qs = qs.filter(control=control)
    if active == "yes":
        qs = qs.filter(active=True)
    elif active == "no":
        qs = qs.filter(active=False)
    if restricted:
        qs = qs.filter(manual_voucher_restricted=True)
    posted = JournalLine.objects.filter(account=OuterRef("pk"), entry__status=JournalEntry.Status.POSTED)
    return qs.annotate(has_posted_lines=Exists(posted)).order_by("number")


def account_get(*, user: Any, pk: Any) -> LedgerAccount:
    """One account in the user's scope, else 404."""
    posted = JournalLine.objects.filter(account=OuterRef("pk"), entry__status=JournalEntry.Status.POSTED)
    qs = LedgerAccount.objects.select_related("legal_entity").annotate(has_posted_lines=Exists(posted))
    return get_visible_or_404(qs, user, pk=pk)


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(CSV_FORMULA_START) else text


def chart_export_csv(*, user: Any, legal_entity: LegalEntity) -> str:
    """The legal entity's chart as CSV in the import format (``;``-separated, UTF-8 with BOM).

    Importing the result into another legal entity reproduces the same accounts. Needs
    ``finance.view_ledgeraccount``.
    """
    if not user.has_perm("finance.view_ledgeraccount"):
        raise PermissionDenied(_("You do not have permission to do this."))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    accounts = visible_to(LedgerAccount.objects.filter(legal_entity=legal_entity), user).order_by("number")
    for a in accounts.iterator(chunk_size=1000):
        writer.writerow(
            [
                _csv_cell(v)
                for v in (
                    a.number,
                    a.name_sv,
                    a.name_en,
                    a.type,
                    a.control,
                    a.default_vat_code,
                    a.required_dimension,
                    "yes" if a.active else "no",
                    "yes" if a.manual_voucher_restricted else "no",
                )
            ]
        )
    return out.getvalue()


# -------------------------------------------------------------------------------- dimensions


def dimension_object_list(
    *, user: Any, legal_entity: LegalEntity, kind: str = ""
) -> QuerySet[DimensionObject]:
    qs = visible_to(DimensionObject.objects.filter(legal_entity=legal_entity), user)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "code")


def dimension_object_get(*, user: Any, pk: Any) -> DimensionObject:
    return get_visible_or_404(DimensionObject.objects.all(), user, pk=pk)


# ---------------------------------------------------------------------------------- settings


def fiscal_year_list(*, user: Any, legal_entity: LegalEntity) -> QuerySet[FiscalYear]:
    """Fiscal years, newest first, with their periods (one prefetch query)."""
    periods = Prefetch("periods", queryset=Period.objects.order_by("number"))
    qs = visible_to(FiscalYear.objects.filter(legal_entity=legal_entity), user)
    return qs.select_related("closed_by").prefetch_related(periods).order_by("-start_on")


def series_list(*, user: Any, legal_entity: LegalEntity) -> QuerySet[VoucherSeries]:
    qs = visible_to(VoucherSeries.objects.filter(legal_entity=legal_entity), user)
    return qs.prefetch_related("allowed_roles").order_by("code")


def series_get(*, user: Any, pk: Any) -> VoucherSeries:
    return get_visible_or_404(VoucherSeries.objects.prefetch_related("allowed_roles"), user, pk=pk)


def ledger_roles() -> QuerySet[Role]:
    """Roles that may post vouchers: the ones lock dates and series permissions are about."""
    return Role.objects.filter(
        permissions__content_type__app_label="finance", permissions__codename="post_journalentry"
    ).order_by("name")


def lock_dates(*, user: Any, legal_entity: LegalEntity) -> dict[int | None, LockDate]:
    """Lock dates by role id (``None``: the date for everyone)."""
    qs = visible_to(LockDate.objects.filter(legal_entity=legal_entity), user)
    return {d.role_id: d for d in qs}


def posting_standards_get(*, user: Any, legal_entity: LegalEntity) -> PostingStandards | None:
    return visible_to(PostingStandards.objects.filter(legal_entity=legal_entity), user).first()
