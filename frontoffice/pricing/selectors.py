"""Read path for pricing: what a customer pays for a product on a date (``line_price``), price
profile lists and pages, the approval queue and the discount authority table.

Invariants:
- every selector serving a user starts from ``visible_to`` (a profile is visible exactly when
  its customer is);
- ``line_price`` uses only approved profiles within their effective dates (``effective_on``);
  precedence among a profile's rules: a product rule beats a product group rule; among rules
  of that target, the highest ``min_quantity`` the quantity reaches; at that tier a fixed
  price beats a percent discount. No applicable rule (or no profile): the list price;
- a percent rule keeps the list price and carries the discount; a fixed price carries no
  discount. So the net price (``net_unit_price_amount``) never exceeds the list price for
  percent rules and is never negative.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from typing import Any, Protocol

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from frontoffice.billing.models import Product
from frontoffice.core.money import quantize
from frontoffice.core.scoping import ScopeLevel, get_visible_or_404, user_scope, visible_to
from frontoffice.org.models import LegalEntity, Role, Staff
from frontoffice.pricing.models import (
    ApprovalDecision,
    ApprovalRequest,
    DiscountAuthority,
    PriceProfile,
    PriceRule,
)

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# The shipped limits (PRODUCT.md: "rep 5 %, regional manager 15 %, CFO unlimited" as an example;
# these are the product's defaults). The finance manager changes them per legal entity.
DEFAULTS: dict[str, Decimal] = {
    "sales_rep": Decimal("10.00"),
    "regional_sales_manager": Decimal("20.00"),
    "national_sales_manager": Decimal("35.00"),
    "finance_manager": Decimal("100.00"),
}


def _le_id(legal_entity: Any) -> int:
    return getattr(legal_entity, "pk", legal_entity)


def authority_by_role(*, legal_entity: Any) -> dict[int, Decimal]:
    """``{role id: largest discount}`` for every role in the legal entity (defaults filled in)."""
    stored = dict(
        DiscountAuthority.objects.filter(legal_entity_id=_le_id(legal_entity)).values_list(
            "role_id", "max_discount_percent"
        )
    )
    return {
        role_id: stored.get(role_id, DEFAULTS.get(code, ZERO))
        for role_id, code in Role.objects.values_list("pk", "code")
    }


def role_authority(*, legal_entity: Any, role: Role) -> Decimal:
    row = (
        DiscountAuthority.objects.filter(legal_entity_id=_le_id(legal_entity), role=role)
        .values_list("max_discount_percent", flat=True)
        .first()
    )
    return row if row is not None else DEFAULTS.get(role.code, ZERO)


def staff_in(user: Any, legal_entity: Any) -> Staff | None:
    """The user's active staff profile, if it works in ``legal_entity``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    staff = Staff.objects.select_related("role").filter(user_id=user.pk, active=True).first()
    if staff is None:
        return None
    if staff.legal_entity_id != _le_id(legal_entity) and staff.role.scope != ScopeLevel.ORGANISATION:
        return None
    return staff


def user_authority(*, user: Any, legal_entity: Any) -> Decimal:
    """The largest discount ``user`` may grant on their own in ``legal_entity``."""
    staff = staff_in(user, legal_entity)
    if staff is None:
        return ZERO
    return role_authority(legal_entity=legal_entity, role=staff.role)


SOURCE_MAX_LENGTH = 100  # billing.InvoiceLine.price_source


# ---------------------------------------------------------------- prices


@dataclass(frozen=True)
class LinePrice:
    """The price of one line: the unit price to print, the discount on it, and where it came from."""

    unit_price_amount: Decimal
    discount_percent: Decimal
    source: str
    list_price_amount: Decimal
    profile_id: int | None = None
    rule_id: int | None = None

    @property
    def net_unit_price_amount(self) -> Decimal:
        """The unit price after the discount, rounded to öre (for display and comparisons)."""
        return quantize(self.unit_price_amount * (HUNDRED - self.discount_percent) / HUNDRED)


class RuleLike(Protocol):
    pk: Any
    product_id: int | None
    product_group_id: int | None
    kind: str
    discount_percent: Decimal | None
    unit_price_amount: Decimal | None
    min_quantity: Decimal


def choose_rule(
    rules: Iterable[RuleLike], *, product_id: int, group_id: int | None, quantity: Decimal
) -> RuleLike | None:
    """The rule that prices ``quantity`` of the product (see the precedence in the docstring).

    Quantity tiers compare the absolute quantity, so a negative correction line gets the
    price of the same positive quantity.
    """
    amount = abs(Decimal(quantity))
    applicable = [
        rule
        for rule in rules
        if (
            rule.product_id == product_id
            or (rule.product_id is None and group_id is not None and rule.product_group_id == group_id)
        )
        and rule.min_quantity <= amount
    ]
    return max(
        applicable,
        key=lambda r: (r.product_id is not None, r.min_quantity, r.kind == PriceRule.Kind.FIXED_PRICE),
        default=None,
    )


def rule_price(rule: RuleLike, list_price: Decimal) -> tuple[Decimal, Decimal]:
    """``(unit price, discount %)`` of ``rule`` for a product listed at ``list_price``."""
    if rule.kind == PriceRule.Kind.FIXED_PRICE:
        return quantize(rule.unit_price_amount), Decimal("0.00")
    return quantize(list_price), Decimal(rule.discount_percent).quantize(Decimal("0.01"))


def rule_discount_percent(rule: RuleLike, list_price: Decimal | None) -> Decimal:
    """The discount a rule gives, against the list price for fixed prices (never negative;
    a fixed price above the list price is no discount)."""
    if rule.kind == PriceRule.Kind.PERCENT:
        return Decimal(rule.discount_percent or 0)
    if not list_price or list_price <= 0:
        return Decimal("0")
    return max(Decimal("0"), (list_price - Decimal(rule.unit_price_amount)) * HUNDRED / list_price)


def profile_max_discount(profile: PriceProfile) -> Decimal:
    """The largest discount of the profile's rules, rounded up to hundredths of a percent (so
    a fixed price just above a limit never rounds down under it)."""
    rules = profile.rules.select_related("product")
    largest = max(
        (rule_discount_percent(r, r.product.unit_price_amount if r.product else None) for r in rules),
        default=Decimal("0"),
    )
    return min(largest.quantize(Decimal("0.01"), rounding=ROUND_UP), Decimal("100.00"))


def _source(profile: PriceProfile) -> str:
    if profile.approved_by is not None:
        text = _("Price profile “%(name)s” (approved by %(approver)s)") % {
            "name": profile.name,
            "approver": str(profile.approved_by),
        }
    else:
        text = _("Price profile “%(name)s”") % {"name": profile.name}
    return Truncator(text).chars(SOURCE_MAX_LENGTH)


class PriceBook:
    """One customer's prices on one date: the effective profile and its rules, loaded once, so
    pricing many lines costs no further queries."""

    def __init__(self, profile: PriceProfile | None, rules: list[PriceRule]):
        self.profile = profile
        self.rules = rules

    def price(self, product: Product, quantity: Decimal | int | str) -> LinePrice:
        list_price = quantize(product.unit_price_amount)
        rule = choose_rule(
            self.rules, product_id=product.pk, group_id=product.group_id, quantity=Decimal(str(quantity))
        )
        if rule is None or self.profile is None:
            return LinePrice(list_price, Decimal("0.00"), str(_("List price")), list_price)
        unit, discount = rule_price(rule, list_price)
        return LinePrice(unit, discount, _source(self.profile), list_price, self.profile.pk, rule.pk)


def effective_profile(*, legal_entity: Any, party: Any, on: datetime.date) -> PriceProfile | None:
    """The approved profile pricing the customer's documents dated ``on`` (the most recently
    approved one, should two ever overlap)."""
    return (
        PriceProfile.objects.effective_on(on)
        .filter(
            legal_entity_id=getattr(legal_entity, "pk", legal_entity), party_id=getattr(party, "pk", party)
        )
        .select_related("approved_by")
        .order_by("-approved_at", "-pk")
        .first()
    )


def price_book(*, legal_entity: Any, party: Any, on: datetime.date) -> PriceBook:
    profile = effective_profile(legal_entity=legal_entity, party=party, on=on)
    return PriceBook(profile, list(profile.rules.all()) if profile else [])


def line_price(
    *, legal_entity: Any, party: Any, product: Any, quantity: Decimal | int | str, on: datetime.date
) -> LinePrice:
    """What ``party`` pays for ``quantity`` of ``product`` on a document dated ``on``.

    ``legal_entity``, ``party`` and ``product`` may be instances or ids. Not scoped: callers
    (invoice and quote services) have checked the document is the actor's to write.
    """
    if not isinstance(product, Product):
        product = Product.objects.get(pk=product, legal_entity_id=getattr(legal_entity, "pk", legal_entity))
    return price_book(legal_entity=legal_entity, party=party, on=on).price(product, quantity)


# ---------------------------------------------------------------- profiles


def profile_list(
    *, user: Any, status: str = "", party: Any = None, query: str = ""
) -> QuerySet[PriceProfile]:
    """Price profiles visible to ``user``, newest validity first; lists need no extra queries."""
    qs = visible_to(PriceProfile.objects.all(), user).select_related(
        "party", "legal_entity", "created_by", "approved_by"
    )
    if status in PriceProfile.Status.values:
        qs = qs.filter(status=status)
    if party not in (None, ""):
        qs = qs.filter(party_id=getattr(party, "pk", party))
    if query:
        for word in query.split()[:5]:
            qs = qs.filter(Q(party__display_name__icontains=word) | Q(name__icontains=word))
    return qs.order_by("-valid_from", "-pk")


def profile_get(*, user: Any, pk: Any, for_update: bool = False) -> PriceProfile:
    """One profile in scope, else 404."""
    qs = PriceProfile.objects.select_related(
        "party",
        "legal_entity",
        "billing_profile",
        "created_by",
        "submitted_by",
        "approved_by",
        "superseded_by",
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return get_visible_or_404(qs, user, pk=pk)


def profile_rules(profile: PriceProfile) -> list[PriceRule]:
    """The profile's rules in the order they were entered."""
    return list(profile.rules.select_related("product", "product_group").order_by("pk"))


def _requests_of(target: Any) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    )


def approval_history(target: Any) -> list[ApprovalDecision]:
    """Every decision on every approval request of ``target``, oldest first.

    The caller has checked that ``target`` is inside the user's scope.
    """
    return list(
        ApprovalDecision.objects.filter(request__in=_requests_of(target))
        .select_related("actor", "routed_to")
        .order_by("at", "pk")
    )


def pending_request(target: Any) -> ApprovalRequest | None:
    return (
        _requests_of(target)
        .filter(status=ApprovalRequest.Status.PENDING)
        .select_related("assigned_to", "requested_by")
        .first()
    )


def can_decide(*, user: Any, request: ApprovalRequest | None, perm: str) -> bool:
    """Whether ``user`` may approve or reject ``request`` (mirrors the service's checks)."""
    return (
        request is not None
        and request.status == ApprovalRequest.Status.PENDING
        and user.has_perm(perm)
        and user.pk != request.requested_by_id
        and user_authority(user=user, legal_entity=request.legal_entity_id) >= request.discount_percent
    )


# ---------------------------------------------------------------- approval queue


def approval_queue(*, user: Any, show: str = "mine") -> QuerySet[ApprovalRequest]:
    """Pending approval requests: routed to ``user`` (``show="mine"``), or every one ``user``
    could decide (``show="all"``: visible, not their own, within their authority)."""
    qs = visible_to(ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING), user)
    if show == "all":
        qs = qs.exclude(requested_by_id=user.pk)
        allowed = [
            request.pk
            for request in qs.only("pk", "legal_entity_id", "discount_percent")
            if request.discount_percent <= _authority_cached(user, request.legal_entity_id)
        ]
        qs = qs.filter(pk__in=allowed)
    else:
        qs = qs.filter(assigned_to_id=user.pk)
    return qs.select_related("party", "requested_by", "assigned_to", "target_type").order_by(
        "requested_at", "pk"
    )


def _authority_cached(user: Any, legal_entity_id: int) -> Decimal:
    cache = user.__dict__.setdefault("_pricing_authority", {})
    if legal_entity_id not in cache:
        cache[legal_entity_id] = user_authority(user=user, legal_entity=legal_entity_id)
    return cache[legal_entity_id]


def approval_queue_count(*, user: Any) -> int:
    return approval_queue(user=user).count()


def with_targets(requests: Iterable[ApprovalRequest]) -> list[ApprovalRequest]:
    """Requests with their target loaded (one query per kind of target)."""
    requests = list(requests)
    by_type: dict[int, list[ApprovalRequest]] = {}
    for request in requests:
        by_type.setdefault(request.target_type_id, []).append(request)
    for type_id, items in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        targets = model._default_manager.in_bulk([r.target_id for r in items])
        for request in items:
            request.loaded_target = targets.get(request.target_id)
    return requests


# ---------------------------------------------------------------- discount authority


@dataclass(frozen=True)
class AuthorityRow:
    role: Role
    max_discount_percent: Decimal
    is_default: bool


def authority_rows(*, legal_entity: LegalEntity) -> list[AuthorityRow]:
    """Every role with its discount authority in the legal entity, largest first."""
    stored = dict(
        DiscountAuthority.objects.filter(legal_entity=legal_entity).values_list(
            "role_id", "max_discount_percent"
        )
    )
    rows = [
        AuthorityRow(
            role=role,
            max_discount_percent=stored.get(role.pk, DEFAULTS.get(role.code, ZERO)),
            is_default=role.pk not in stored,
        )
        for role in Role.objects.order_by("name")
    ]
    return sorted(rows, key=lambda r: (-r.max_discount_percent, str(r.role.name)))


def authority_entity_for(*, user: Any, legal_entity: Any = None) -> LegalEntity | None:
    """The legal entity whose authorities the page shows: the chosen one (visible, else 404),
    else the user's own, else the first visible."""
    if legal_entity not in (None, ""):
        return get_visible_or_404(LegalEntity.objects.all(), user, pk=legal_entity)
    own = user_scope(user).legal_entity_id
    if own is not None:
        return get_visible_or_404(LegalEntity.objects.all(), user, pk=own)
    return visible_to(LegalEntity.objects.all(), user).order_by("name").first()
