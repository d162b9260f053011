"""Posting compliance per employee (PRODUCT.md): the share of vouchers accepted the first
time under the posting standards, and the corrections needed afterwards.

- posted: vouchers the employee posted in the range;
- first_time: those posted without any rejected attempt before (``rejection_count == 0``);
- rejections: refused posting attempts by the employee in the range (every standard broken
  is in ``PostingRejection.codes``);
- corrections: reversals posted in the range of vouchers the employee had posted.

Posted, first-time and correction counts are aggregate queries grouped by employee; the
rejections of the range are tallied per standard in Python (they are few by nature).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q

from frontoffice.core.scoping import visible_to
from frontoffice.finance.models import JournalEntry, PostingRejection


@dataclass
class ComplianceRow:
    user_id: int
    name: str
    posted: int = 0
    first_time: int = 0
    rejections: int = 0
    corrections: int = 0
    codes: Counter[str] = field(default_factory=Counter)

    @property
    def top_codes(self) -> list[tuple[str, int]]:
        """The three standards this employee broke most often, with counts."""
        return self.codes.most_common(3)

    @property
    def first_time_share(self) -> Decimal | None:
        """Percentage of posted vouchers accepted the first time (one decimal), None if none."""
        if not self.posted:
            return None
        return (Decimal(self.first_time) * 100 / Decimal(self.posted)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def posting_compliance_by_employee(
    *, user: Any, legal_entity: Any, start: datetime.date, end: datetime.date
) -> list[ComplianceRow]:
    """Per employee of ``legal_entity``, who posted or was refused in [start, end]."""
    if not user.has_perm("finance.view_postingrejection"):
        raise PermissionDenied
    le_id = getattr(legal_entity, "pk", legal_entity)
    entries = visible_to(JournalEntry.objects.filter(legal_entity_id=le_id), user)
    rows: dict[int, ComplianceRow] = {}
    names: dict[int, str] = {}

    def row(user_id: int) -> ComplianceRow:
        if user_id not in rows:
            rows[user_id] = ComplianceRow(user_id=user_id, name="")
        return rows[user_id]

    posted = (
        entries.filter(status=JournalEntry.Status.POSTED, date__range=(start, end), posted_by__isnull=False)
        .values("posted_by", "posted_by__first_name", "posted_by__last_name", "posted_by__username")
        .annotate(n=Count("id"), first=Count("id", filter=Q(rejection_count=0)))
    )
    for item in posted:
        r = row(item["posted_by"])
        r.posted, r.first_time = item["n"], item["first"]
        names[item["posted_by"]] = (
            f"{item['posted_by__first_name']} {item['posted_by__last_name']}".strip()
            or item["posted_by__username"]
        )
    corrections = (
        entries.filter(reverses__isnull=False, date__range=(start, end), reverses__posted_by__isnull=False)
        .values("reverses__posted_by")
        .annotate(n=Count("id"))
    )
    for item in corrections:
        row(item["reverses__posted_by"]).corrections = item["n"]
    rejections = visible_to(PostingRejection.objects.filter(legal_entity_id=le_id), user).filter(
        at__date__range=(start, end), actor__isnull=False
    )
    for actor_id, codes in rejections.values_list("actor", "codes"):
        r = row(actor_id)
        r.rejections += 1
        r.codes.update(codes)
    missing = [uid for uid in rows if uid not in names]
    if missing:
        from django.contrib.auth import get_user_model

        for u in get_user_model().objects.filter(pk__in=missing):
            names[u.pk] = u.get_full_name() or u.get_username()
    for uid, r in rows.items():
        r.name = names.get(uid, str(uid))
    return sorted(rows.values(), key=lambda r: r.name.lower())
