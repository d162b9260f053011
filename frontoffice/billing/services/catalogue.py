"""A legal entity's catalogue: VAT codes, product groups and products.

(The product CSV import is ``catalogue_import``, the billing settings ``billing_settings``;
both share the field helpers defined here.)

Invariants:
- codes of VAT codes, product groups and products are trimmed, upper-case and unique per legal
  entity; every account, VAT code and group a row names belongs to the row's legal entity;
- a VAT code's revenue account is an active income account; category S (standard) has a rate
  above 0 and an active output-VAT control account; every other category has rate 0 and no
  VAT account, and E, AE, K, G and O carry the exemption reason printed on the invoice; the
  rate and category of a code used on an issued invoice never change;
- an active product carries an active VAT code, so a VAT code used by active products cannot
  be deactivated; a product's own revenue account, when set, is an active income account;
- amounts and rates are ``Decimal`` with at most two decimals; a float is a programming error
  (``TypeError``), never rounded;
- each service checks its permission and the actor's legal entity (organisation-wide roles
  work in every one), raises ``ValidationError`` naming the field, and writes one audit entry
  (``billing.<noun>.<verb>``) per change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from frontoffice.billing.models import (
    InvoiceLine,
    Product,
    ProductGroup,
    Unit,
    VatCategory,
    VatCode,
)
from frontoffice.core.audit import audit_created, audit_record, diff, snapshot
from frontoffice.core.money import CENT
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.finance.models import AccountType, ControlKind, LedgerAccount

# Categories whose invoices must say why no VAT is charged (Peppol BT-120).
EXEMPTION_CATEGORIES = {
    VatCategory.EXEMPT,
    VatCategory.REVERSE_CHARGE,
    VatCategory.INTRA_EU,
    VatCategory.EXPORT,
    VatCategory.OUTSIDE_SCOPE,
}
MAX_MONEY = Decimal("999999999999.99")  # MoneyField: 14 digits, 2 decimals
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._\-/]*$")

VAT_CODE_FIELDS = [
    "code",
    "name_sv",
    "name_en",
    "category",
    "rate",
    "revenue_account",
    "vat_account",
    "exemption_reason",
    "active",
]
GROUP_FIELDS = ["code", "name", "active"]
PRODUCT_FIELDS = [
    "code",
    "name",
    "description",
    "kind",
    "group",
    "unit",
    "unit_price_amount",
    "vat_code",
    "revenue_account",
    "active",
]

Errors = dict[str, ValidationError]


def le_id_of(legal_entity: Any) -> int:
    return int(getattr(legal_entity, "pk", legal_entity))


def add_error(errors: Errors, field: str, message: str, code: str) -> None:
    errors.setdefault(field, ValidationError(message, code=code))


def raise_errors(errors: Errors, code: str) -> None:
    if errors:
        raise ValidationError(errors, code=code)


def full_clean_into(instance: Model, errors: Errors, *, exclude: Iterable[str]) -> None:
    """Field rules of the model (lengths, choices, e-mail) for fields without an error yet."""
    try:
        instance.full_clean(exclude=[*exclude, *errors], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            add_error(errors, field, messages[0], "invalid")


def related(instance: Model, name: str) -> Any:
    """The related row, or None when the foreign key is empty (also for non-null keys)."""
    return getattr(instance, name) if getattr(instance, f"{name}_id") is not None else None


def snapshot_of(instance: Model, fields: Iterable[str]) -> dict[str, Any]:
    """``core.audit.snapshot`` that also copes with a required foreign key left empty by a
    refused reference (the change is refused, but the diff must still be computable)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_one and getattr(instance, f"{name}_id") is None:
            values[name] = None
        else:
            values.update(snapshot(instance, [name]))
    return values


def clean_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def clean_code(value: Any) -> str:
    return clean_text(value).upper()


def decimal_value(
    value: Any,
    field: str,
    errors: Errors,
    *,
    minimum: Decimal = Decimal("0"),
    maximum: Decimal = MAX_MONEY,
    required: bool = True,
) -> Decimal | None:
    """``value`` as a Decimal with at most two decimals within [minimum, maximum]; problems go to
    ``errors[field]``. A float raises ``TypeError``: amounts never pass through binary floats."""
    if isinstance(value, float):
        raise TypeError(f"{field} must not be a float; pass a Decimal, int or str.")
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            add_error(errors, field, _("This field is required."), "required")
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        add_error(errors, field, _("Enter a number, for example 850.00."), "invalid_number")
        return None
    if not number.is_finite():
        add_error(errors, field, _("Enter a number, for example 850.00."), "invalid_number")
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and number != number.quantize(CENT):
        add_error(errors, field, _("Use at most two decimals."), "too_many_decimals")
        return None
    if number < minimum or number > maximum:
        add_error(
            errors,
            field,
            _("Enter a value from %(min)s to %(max)s.") % {"min": minimum, "max": maximum},
            "out_of_range",
        )
        return None
    return number.quantize(CENT)


def normalise_postal_code(value: str, country: str, field: str, errors: Errors) -> str:
    """Swedish postal codes are five digits, written ``NNN NN``; other countries' are kept."""
    text = clean_text(value)
    if not text or (country or "SE").upper() != "SE":
        return text
    digits = text.replace(" ", "").removeprefix("SE-")
    if not (digits.isdigit() and len(digits) == 5):
        add_error(errors, field, _("A Swedish postal code is five digits, e.g. 903 26."), "postal_code")
        return text
    return f"{digits[:3]} {digits[3:]}"


# ----------------------------------------------------------------------------------- lookups


class Refs:
    """The legal entity's accounts, VAT codes and groups, looked up by instance, number or code.

    ``preload=True`` (imports) reads each table once; otherwise each lookup is one query.
    """

    def __init__(self, le_id: int, *, preload: bool = False) -> None:
        self.le_id = le_id
        self.preloaded = preload
        self.accounts: dict[str, LedgerAccount] = {}
        self.vat_codes: dict[str, VatCode] = {}
        self.groups: dict[str, ProductGroup] = {}
        if preload:
            self.accounts = {a.number: a for a in LedgerAccount.objects.filter(legal_entity_id=le_id)}
            self.vat_codes = {v.code: v for v in VatCode.objects.filter(legal_entity_id=le_id)}
            self.groups = {g.code: g for g in ProductGroup.objects.filter(legal_entity_id=le_id)}
        self._by_pk: dict[str, dict[int, Any]] = {
            "vat_code": {v.pk: v for v in self.vat_codes.values()},
            "group": {g.pk: g for g in self.groups.values()},
            "revenue_account": {a.pk: a for a in self.accounts.values()},
        }

    def copy_product(self, product: Product) -> Product:
        """A detached copy of ``product`` with its references taken from the preloaded rows, so
        that validating a change neither queries nor touches the original."""
        clone = Product(**{f.attname: getattr(product, f.attname) for f in Product._meta.concrete_fields})
        clone._state.adding = False
        for name, rows in self._by_pk.items():
            pk = getattr(clone, f"{name}_id")
            if pk is not None and pk in rows:
                setattr(clone, name, rows[pk])
        return clone

    def _lookup(self, model: type[Model], value: Any, key: str, cache: dict[str, Any]) -> tuple[Any, bool]:
        """``(row, found)``: ``(None, True)`` for an empty value; rows of another legal entity
        and unknown keys are ``(None, False)``."""
        if value is None or value == "":
            return None, True
        if isinstance(value, model):
            return (value, True) if value.legal_entity_id == self.le_id else (None, False)  # type: ignore[attr-defined]
        wanted = clean_code(value) if key == "code" else clean_text(value)
        if self.preloaded:
            row = cache.get(wanted)
        else:
            row = model._default_manager.filter(legal_entity_id=self.le_id, **{key: wanted}).first()  # type: ignore[attr-defined]
        return row, row is not None

    def account(self, value: Any, field: str, errors: Errors) -> LedgerAccount | None:
        account, found = self._lookup(LedgerAccount, value, "number", self.accounts)
        if not found:
            add_error(
                errors,
                field,
                _("Account “%(value)s” is not in this legal entity's chart of accounts.")
                % {"value": getattr(value, "number", value)},
                "unknown_account",
            )
        return account

    def vat_code(self, value: Any, field: str, errors: Errors) -> VatCode | None:
        vat_code, found = self._lookup(VatCode, value, "code", self.vat_codes)
        if not found:
            add_error(
                errors,
                field,
                _("VAT code “%(value)s” does not exist in this legal entity.")
                % {"value": getattr(value, "code", value)},
                "unknown_vat_code",
            )
        return vat_code

    def group(self, value: Any, field: str, errors: Errors) -> ProductGroup | None:
        group, found = self._lookup(ProductGroup, value, "code", self.groups)
        if not found:
            add_error(
                errors,
                field,
                _("Product group “%(value)s” does not exist in this legal entity.")
                % {"value": getattr(value, "code", value)},
                "unknown_group",
            )
        return group


def check_income_account(account: LedgerAccount | None, field: str, errors: Errors) -> None:
    if account is None or field in errors:
        return
    if account.type != AccountType.INCOME or account.control:
        add_error(
            errors,
            field,
            _("Account %(number)s is not an income account; choose one in class 3, e.g. 3001.")
            % {"number": account.number},
            "not_income_account",
        )
    elif not account.active:
        add_error(
            errors,
            field,
            _("Account %(number)s is inactive.") % {"number": account.number},
            "inactive_account",
        )


# --------------------------------------------------------------------------------- VAT codes


def _vat_code_check(vat_code: VatCode, errors: Errors, *, was_used: bool, before: dict[str, Any]) -> None:
    """Cross-field rules of a VAT code (its fields are already set and normalised)."""
    if not vat_code.code:
        add_error(errors, "code", _("This field is required."), "required")
    elif not _CODE.match(vat_code.code):
        add_error(errors, "code", _("Use letters, digits, dot, dash or slash, no spaces."), "code_format")
    elif (
        VatCode.objects.filter(legal_entity_id=vat_code.legal_entity_id, code=vat_code.code)
        .exclude(pk=vat_code.pk)
        .exists()
    ):
        add_error(
            errors, "code", _("VAT code %(code)s already exists.") % {"code": vat_code.code}, "code_taken"
        )
    if vat_code.category not in VatCategory.values:
        add_error(
            errors,
            "category",
            _("Unknown category; use one of %(choices)s.") % {"choices": ", ".join(VatCategory.values)},
            "invalid_choice",
        )
    check_income_account(related(vat_code, "revenue_account"), "revenue_account", errors)
    rate = vat_code.rate
    if "rate" not in errors and rate is not None:
        if vat_code.category == VatCategory.STANDARD and rate <= 0:
            add_error(errors, "rate", _("The standard category needs a rate above 0 %."), "rate_required")
        elif (
            vat_code.category in VatCategory.values
            and vat_code.category != VatCategory.STANDARD
            and rate != 0
        ):
            add_error(
                errors,
                "rate",
                _("Only the standard category (S) charges VAT; this category's rate is 0 %."),
                "rate_must_be_zero",
            )
    if "rate" not in errors and rate is not None and "vat_account" not in errors:
        account = vat_code.vat_account
        if rate > 0 and account is None:
            add_error(errors, "vat_account", _("A rate above 0 % needs an output VAT account."), "required")
        elif rate > 0 and account is not None and account.control != ControlKind.VAT:
            add_error(
                errors,
                "vat_account",
                _("Account %(number)s is not a VAT control account; choose one such as 2611.")
                % {"number": account.number},
                "not_vat_account",
            )
        elif rate > 0 and account is not None and not account.active:
            add_error(
                errors,
                "vat_account",
                _("Account %(number)s is inactive.") % {"number": account.number},
                "inactive_account",
            )
        elif rate == 0 and account is not None:
            add_error(
                errors,
                "vat_account",
                # xgettext:no-python-format
                _("A rate of 0 % charges no VAT; leave the VAT account empty."),
                "vat_account_not_allowed",
            )
    if vat_code.category in EXEMPTION_CATEGORIES and not vat_code.exemption_reason:
        add_error(
            errors,
            "exemption_reason",
            _("Exempt, reverse-charge and export codes need the reason printed on the invoice."),
            "required",
        )
    if was_used:
        for field in ("rate", "category"):
            if str(getattr(vat_code, field)) != str(before.get(field)) and field not in errors:
                add_error(
                    errors,
                    field,
                    _(
                        "This VAT code is on issued invoices, so its %(field)s cannot change; create a new code."
                    )
                    % {"field": VatCode._meta.get_field(field).verbose_name},
                    "vat_code_in_use",
                )
    if vat_code.pk and not vat_code.active and before.get("active") is True:
        in_use = Product.objects.filter(vat_code=vat_code, active=True).count()
        if in_use:
            add_error(
                errors,
                "active",
                _("%(n)s active products use this VAT code; give them another code or deactivate them first.")
                % {"n": in_use},
                "vat_code_in_use",
            )


def _vat_code_set(vat_code: VatCode, fields: dict[str, Any], errors: Errors) -> None:
    refs = Refs(vat_code.legal_entity_id)
    for name, value in fields.items():
        if name == "code":
            vat_code.code = clean_code(value)
        elif name == "rate":
            vat_code.rate = decimal_value(value, "rate", errors, maximum=Decimal("100"))  # type: ignore[assignment]
        elif name in ("revenue_account", "vat_account"):
            setattr(vat_code, name, refs.account(value, name, errors))
        elif name == "category":
            vat_code.category = clean_code(value)
        elif name == "active":
            vat_code.active = bool(value)
        else:
            setattr(vat_code, name, clean_text(value))
    if not vat_code.name_en:
        vat_code.name_en = vat_code.name_sv
    if vat_code.revenue_account_id is None and "revenue_account" not in errors:
        add_error(errors, "revenue_account", _("This field is required."), "required")


@transaction.atomic
def vat_code_create(
    *,
    actor: Any,
    legal_entity: Any,
    code: str,
    name_sv: str,
    category: str,
    rate: Decimal | int | str,
    revenue_account: LedgerAccount | str,
    vat_account: LedgerAccount | str | None = None,
    name_en: str = "",
    exemption_reason: str = "",
    active: bool = True,
) -> VatCode:
    """Add a VAT code with the accounts it posts to. Needs ``billing.add_vatcode``.

    Accounts are instances or account numbers of the legal entity's chart. Raises
    ``ValidationError`` naming each wrong field (see the module invariants).
    """
    require_perm(actor, "billing.add_vatcode", system=True)
    le_id = le_id_of(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    vat_code = VatCode(legal_entity_id=le_id)
    errors: Errors = {}
    _vat_code_set(
        vat_code,
        {
            "code": code,
            "name_sv": name_sv,
            "name_en": name_en,
            "category": category,
            "rate": rate,
            "revenue_account": revenue_account,
            "vat_account": vat_account,
            "exemption_reason": exemption_reason,
            "active": active,
        },
        errors,
    )
    _vat_code_check(vat_code, errors, was_used=False, before={})
    full_clean_into(vat_code, errors, exclude=["legal_entity", "revenue_account", "vat_account"])
    raise_errors(errors, "invalid_vat_code")
    vat_code.save()
    audit_created(actor=actor, obj=vat_code, fields=VAT_CODE_FIELDS, action="billing.vat_code.created")
    return vat_code


def vat_code_is_used(vat_code: VatCode) -> bool:
    """Whether an issued invoice or credit note carries the code."""
    return (
        InvoiceLine.objects.filter(vat_code=vat_code).exclude(invoice__status="draft").exists()
        if vat_code.pk
        else False
    )


@transaction.atomic
def vat_code_update(*, actor: Any, vat_code: VatCode, **fields: Any) -> VatCode:
    """Change any of ``VAT_CODE_FIELDS``. Needs ``billing.change_vatcode``.

    A code on issued invoices keeps its rate and category (``vat_code_in_use``); a code used by
    active products stays active.
    """
    require_perm(actor, "billing.change_vatcode", system=True)
    require_legal_entity(actor, vat_code.legal_entity_id, system=True)
    unknown = set(fields) - set(VAT_CODE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown VAT code fields: {', '.join(sorted(unknown))}")
    before = snapshot_of(vat_code, VAT_CODE_FIELDS)
    errors: Errors = {}
    _vat_code_set(vat_code, fields, errors)
    changes = diff(before, snapshot_of(vat_code, VAT_CODE_FIELDS))
    if not changes and not errors:
        return vat_code
    was_used = ("rate" in changes or "category" in changes) and vat_code_is_used(vat_code)
    _vat_code_check(vat_code, errors, was_used=was_used, before=before)
    full_clean_into(vat_code, errors, exclude=["legal_entity", "revenue_account", "vat_account"])
    if errors:
        vat_code.refresh_from_db()
        raise_errors(errors, "invalid_vat_code")
    vat_code.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, action="billing.vat_code.updated", obj=vat_code, changes=changes)
    return vat_code


# ---------------------------------------------------------------------------- product groups


def _group_check(group: ProductGroup, errors: Errors) -> None:
    if not group.code:
        add_error(errors, "code", _("This field is required."), "required")
    elif not _CODE.match(group.code):
        add_error(errors, "code", _("Use letters, digits, dot, dash or slash, no spaces."), "code_format")
    elif (
        ProductGroup.objects.filter(legal_entity_id=group.legal_entity_id, code=group.code)
        .exclude(pk=group.pk)
        .exists()
    ):
        add_error(
            errors, "code", _("Product group %(code)s already exists.") % {"code": group.code}, "code_taken"
        )
    full_clean_into(group, errors, exclude=["legal_entity"])


@transaction.atomic
def product_group_create(
    *, actor: Any, legal_entity: Any, code: str, name: str, active: bool = True
) -> ProductGroup:
    """Add a product group (what price profiles give discounts on). Needs ``billing.add_productgroup``."""
    require_perm(actor, "billing.add_productgroup", system=True)
    le_id = le_id_of(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    group = ProductGroup(
        legal_entity_id=le_id, code=clean_code(code), name=clean_text(name), active=bool(active)
    )
    errors: Errors = {}
    _group_check(group, errors)
    raise_errors(errors, "invalid_product_group")
    group.save()
    audit_created(actor=actor, obj=group, fields=GROUP_FIELDS, action="billing.product_group.created")
    return group


@transaction.atomic
def product_group_update(*, actor: Any, group: ProductGroup, **fields: Any) -> ProductGroup:
    """Rename, recode or (de)activate a product group. Needs ``billing.change_productgroup``."""
    require_perm(actor, "billing.change_productgroup", system=True)
    require_legal_entity(actor, group.legal_entity_id, system=True)
    unknown = set(fields) - set(GROUP_FIELDS)
    if unknown:
        raise TypeError(f"Unknown product group fields: {', '.join(sorted(unknown))}")
    before = snapshot_of(group, GROUP_FIELDS)
    for name, value in fields.items():
        setattr(
            group,
            name,
            clean_code(value) if name == "code" else bool(value) if name == "active" else clean_text(value),
        )
    changes = diff(before, snapshot_of(group, GROUP_FIELDS))
    if not changes:
        return group
    errors: Errors = {}
    _group_check(group, errors)
    if errors:
        group.refresh_from_db()
        raise_errors(errors, "invalid_product_group")
    group.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, action="billing.product_group.updated", obj=group, changes=changes)
    return group


# ---------------------------------------------------------------------------------- products


def product_set(product: Product, fields: dict[str, Any], refs: Refs, errors: Errors) -> None:
    """Set ``fields`` on ``product``, normalised; problems go to ``errors`` by field."""
    for name, value in fields.items():
        if name == "code":
            product.code = clean_code(value)
        elif name == "unit_price_amount":
            product.unit_price_amount = decimal_value(value, name, errors)  # type: ignore[assignment]
        elif name == "vat_code":
            product.vat_code = refs.vat_code(value, name, errors)  # type: ignore[assignment]
        elif name == "group":
            product.group = refs.group(value, name, errors)
        elif name == "revenue_account":
            product.revenue_account = refs.account(value, name, errors)
        elif name == "unit":
            product.unit = clean_code(value)
        elif name == "kind":
            product.kind = clean_text(value).lower()
        elif name == "active":
            product.active = bool(value)
        elif name == "description":
            product.description = (value or "").strip()
        else:
            setattr(product, name, clean_text(value))


def product_check(product: Product, errors: Errors, *, changed: set[str], taken_codes: Any = None) -> None:
    """Rules of one product. ``taken_codes``: the legal entity's codes by product id (imports),
    else the database is asked."""
    if not product.code:
        add_error(errors, "code", _("This field is required."), "required")
    elif len(product.code) > 40:
        add_error(errors, "code", _("Use at most 40 characters."), "too_long")
    elif not _CODE.match(product.code):
        add_error(errors, "code", _("Use letters, digits, dot, dash or slash, no spaces."), "code_format")
    elif "code" in changed:
        if taken_codes is not None:
            taken = taken_codes.get(product.code) not in (None, product.pk)
        else:
            taken = (
                Product.objects.filter(legal_entity_id=product.legal_entity_id, code=product.code)
                .exclude(pk=product.pk)
                .exists()
            )
        if taken:
            add_error(
                errors,
                "code",
                _("Product code %(code)s already exists.") % {"code": product.code},
                "code_taken",
            )
    if not product.name:
        add_error(errors, "name", _("This field is required."), "required")
    if product.kind not in Product.Kind.values:
        add_error(
            errors,
            "kind",
            _("Unknown kind; use one of %(choices)s.") % {"choices": ", ".join(Product.Kind.values)},
            "invalid_choice",
        )
    if product.unit not in Unit.values:
        add_error(
            errors,
            "unit",
            _("Unknown unit; use one of %(choices)s.") % {"choices": ", ".join(Unit.values)},
            "invalid_choice",
        )
    vat_code = related(product, "vat_code")
    if vat_code is None and "vat_code" not in errors:
        add_error(errors, "vat_code", _("This field is required."), "required")
    elif vat_code is not None and product.active and not vat_code.active and changed & {"vat_code", "active"}:
        add_error(
            errors,
            "vat_code",
            _("VAT code %(code)s is inactive; choose an active one.") % {"code": vat_code.code},
            "inactive_vat_code",
        )
    group = related(product, "group")
    if group is not None and not group.active and "group" in changed:
        add_error(
            errors,
            "group",
            _("Product group %(code)s is inactive.") % {"code": group.code},
            "inactive_group",
        )
    if "revenue_account" in changed:
        check_income_account(product.revenue_account, "revenue_account", errors)


def product_full_clean(product: Product, errors: Errors) -> None:
    full_clean_into(
        product,
        errors,
        exclude=["legal_entity", "group", "vat_code", "revenue_account", "code", "kind", "unit"],
    )


@transaction.atomic
def product_create(
    *,
    actor: Any,
    legal_entity: Any,
    code: str,
    name: str,
    unit_price_amount: Decimal | int | str,
    vat_code: VatCode | str,
    description: str = "",
    kind: str = Product.Kind.SERVICE,
    group: ProductGroup | str | None = None,
    unit: str = Unit.PIECE,
    revenue_account: LedgerAccount | str | None = None,
    active: bool = True,
) -> Product:
    """Add a product or service to the catalogue. Needs ``billing.add_product``.

    ``vat_code`` and ``group`` are instances or codes, ``revenue_account`` an income account
    (instance or number) that overrides the VAT code's. Raises ``ValidationError`` naming each
    wrong field; ``TypeError`` for a float price.
    """
    require_perm(actor, "billing.add_product", system=True)
    le_id = le_id_of(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    product = Product(legal_entity_id=le_id)
    fields = {
        "code": code,
        "name": name,
        "description": description,
        "kind": kind,
        "group": group,
        "unit": unit,
        "unit_price_amount": unit_price_amount,
        "vat_code": vat_code,
        "revenue_account": revenue_account,
        "active": active,
    }
    errors: Errors = {}
    product_set(product, fields, Refs(le_id), errors)
    product_check(product, errors, changed=set(fields))
    product_full_clean(product, errors)
    raise_errors(errors, "invalid_product")
    product.save()
    audit_created(actor=actor, obj=product, fields=PRODUCT_FIELDS, action="billing.product.created")
    return product


@transaction.atomic
def product_update(*, actor: Any, product: Product, **fields: Any) -> Product:
    """Change any of ``PRODUCT_FIELDS``; only the fields given change. Needs ``billing.change_product``.

    Invoices copy a product's text, price, VAT code and account onto their lines, so a change
    affects new lines only.
    """
    require_perm(actor, "billing.change_product", system=True)
    require_legal_entity(actor, product.legal_entity_id, system=True)
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown product fields: {', '.join(sorted(unknown))}")
    before = snapshot_of(product, PRODUCT_FIELDS)
    errors: Errors = {}
    product_set(product, fields, Refs(product.legal_entity_id), errors)
    changes = diff(before, snapshot_of(product, PRODUCT_FIELDS))
    if not changes and not errors:
        return product
    product_check(product, errors, changed=set(changes))
    product_full_clean(product, errors)
    if errors:
        product.refresh_from_db()
        raise_errors(errors, "invalid_product")
    product.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, action="billing.product.updated", obj=product, changes=changes)
    return product


@transaction.atomic
def product_deactivate(*, actor: Any, product: Product) -> Product:
    """Take a product out of use: it stays on past invoices but is offered on no new ones.
    Needs ``billing.change_product``; an inactive product is left as it is."""
    require_perm(actor, "billing.change_product", system=True)
    require_legal_entity(actor, product.legal_entity_id, system=True)
    if not product.active:
        return product
    product.active = False
    product.save(update_fields=["active", "updated_at"])
    audit_record(
        actor=actor, action="billing.product.deactivated", obj=product, changes={"active": [True, False]}
    )
    return product
