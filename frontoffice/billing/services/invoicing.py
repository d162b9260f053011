"""Invoices: drafts and their lines, and issuing them (number, OCR reference, voucher).

Invariants protected here:

- only drafts change (``not_draft`` otherwise); every change to a draft's lines recomputes the
  draft's totals with ``billing.services.totals`` in the same transaction, so totals are never
  typed in and always match the lines;
- a draft is for a customer with an active billing profile in the draft's legal entity; this is
  checked again when it is issued;
- product lines take their price from the pricing app when it is installed
  (``frontoffice.pricing.selectors.line_price``), else the list price; a price or discount typed
  on the line is kept and marked ``manual``, and when it is below the customer's own price it
  needs the typing person's discount authority, else approval before the draft is issued
  (``services.discounts``); VAT code: the profile's override, else the
  product's; revenue account: the product's own when its own VAT code applies, else the VAT
  code's;
- issuing happens in ONE transaction: the (series, year) counter row is locked
  (``SELECT ... FOR UPDATE``; SQLite's IMMEDIATE transactions serialise writers) and bumped, the
  buyer is copied from the profile, totals, due date and OCR reference are set, and ONE voucher
  is posted through the ledger's service (receivables debit = total; revenue credit per revenue
  account; VAT credit per VAT account; whole-krona rounding to the rounding account). If the
  ledger rejects it, nothing is written: no number is used, and the violations are raised;
- a batch is all or nothing, numbered in the order given, posted with one ledger batch;
- with an idempotency key, issuing again returns the invoice issued the first time.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.billing.models import (
    BillingProfile,
    BillingSettings,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceSeries,
    Product,
    Unit,
    VatCode,
)
from frontoffice.billing.services.discounts import (
    authorised_by,
    discount_problem,
    effective_discount,
    invoice_discount_refresh,
)
from frontoffice.billing.services.ocr import invoice_payment_reference
from frontoffice.billing.services.totals import (
    ZERO,
    Totals,
    TotalsLine,
    invoice_totals,
    line_clean,
)
from frontoffice.core.audit import audit_record, diff, snapshot
from frontoffice.core.models import AuditEntry
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.finance.models import JournalEntry
from frontoffice.finance.services.posting import (
    EntryInput,
    LineInput,
    journal_entries_post_batch,
    journal_entry_post,
)

ADD_PERM = "billing.add_invoice"
CHANGE_PERM = "billing.change_invoice"
ISSUE_PERM = "billing.issue_invoice"
PRICE_LIST = "list"
PRICE_MANUAL = "manual"
MAX_TERMS_DAYS = 365
MAX_KEY_LENGTH = 100
DRAFT_FIELDS = [
    "party",
    "series",
    "issue_on",
    "delivery_on",
    "payment_terms_days",
    "buyer_reference",
    "seller_reference",
    "notes",
]
TOTAL_FIELDS = ["net_amount", "vat_amount", "rounding_amount", "total_amount"]
ISSUE_FIELDS = [
    "status",
    "year",
    "number",
    "issue_on",
    "due_on",
    "buyer_name",
    "buyer_organisation_number",
    "buyer_vat_number",
    "buyer_street",
    "buyer_postal_code",
    "buyer_city",
    "buyer_country",
    "buyer_email",
    "buyer_reference",
    "payment_reference",
    *TOTAL_FIELDS,
    "open_amount",
    "voucher",
    "idempotency_key",
    "issued_at",
    "issued_by",
    "updated_at",
]
_UNSET: Any = object()


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


# ---------------------------------------------------------------- look-ups


def _pricing_line_price() -> Callable[..., Any] | None:
    """``pricing.selectors.line_price``: the one call from billing into pricing, imported here
    so that pricing (which reads billing's products) is not imported while billing loads.
    Tests replace this seam to price lines at list price."""
    from frontoffice.pricing.selectors import line_price

    return line_price


def billing_settings_for(legal_entity: Any) -> BillingSettings:
    try:
        return BillingSettings.objects.select_related("receivables_account", "rounding_account").get(
            legal_entity_id=_pk(legal_entity)
        )
    except BillingSettings.DoesNotExist as exc:
        raise ValidationError(
            _("Billing is not set up for this legal entity yet."), code="billing_not_set_up"
        ) from exc


def _profile_for(legal_entity_id: int, party: Any) -> BillingProfile:
    profile = (
        BillingProfile.objects.select_related("default_vat_code__revenue_account", "party")
        .filter(legal_entity_id=legal_entity_id, party_id=_pk(party), active=True)
        .first()
    )
    if profile is None:
        raise ValidationError(
            {
                "party": ValidationError(
                    _("This customer has no active billing profile in this legal entity; set one up first."),
                    code="no_billing_profile",
                )
            }
        )
    return profile


def series_for(legal_entity_id: int, series: Any, *, credit: bool) -> InvoiceSeries:
    qs = InvoiceSeries.objects.filter(legal_entity_id=legal_entity_id, active=True, for_credit_notes=credit)
    if series in (None, ""):
        found = qs.order_by("code").first()
    elif isinstance(series, InvoiceSeries):
        found = qs.filter(pk=series.pk).first()
    else:
        found = qs.filter(code=str(series).strip()).first()
    if found is None:
        field = "series"
        message = (
            _("There is no active credit note series.") if credit else _("There is no active invoice series.")
        )
        raise ValidationError({field: ValidationError(message, code="no_series")})
    return found


def _vat_code(legal_entity_id: int, value: Any) -> VatCode | None:
    if isinstance(value, VatCode):
        return value if value.legal_entity_id == legal_entity_id else None
    return (
        VatCode.objects.select_related("revenue_account")
        .filter(legal_entity_id=legal_entity_id, code=str(value).strip())
        .first()
    )


def _product(legal_entity_id: int, value: Any) -> Product | None:
    qs = Product.objects.select_related("vat_code__revenue_account", "revenue_account").filter(
        legal_entity_id=legal_entity_id
    )
    return qs.filter(pk=_pk(value)).first() if str(_pk(value)).isdigit() else None


def _locked_draft(invoice: Any) -> Invoice:
    locked = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("profile__default_vat_code__revenue_account", "party", "legal_entity")
        .get(pk=_pk(invoice))
    )
    if locked.status != Invoice.Status.DRAFT:
        raise ValidationError(
            _("Only drafts can be changed. An issued invoice is corrected with a credit note."),
            code="not_draft",
        )
    return locked


def _check_actor(actor: Any, perm: str, legal_entity_id: int) -> None:
    require_perm(actor, perm)
    require_legal_entity(actor, legal_entity_id)


# ---------------------------------------------------------------- totals


def totals_line(line: InvoiceLine) -> TotalsLine:
    """A line as the totals see it: lines of one rate stay apart by VAT category and account."""
    return TotalsLine(
        net_amount=line.net_amount,
        vat_rate=line.vat_rate,
        vat_group=(line.vat_code.category, line.vat_code.vat_account_id),
    )


def lines_totals(lines: Iterable[InvoiceLine], *, round_to_whole_krona: bool) -> Totals:
    return invoice_totals([totals_line(line) for line in lines], round_to_whole_krona=round_to_whole_krona)


def _refresh_totals(invoice: Invoice) -> Totals:
    settings = billing_settings_for(invoice.legal_entity_id)
    totals = lines_totals(
        invoice.lines.select_related("vat_code"), round_to_whole_krona=settings.round_to_whole_krona
    )
    for name in TOTAL_FIELDS:
        setattr(invoice, name, getattr(totals, name))
    invoice.save(update_fields=[*TOTAL_FIELDS, "updated_at"])
    return totals


# ---------------------------------------------------------------- drafts


def _clean_draft_fields(invoice: Invoice, changes: dict[str, Any]) -> None:
    """Apply ``changes`` (dates may be ISO strings) and check them; errors name the field."""
    errors: dict[str, list[ValidationError]] = {}
    for name, value in changes.items():
        if name in ("issue_on", "delivery_on"):
            try:
                value = Invoice._meta.get_field(name).to_python(value or None)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.error_list)
                continue
        elif name == "payment_terms_days":
            try:
                value = int(value)
            except (TypeError, ValueError):
                value = -1
            if not 0 <= value <= MAX_TERMS_DAYS:
                errors.setdefault(name, []).append(
                    ValidationError(
                        _("Payment terms are between 0 and %(max)s days."),
                        code="invalid_terms",
                        params={"max": MAX_TERMS_DAYS},
                    )
                )
                continue
        elif name in ("buyer_reference", "seller_reference", "notes"):
            value = (value or "").strip()
            max_length = Invoice._meta.get_field(name).max_length
            if max_length and len(value) > max_length:
                errors.setdefault(name, []).append(
                    ValidationError(
                        _("At most %(max)s characters."), code="too_long", params={"max": max_length}
                    )
                )
                continue
        setattr(invoice, name, value)
    if errors:
        raise ValidationError(errors)


def _apply_profile(invoice: Invoice, profile: BillingProfile) -> None:
    invoice.profile = profile
    invoice.party_id = profile.party_id
    invoice.currency = profile.currency
    invoice.language = profile.language
    invoice.buyer_name = profile.legal_name


@transaction.atomic
def invoice_draft_create(
    *,
    actor: Any,
    legal_entity: Any,
    party: Any,
    series: Any = None,
    issue_on: Any = None,
    delivery_on: Any = None,
    buyer_reference: str = "",
    seller_reference: str = "",
    notes: str = "",
    source_type: str = "",
    source_id: str = "",
    lines: Sequence[dict[str, Any]] = (),
) -> Invoice:
    """A new draft invoice for ``party``, who must have an active billing profile in
    ``legal_entity``; payment terms, currency and language come from the profile. ``lines``
    (keyword arguments of ``invoice_line_add``) are added in the same transaction; their
    errors are named ``lines.<index>.<field>``, and then nothing is written.

    Needs ``billing.add_invoice`` in the legal entity (and ``billing.change_invoice`` for
    lines). No number until it is issued.
    """
    le_id = _pk(legal_entity)
    _check_actor(actor, ADD_PERM, le_id)
    profile = _profile_for(le_id, party)
    invoice = Invoice(
        legal_entity_id=le_id,
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.DRAFT,
        series=series_for(le_id, series, credit=False),
        payment_terms_days=profile.payment_terms_days,
        source_type=source_type,
        source_id=str(source_id or ""),
        created_by=actor,
    )
    _apply_profile(invoice, profile)
    _clean_draft_fields(
        invoice,
        {
            "issue_on": issue_on,
            "delivery_on": delivery_on,
            "buyer_reference": buyer_reference,
            "seller_reference": seller_reference,
            "notes": notes,
        },
    )
    invoice.save()
    audit_record(
        actor=actor,
        action="billing.invoice.draft_created",
        obj=invoice,
        changes={"party": [None, str(profile.party)], "series": [None, invoice.series.code]},
    )
    errors: dict[str, list[ValidationError]] = {}
    for index, fields in enumerate(lines):
        try:
            invoice_line_add(actor=actor, invoice=invoice, **fields)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            for field, field_errors in exc.error_dict.items():
                name = f"lines.{index}" if field == NON_FIELD_ERRORS else f"lines.{index}.{field}"
                errors.setdefault(name, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)
    if lines:
        invoice.refresh_from_db()
    return invoice


@transaction.atomic
def invoice_draft_update(*, actor: Any, invoice: Invoice, **changes: Any) -> Invoice:
    """Change a draft's customer, series, dates, payment terms, references or notes.

    A new customer brings their profile's terms, currency, language and VAT override; product
    lines are re-derived for them (price unless typed by hand, VAT code, revenue account).
    Needs ``billing.change_invoice``.
    """
    _check_actor(actor, CHANGE_PERM, invoice.legal_entity_id)
    unknown = set(changes) - set(DRAFT_FIELDS)
    if unknown:
        raise TypeError(f"invoice_draft_update() got unexpected fields: {sorted(unknown)}")
    draft = _locked_draft(invoice)
    before = snapshot(draft, DRAFT_FIELDS)
    party = changes.pop("party", None)
    party_changed = party is not None and _pk(party) != draft.party_id
    if party_changed:
        profile = _profile_for(draft.legal_entity_id, party)
        _apply_profile(draft, profile)
        changes.setdefault("payment_terms_days", profile.payment_terms_days)
    if "series" in changes:
        draft.series = series_for(draft.legal_entity_id, changes.pop("series"), credit=False)
    _clean_draft_fields(draft, changes)
    draft.save()
    if party_changed:
        for line in draft.lines.select_related(
            "product__vat_code__revenue_account", "product__revenue_account", "discount_authorised_by"
        ):
            if line.product_id is not None:
                _derive_product_line(draft, line, line.product, reprice=line.price_source != PRICE_MANUAL)
                if line.price_source == PRICE_MANUAL:
                    # The new customer's own price decides what the typed price gives away.
                    values = {
                        "price_source": line.price_source,
                        "product": line.product,
                        "quantity": line.quantity,
                        "unit_price_amount": line.unit_price_amount,
                        "discount_percent": line.discount_percent,
                    }
                    fields = _discount_fields(draft, values, actor=actor, line=line)
                    line.manual_discount_percent = fields["manual_discount_percent"]
                    line.discount_authorised_by = fields["discount_authorised_by"]
                line.save()
        _refresh_totals(draft)
        invoice_discount_refresh(actor=actor, invoice=draft)
    changed = diff(before, snapshot(draft, DRAFT_FIELDS))
    if changed:
        audit_record(actor=actor, action="billing.invoice.draft_updated", obj=draft, changes=changed)
    return draft


# ---------------------------------------------------------------- lines


def _product_price(invoice: Invoice, product: Product, quantity: Decimal) -> tuple[Any, Any, str]:
    line_price = _pricing_line_price()
    if line_price is not None:
        quote = line_price(
            legal_entity=invoice.legal_entity,
            party=invoice.party,
            product=product,
            quantity=quantity,
            on=invoice.issue_on or timezone.localdate(),
        )
        if quote is not None:
            return quote.unit_price_amount, quote.discount_percent, str(quote.source or "")[:100]
    return product.unit_price_amount, Decimal("0.00"), PRICE_LIST


def _product_vat(invoice: Invoice, product: Product) -> VatCode:
    override = invoice.profile.default_vat_code
    return override if override is not None else product.vat_code


def _revenue_account(vat_code: VatCode, product: Product | None) -> Any:
    if product is not None and product.revenue_account_id and vat_code.pk == product.vat_code_id:
        return product.revenue_account
    return vat_code.revenue_account


def _derive_product_line(invoice: Invoice, line: InvoiceLine, product: Product, *, reprice: bool) -> None:
    """Re-derive a product line for its invoice's customer: price (when ``reprice``), VAT
    code and revenue account; then its net amount."""
    if reprice:
        price, discount, source = _product_price(invoice, product, line.quantity)
        clean = line_clean(quantity=line.quantity, unit_price=price, discount_percent=discount)
        line.unit_price_amount, line.discount_percent, line.price_source = (
            clean.unit_price,
            clean.discount_percent,
            source,
        )
    vat_code = _product_vat(invoice, product)
    line.vat_code, line.vat_rate = vat_code, vat_code.rate
    line.revenue_account = _revenue_account(vat_code, product)
    line.net_amount = line_clean(
        quantity=line.quantity, unit_price=line.unit_price_amount, discount_percent=line.discount_percent
    ).net_amount


def _discount_fields(
    invoice: Invoice,
    values: dict[str, Any],
    *,
    actor: Any,
    line: InvoiceLine | None = None,
    approver: Any = None,
) -> dict[str, Any]:
    """A manual line's discount against the list price beyond the customer's own price, and
    who authorised it (``services.discounts``); nothing for lines priced by list or profile."""
    if values["price_source"] != PRICE_MANUAL:
        return {"manual_discount_percent": ZERO, "discount_authorised_by": None}
    product = values["product"]
    if product is None:
        percent = effective_discount(
            unit_price=values["unit_price_amount"],
            discount_percent=values["discount_percent"],
            list_price=None,
            customer_price=None,
        )
    else:
        price, discount, _source = _product_price(invoice, product, values["quantity"])
        percent = effective_discount(
            unit_price=values["unit_price_amount"],
            discount_percent=values["discount_percent"],
            list_price=product.unit_price_amount,
            customer_price=(Decimal(price), Decimal(discount)),
        )
    return {
        "manual_discount_percent": percent,
        "discount_authorised_by": authorised_by(
            actor=actor,
            legal_entity_id=invoice.legal_entity_id,
            percent=percent,
            line=line,
            approver=approver,
        ),
    }


def _merge(errors: dict[str, list[ValidationError]], exc: ValidationError) -> None:
    for field, field_errors in exc.error_dict.items():
        errors.setdefault(field, []).extend(field_errors)


UNSET: Any = _UNSET  # "keep the line's value" for line changes (quotes share it)


@dataclass
class DocumentLineInput:
    """A document line's input after the checks every priced document shares (invoices,
    quotes): the product, description, quantity, typed price and discount, VAT code and unit,
    with every bad field collected in ``errors`` (nothing raised yet: pricing may add more)."""

    product: Product | None
    description: str
    quantity: Any
    manual: bool
    price: Any
    discount: Any
    vat_check: dict[str, Any]
    unit: str
    errors: dict[str, list[ValidationError]]

    def error(self, field: str, message: str, code: str) -> None:
        self.errors.setdefault(field, []).append(ValidationError(message, code=code))

    @property
    def vat_code(self) -> VatCode | None:
        return self.vat_check.get("vat_code")


def line_input(
    *,
    legal_entity_id: int,
    line: Any,
    product: Any,
    description: Any,
    quantity: Any,
    unit_price: Any,
    discount_percent: Any,
    vat_code: Any,
    unit: Any,
    product_vat: Callable[[Product], VatCode],
    missing_description: str,
) -> DocumentLineInput:
    """The checks of a new or changed line (``line`` None: new; ``UNSET``: keep the line's
    value) shared by invoices and quotes; ``product_vat`` gives a product's VAT code for the
    customer, ``missing_description`` the message when a free-text line has none."""
    le_id = legal_entity_id
    values = DocumentLineInput(None, "", None, False, None, None, {}, "", {})
    error = values.error

    if line is None:
        product_obj = None
        if product not in (None, "", _UNSET):
            product_obj = _product(le_id, product)
            if product_obj is None:
                error("product", _("There is no such product."), "unknown_product")
            elif not product_obj.active:
                error("product", _("This product is no longer sold."), "inactive_product")
    else:
        product_obj = line.product
    is_product = product_obj is not None or (line is None and product not in (None, "", _UNSET))

    if description is _UNSET:
        description = line.description if line is not None else ""
    description = " ".join(str(description or "").split())
    if not description and product_obj is not None:
        description = product_obj.name
    if not description and not is_product:
        error("description", missing_description, "required")
    elif len(description) > 300:
        error("description", _("At most 300 characters."), "too_long")

    if quantity is _UNSET:
        quantity = line.quantity if line is not None else "1"
    manual = line is not None and line.price_source == PRICE_MANUAL
    typed_price = unit_price is not _UNSET and unit_price not in (None, "")
    typed_discount = discount_percent is not _UNSET and discount_percent not in (None, "")
    if typed_price or typed_discount:
        manual = True
    price = unit_price if typed_price else (line.unit_price_amount if line is not None else None)
    discount = discount_percent if typed_discount else (line.discount_percent if line is not None else "0")
    if not is_product and price is None:
        error("unit_price", _("Enter a unit price."), "required")
        price = "0"

    # What line_clean checks about the VAT code: the one asked for, else the line's or product's.
    vat_check: dict[str, Any] = {}
    if vat_code not in (None, "", _UNSET):
        vat_check = {
            "vat_code": _vat_code(le_id, vat_code),
            "vat_code_text": str(getattr(vat_code, "code", vat_code)),
        }
    elif line is not None:
        vat_check = {"vat_code": line.vat_code}
    elif product_obj is not None:
        vat_check = {"vat_code": product_vat(product_obj)}
    elif not is_product:
        error("vat_code", _("Choose a VAT code."), "required")

    if unit is _UNSET or unit in (None, ""):
        unit = (
            line.unit if line is not None else (product_obj.unit if product_obj is not None else Unit.PIECE)
        )
    if unit not in Unit.values:
        error("unit", _("Choose a unit from the list."), "invalid_unit")

    values.product, values.description, values.quantity = product_obj, description, quantity
    values.manual, values.price, values.discount = manual, price, discount
    values.vat_check, values.unit = vat_check, unit
    return values


def line_finish(values: DocumentLineInput, *, price: Any, discount: Any) -> Any:
    """``line_clean`` on the checked input with the price decided; raises every error at once
    (the checks' first, then the arithmetic's for fields not already reported)."""
    errors = values.errors
    clean = None
    try:
        clean = line_clean(
            quantity=values.quantity,
            unit_price="0" if price is None else price,
            discount_percent=discount,
            **values.vat_check,
        )
    except ValidationError as exc:
        for field, field_errors in exc.error_dict.items():
            if field not in errors:  # the quantity may have been checked for pricing already
                errors[field] = field_errors
    if errors:
        raise ValidationError(errors)
    assert clean is not None and values.vat_code is not None
    return clean


def _line_values(
    invoice: Invoice,
    *,
    line: InvoiceLine | None,
    product: Any,
    description: Any,
    quantity: Any,
    unit_price: Any,
    discount_percent: Any,
    vat_code: Any,
    unit: Any,
) -> dict[str, Any]:
    """The checked values of a new or changed line (``_UNSET``: keep the line's value).
    Every bad field is reported at once."""
    values = line_input(
        legal_entity_id=invoice.legal_entity_id,
        line=line,
        product=product,
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=discount_percent,
        vat_code=vat_code,
        unit=unit,
        product_vat=lambda product_obj: _product_vat(invoice, product_obj),
        missing_description=_("Describe what is invoiced."),
    )
    errors = values.errors
    product_obj, quantity, manual = values.product, values.quantity, values.manual
    price, discount, vat_obj = values.price, values.discount, values.vat_code
    source = PRICE_MANUAL
    if product_obj is not None and (not manual or price is None):
        try:
            qty = line_clean(quantity=quantity, unit_price="0").quantity
        except ValidationError as exc:
            _merge(errors, exc)
        else:
            if manual:
                # Only a discount was typed on a new product line: it applies to the
                # customer's unit price (the list price, or a profile's fixed price).
                price = _product_price(invoice, product_obj, qty)[0]
            else:
                price, discount, source = _product_price(invoice, product_obj, qty)
    clean = line_finish(values, price=price, discount=discount)
    price_source = source if product_obj is not None and not manual else PRICE_MANUAL
    return {
        "product": product_obj,
        "description": values.description,
        "quantity": clean.quantity,
        "unit": values.unit,
        "unit_price_amount": clean.unit_price,
        "discount_percent": clean.discount_percent,
        "vat_code": vat_obj,
        "vat_rate": vat_obj.rate,
        "revenue_account": _revenue_account(vat_obj, product_obj),
        "net_amount": clean.net_amount,
        "price_source": price_source,
    }


@transaction.atomic
def invoice_line_add(
    *,
    actor: Any,
    invoice: Invoice,
    product: Any = None,
    description: str = "",
    quantity: Any = "1",
    unit_price: Any = None,
    discount_percent: Any = None,
    vat_code: Any = None,
    unit: str | None = None,
    discount_authorised_by: Any = None,
) -> InvoiceLine:
    """Add a line to a draft and recompute its totals.

    A product line takes the product's name, unit, price (pricing app or list price), VAT code
    (or the profile's override) and revenue account; a price or discount given here is kept as
    ``manual``. A free-text line needs a description, unit price and VAT code. Errors name
    each bad field (quantity > 0, price >= 0, discount 0-100 %, known active VAT code).
    Needs ``billing.change_invoice``.

    A typed price below the customer's own price needs the actor's discount authority, else
    approval before issuing (``services.discounts``). ``discount_authorised_by`` (services
    only, never user input): the person whose approval of the source document covers the
    typed prices, e.g. the approver of the quote the line comes from; their authority is
    checked too.
    """
    _check_actor(actor, CHANGE_PERM, invoice.legal_entity_id)
    draft = _locked_draft(invoice)
    values = _line_values(
        draft,
        line=None,
        product=product,
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=discount_percent,
        vat_code=vat_code,
        unit=unit,
    )
    values.update(_discount_fields(draft, values, actor=actor, approver=discount_authorised_by))
    last = draft.lines.aggregate(last=models.Max("line_no"))["last"] or 0
    line = InvoiceLine.objects.create(invoice=draft, line_no=last + 1, **values)
    _refresh_totals(draft)
    invoice_discount_refresh(actor=actor, invoice=draft)
    audit_record(
        actor=actor,
        action="billing.invoice.line_added",
        obj=draft,
        changes={f"line {line.line_no}": [None, f"{line.quantity} x {line.description}"]},
    )
    return line


LINE_FIELDS = ("description", "quantity", "unit_price", "discount_percent", "vat_code", "unit")


@transaction.atomic
def invoice_line_update(*, actor: Any, line: InvoiceLine, **changes: Any) -> InvoiceLine:
    """Change a draft's line (``description``, ``quantity``, ``unit_price``,
    ``discount_percent``, ``vat_code``, ``unit``) and recompute the totals. A product line
    priced by the list or the pricing app is repriced for a new quantity; a price or discount
    typed here makes it ``manual``. Needs ``billing.change_invoice``."""
    unknown = set(changes) - set(LINE_FIELDS)
    if unknown:
        raise TypeError(f"invoice_line_update() got unexpected fields: {sorted(unknown)}")
    legal_entity_id = Invoice.objects.values_list("legal_entity_id", flat=True).get(pk=line.invoice_id)
    _check_actor(actor, CHANGE_PERM, legal_entity_id)
    draft = _locked_draft(line.invoice_id)
    current = (
        InvoiceLine.objects.select_related(
            "product__vat_code__revenue_account", "product__revenue_account", "vat_code__revenue_account"
        )
        .filter(invoice=draft)
        .get(pk=line.pk)
    )
    before = f"{current.quantity} x {current.description} {current.unit_price_amount}"
    values = _line_values(
        draft,
        line=current,
        product=None,
        **{name: changes.get(name, _UNSET) for name in LINE_FIELDS},
    )
    values.update(_discount_fields(draft, values, actor=actor, line=current))
    for name, value in values.items():
        setattr(current, name, value)
    current.save()
    _refresh_totals(draft)
    invoice_discount_refresh(actor=actor, invoice=draft)
    after = f"{current.quantity} x {current.description} {current.unit_price_amount}"
    audit_record(
        actor=actor,
        action="billing.invoice.line_updated",
        obj=draft,
        changes={f"line {current.line_no}": [before, after]},
    )
    return current


@transaction.atomic
def invoice_line_remove(*, actor: Any, line: InvoiceLine) -> Invoice:
    """Remove a draft's line, renumber the lines after it and recompute the totals."""
    legal_entity_id = Invoice.objects.values_list("legal_entity_id", flat=True).get(pk=line.invoice_id)
    _check_actor(actor, CHANGE_PERM, legal_entity_id)
    draft = _locked_draft(line.invoice_id)
    current = InvoiceLine.objects.filter(invoice=draft).get(pk=line.pk)
    removed = f"{current.quantity} x {current.description}"
    current.delete()
    # One row at a time, in ascending order: the unique (invoice, line_no) constraint is
    # checked per row on PostgreSQL.
    for later in draft.lines.filter(line_no__gt=current.line_no).order_by("line_no"):
        InvoiceLine.objects.filter(pk=later.pk).update(line_no=F("line_no") - 1)
    _refresh_totals(draft)
    invoice_discount_refresh(actor=actor, invoice=draft)
    audit_record(
        actor=actor,
        action="billing.invoice.line_removed",
        obj=draft,
        changes={f"line {current.line_no}": [removed, None]},
    )
    return draft


def invoice_line_preview(
    *, invoice: Invoice, line: InvoiceLine | None = None, **fields: Any
) -> tuple[dict[str, Any], Totals]:
    """What adding (or, with ``line``, changing) a line would give, without writing: the
    line's checked values and the draft's totals with it. Raises ``ValidationError`` naming
    each bad field, like ``invoice_line_add``. For the editor's live totals."""
    unknown = set(fields) - {"product", *LINE_FIELDS}
    if unknown:
        raise TypeError(f"invoice_line_preview() got unexpected fields: {sorted(unknown)}")
    values = _line_values(
        invoice,
        line=line,
        product=fields.get("product") if line is None else None,
        **{name: fields.get(name, _UNSET) for name in LINE_FIELDS},
    )
    preview = InvoiceLine(invoice=invoice, line_no=line.line_no if line else 0, **values)
    lines = [
        preview if line is not None and other.pk == line.pk else other
        for other in invoice.lines.select_related("vat_code")
    ]
    if line is None:
        lines.append(preview)
    settings = billing_settings_for(invoice.legal_entity_id)
    return values, lines_totals(lines, round_to_whole_krona=settings.round_to_whole_krona)


# ---------------------------------------------------------------- issuing


def clean_idempotency_key(key: str | None) -> str | None:
    key = (key or "").strip() or None
    if key is not None and len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            _("The idempotency key has at most %(max)s characters."),
            code="invalid_idempotency_key",
            params={"max": MAX_KEY_LENGTH},
        )
    return key


def take_numbers(series_id: int, year: int, count: int) -> int:
    """Reserve ``count`` consecutive numbers of (series, year); return the first. The counter
    row stays locked until the caller's transaction ends, so numbers are gapless: a rollback
    returns them."""
    qs = InvoiceCounter.objects.select_for_update(no_key=True).filter(series_id=series_id, year=year)
    counter = qs.first()
    if counter is None:
        try:
            with transaction.atomic():
                InvoiceCounter.objects.create(series_id=series_id, year=year)
        except IntegrityError:
            pass  # created by a concurrent issuer
        counter = qs.get()
    InvoiceCounter.objects.filter(pk=counter.pk).update(next_number=F("next_number") + count)
    return counter.next_number


class _Issuing:
    """One invoice being issued: the locked row, its lines, its totals and its voucher."""

    def __init__(self, invoice: Invoice, lines: list[Any], profile: BillingProfile | None):
        self.invoice = invoice
        self.lines = lines
        self.profile = profile
        self.totals: Totals | None = None
        self.issue_on: datetime.date | None = None


def _problem(item: _Issuing, settings: BillingSettings, currency: str) -> ValidationError | None:
    """Why ``item`` cannot be issued, or None."""
    invoice = item.invoice
    if invoice.status != Invoice.Status.DRAFT:
        return ValidationError(
            _("%(invoice)s has already been issued.") % {"invoice": invoice}, code="not_draft"
        )
    if item.profile is None or not item.profile.active:
        return ValidationError(
            _("The customer has no active billing profile any more; it cannot be invoiced."),
            code="no_billing_profile",
        )
    if invoice.currency != currency:
        return ValidationError(
            _("Invoices are issued in %(currency)s, the legal entity's currency.") % {"currency": currency},
            code="currency_not_supported",
        )
    if not item.lines:
        return ValidationError(_("Add at least one line before issuing the invoice."), code="no_lines")
    discount = discount_problem(invoice)
    if discount is not None:
        return discount
    problems = []
    for line in item.lines:
        if not line.vat_code.active:
            problems.append(
                _("Line %(n)s: the VAT code %(code)s is no longer in use.")
                % {"n": line.line_no, "code": line.vat_code.code}
            )
        elif line.vat_rate > 0 and line.vat_code.vat_account_id is None:
            problems.append(
                _("Line %(n)s: the VAT code %(code)s has no output VAT account.")
                % {"n": line.line_no, "code": line.vat_code.code}
            )
    if problems:
        return ValidationError(" ".join(problems), code="invalid_lines")
    totals = lines_totals(item.lines, round_to_whole_krona=settings.round_to_whole_krona)
    if totals.total_amount <= ZERO:
        return ValidationError(
            _("The invoice total is zero: there is nothing to invoice."), code="zero_total"
        )
    if totals.rounding_amount and settings.rounding_account_id is None:
        return ValidationError(
            _("Set a rounding account in the billing settings to round totals to whole kronor."),
            code="no_rounding_account",
        )
    item.totals = totals
    return None


def document_entry(
    *,
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    totals: Totals,
    settings: BillingSettings,
    vat_accounts: dict[int, str],
    text: str,
    reverse: bool = False,
) -> EntryInput:
    """The voucher of an invoice (or, ``reverse``, of a credit note): receivables against
    revenue per revenue account, VAT per VAT account and the rounding; zero amounts left out."""
    debit, credit = ("credit", "debit") if reverse else ("debit", "credit")
    revenue: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        revenue[line.revenue_account.number] += line.net_amount
    vat: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in totals.vat:
        if row.vat_amount:
            _category, account_id = row.group  # type: ignore[misc]
            vat[vat_accounts[account_id]] += row.vat_amount
    first = [LineInput(account=settings.receivables_account.number, **{debit: totals.total_amount})]
    last = []
    if totals.rounding_amount < 0:
        first.append(LineInput(account=settings.rounding_account.number, **{debit: -totals.rounding_amount}))
    elif totals.rounding_amount > 0:
        last.append(LineInput(account=settings.rounding_account.number, **{credit: totals.rounding_amount}))
    middle = [
        LineInput(account=number, **{credit: amount}) for number, amount in sorted(revenue.items()) if amount
    ]
    middle += [
        LineInput(account=number, **{credit: amount}) for number, amount in sorted(vat.items()) if amount
    ]
    return EntryInput(
        series=settings.invoice_voucher_series,
        date=invoice.issue_on,
        text=text[:200],
        lines=[*first, *middle, *last],
        source=invoice,
        idempotency_key=f"billing.invoice.{invoice.pk}",
    )


def _snapshot_buyer(invoice: Invoice, profile: BillingProfile) -> None:
    invoice.buyer_name = profile.legal_name
    invoice.buyer_organisation_number = profile.organisation_number
    invoice.buyer_vat_number = profile.vat_number
    invoice.buyer_street = profile.street
    invoice.buyer_postal_code = profile.postal_code
    invoice.buyer_city = profile.city
    invoice.buyer_country = profile.country
    invoice.buyer_email = profile.billing_email
    invoice.buyer_reference = invoice.buyer_reference or profile.buyer_reference


class _IssueLine(NamedTuple):
    """A draft line as issuing reads it (what ``totals_line`` and ``document_entry`` use),
    built from a row tuple and cached VAT codes and accounts instead of model instances."""

    line_no: int
    net_amount: Decimal
    vat_rate: Decimal
    vat_code: VatCode
    revenue_account: Any


_CHUNK = 5000  # ids per IN (...) list: SQLite allows at most 32,766 parameters per statement


def _load_issuing(legal_entity_id: int, ids: Sequence[int]) -> list[_Issuing]:
    """Lock the invoices (in id order, so concurrent issuers cannot deadlock) and load their
    lines and profiles: a few queries per 5,000 invoices, lines as plain tuples."""
    from frontoffice.finance.models import LedgerAccount

    invoices: dict[int, Invoice] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        for invoice in (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("series")
            .filter(pk__in=ordered[start : start + _CHUNK], legal_entity_id=legal_entity_id)
            .order_by("pk")
        ):
            invoices[invoice.pk] = invoice
    missing = [pk for pk in ids if pk not in invoices]
    if missing:
        raise Invoice.DoesNotExist(f"No invoices {missing} in legal entity {legal_entity_id}.")
    vat_codes = VatCode.objects.filter(legal_entity_id=legal_entity_id).in_bulk()  # a handful
    accounts = {
        a.pk: a for a in LedgerAccount.objects.filter(legal_entity_id=legal_entity_id).only("id", "number")
    }
    lines: dict[int, list[_IssueLine]] = defaultdict(list)
    columns = ("invoice_id", "line_no", "net_amount", "vat_rate", "vat_code_id", "revenue_account_id")
    for start in range(0, len(ordered), _CHUNK):
        rows = (
            InvoiceLine.objects.filter(invoice_id__in=ordered[start : start + _CHUNK])
            .order_by("invoice_id", "line_no")
            .values_list(*columns)
        )
        for invoice_id, line_no, net, rate, vat_code_id, account_id in rows:
            lines[invoice_id].append(
                _IssueLine(line_no, net, rate, vat_codes[vat_code_id], accounts[account_id])
            )
    profiles = BillingProfile.objects.in_bulk({inv.profile_id for inv in invoices.values()})
    return [_Issuing(invoices[pk], lines[pk], profiles.get(invoices[pk].profile_id)) for pk in ids]


def _issue(
    *,
    actor: Any,
    legal_entity_id: int,
    ids: Sequence[int],
    keys: dict[int, str | None],
    issue_on: datetime.date | None,
    batch: bool,
) -> list[Invoice]:
    """Issue the drafts ``ids`` (caller holds the transaction). Raises before writing
    anything if any cannot be issued."""
    from frontoffice.org.models import LegalEntity

    settings = billing_settings_for(legal_entity_id)
    currency = LegalEntity.objects.values_list("base_currency", flat=True).get(pk=legal_entity_id)
    items = _load_issuing(legal_entity_id, ids)
    if not batch:
        invoice = items[0].invoice
        key = keys.get(invoice.pk)
        if key and invoice.status != Invoice.Status.DRAFT and invoice.idempotency_key == key:
            return [invoice]  # a concurrent call with the same key issued it first
    today = timezone.localdate()
    problems: dict[int, ValidationError] = {}
    for item in items:
        problem = _problem(item, settings, currency)
        if problem is not None:
            problems[item.invoice.pk] = problem
        item.issue_on = item.invoice.issue_on or issue_on or today
    if problems:
        if not batch:
            raise next(iter(problems.values()))
        raise ValidationError(
            {f"invoices.{pk}": [problem] for pk, problem in problems.items()}, code="cannot_issue"
        )

    # Numbers: one locked counter per (series, year), taken in a fixed order.
    groups: dict[tuple[int, int], list[_Issuing]] = defaultdict(list)
    for item in items:
        assert item.issue_on is not None
        groups[(item.invoice.series_id, item.issue_on.year)].append(item)
    for (series_id, year), members in sorted(groups.items()):
        first = take_numbers(series_id, year, len(members))
        for offset, item in enumerate(members):
            invoice = item.invoice
            invoice.year, invoice.number = year, first + offset

    vat_account_ids = {line.vat_code.vat_account_id for item in items for line in item.lines}
    vat_accounts = account_numbers(vat_account_ids)
    now = timezone.now()
    entries = []
    for item in items:
        invoice, totals = item.invoice, item.totals
        assert totals is not None and item.profile is not None
        invoice.issue_on = item.issue_on
        invoice.due_on = item.issue_on + datetime.timedelta(days=invoice.payment_terms_days)
        _snapshot_buyer(invoice, item.profile)
        for name in TOTAL_FIELDS:
            setattr(invoice, name, getattr(totals, name))
        invoice.open_amount = totals.total_amount
        invoice.payment_reference = invoice_payment_reference(
            series_id=invoice.series_id, year=invoice.year, number=invoice.number
        )
        invoice.status = Invoice.Status.ISSUED
        invoice.idempotency_key = keys.get(invoice.pk)
        invoice.issued_at = now
        invoice.issued_by = actor
        invoice.updated_at = now
        entries.append(
            document_entry(
                invoice=invoice,
                lines=item.lines,
                totals=totals,
                settings=settings,
                vat_accounts=vat_accounts,
                text=_("Invoice %(ref)s, %(buyer)s")
                % {"ref": invoice.reference, "buyer": invoice.buyer_name},
            )
        )

    if batch:
        try:
            vouchers = journal_entries_post_batch(actor=actor, legal_entity=legal_entity_id, entries=entries)
        except ValidationError as exc:
            raise _batch_posting_error(exc, items) from exc
    else:
        vouchers = [journal_entry_post(actor=actor, legal_entity=legal_entity_id, entry=entries[0])]
        if vouchers[0].status != JournalEntry.Status.POSTED:
            raise ValidationError(
                _("The invoice voucher series needs approval for postings; choose a system series."),
                code="voucher_not_posted",
            )
    for item, voucher in zip(items, vouchers, strict=True):
        item.invoice.voucher = voucher
    invoices = [item.invoice for item in items]
    if batch:
        _store_issued(invoices)
        _audit_issued_batch(actor, invoices)
    else:
        invoice = invoices[0]
        invoice.save(update_fields=ISSUE_FIELDS)
        audit_record(
            actor=actor,
            action="billing.invoice.issued",
            obj=invoice,
            changes=_issued_changes(invoice),
        )
    return invoices


def _bulk_cursor() -> Any:
    """On PostgreSQL a cursor that binds parameters on the server: Django's cursors bind on the
    client, quoting every element of the large arrays below into the SQL text (most of their
    cost). Wrapped like Django's own cursors, so errors translate and query logging counts."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(ServerBindingCursor(connection.connection))


def _store_issued(invoices: Sequence[Invoice]) -> None:
    """Write the issued invoices' fields in one statement per 5,000 on PostgreSQL (``UPDATE
    ... FROM unnest(arrays)``), one prepared statement run per row elsewhere. ``bulk_update``
    builds a CASE per field and row, which cost most of a 10,000-invoice batch."""
    fields = [Invoice._meta.get_field(name) for name in ISSUE_FIELDS]
    attnames = [field.attname for field in fields]
    quote = connection.ops.quote_name
    table = quote(Invoice._meta.db_table)
    with _bulk_cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg adapts Decimal, date, datetime, str, int and None itself.
            rows = [[invoice.pk, *[getattr(invoice, name) for name in attnames]] for invoice in invoices]
            sets = ", ".join(f"{quote(field.column)} = v.c{index}" for index, field in enumerate(fields))
            names = ", ".join(f"c{index}" for index in range(len(fields)))
            arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in [Invoice._meta.pk, *fields])
            for start in range(0, len(rows), _CHUNK):
                chunk = rows[start : start + _CHUNK]
                cursor.execute(
                    f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v(id, {names}) "  # noqa: S608 - names from model meta, values as parameters
                    "WHERE t.id = v.id",
                    [list(column) for column in zip(*chunk, strict=True)],
                )
        else:
            sets = ", ".join(f"{quote(field.column)} = %s" for field in fields)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608 - names from model meta, values as parameters
                [
                    [
                        *[
                            field.get_db_prep_save(getattr(invoice, field.attname), connection)
                            for field in fields
                        ],
                        invoice.pk,
                    ]
                    for invoice in invoices
                ],
            )


def account_numbers(ids: set[int | None]) -> dict[int, str]:
    from frontoffice.finance.models import LedgerAccount

    return dict(LedgerAccount.objects.filter(pk__in=[i for i in ids if i]).values_list("pk", "number"))


def _issued_changes(invoice: Invoice) -> dict[str, list[Any]]:
    return {
        "number": [None, invoice.reference],
        "voucher": [None, invoice.voucher.reference if invoice.voucher else None],
        "total_amount": [None, f"{invoice.total_amount:.2f}"],
    }


def _audit_issued_batch(actor: Any, invoices: Sequence[Invoice]) -> None:
    """The "billing.invoice.issued" entry ``audit_record`` would write, for every invoice of a
    batch: one INSERT per 5,000 on PostgreSQL, ``executemany`` elsewhere (``bulk_create`` of
    10,000 entries costs as much as the ledger's postings)."""
    content_type_id = ContentType.objects.get_for_model(Invoice).pk
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    rows = [
        (
            now,
            actor_id,
            "billing.invoice.issued",
            content_type_id,
            str(invoice.pk),
            str(invoice)[:255],
            json.dumps({**_issued_changes(invoice), "batch": [None, True]}),
        )
        for invoice in invoices
    ]
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    columns = "at, actor_id, action, content_type_id, object_id, object_repr, changes"
    with _bulk_cursor() as cursor:
        if connection.vendor == "postgresql":
            for start in range(0, len(rows), _CHUNK):
                chunk = rows[start : start + _CHUNK]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT at, actor_id, action, content_type_id, object_id, "  # noqa: S608 - names from model meta, values as parameters
                    "object_repr, changes::jsonb FROM unnest(%s::timestamptz[], %s::bigint[], %s::text[], "
                    "%s::integer[], %s::text[], %s::text[], %s::text[]) "
                    "AS v(at, actor_id, action, content_type_id, object_id, object_repr, changes)",
                    [list(column) for column in zip(*chunk, strict=True)],
                )
        else:
            at = connection.ops.adapt_datetimefield_value(now)
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608 - names from model meta, values as parameters
                [(at, *row[1:]) for row in rows],
            )


def _batch_posting_error(exc: ValidationError, items: Sequence[_Issuing]) -> ValidationError:
    """The ledger's ``entries.<index>`` errors as ``invoices.<id>``."""
    if not hasattr(exc, "error_dict"):
        return exc
    errors: dict[str, list[ValidationError]] = {}
    for key, field_errors in exc.error_dict.items():
        index = key.removeprefix("entries.")
        target = f"invoices.{items[int(index)].invoice.pk}" if index.isdigit() else NON_FIELD_ERRORS
        errors.setdefault(target, []).extend(field_errors)
    return ValidationError(errors, code="posting_rejected")


def invoice_issue(*, actor: Any, invoice: Invoice, idempotency_key: str | None = None) -> Invoice:
    """Issue a draft: number, buyer snapshot, totals, due date, OCR reference and ONE posted
    voucher, in one transaction (see the module docstring for the voucher's lines).

    Needs ``billing.issue_invoice`` (and the ledger's ``finance.post_journalentry``) in the
    invoice's legal entity. Raises ``PostingRejected`` with the ledger's violations (nothing
    is written), or ``ValidationError`` (``not_draft``, ``no_lines``, ``zero_total``,
    ``invalid_lines``, ``no_billing_profile``, ``discount_not_approved``,
    ``idempotency_key_reused``). With an
    ``idempotency_key``, a repeated call returns the invoice issued the first time.
    """
    require_perm(actor, ISSUE_PERM)
    require_legal_entity(actor, invoice.legal_entity_id)
    key = clean_idempotency_key(idempotency_key)
    if key is not None:
        existing = Invoice.objects.filter(
            legal_entity_id=invoice.legal_entity_id, idempotency_key=key
        ).first()
        if existing is not None:
            if existing.pk == invoice.pk:
                return existing
            raise ValidationError(
                _("This idempotency key was already used for another invoice."), code="idempotency_key_reused"
            )
    with transaction.atomic():
        (issued,) = _issue(
            actor=actor,
            legal_entity_id=invoice.legal_entity_id,
            ids=[invoice.pk],
            keys={invoice.pk: key},
            issue_on=None,
            batch=False,
        )
    return issued


def invoices_issue_batch(
    *, actor: Any, invoices: Iterable[Invoice], issue_on: datetime.date | None = None
) -> list[Invoice]:
    """Issue many drafts of one legal entity at once, all or nothing: numbered in the order
    given, posted with one ledger batch (``journal_entries_post_batch``). Drafts without an
    invoice date get ``issue_on`` (default today).

    Raises ``ValidationError`` keyed ``invoices.<id>`` for every draft that cannot be issued,
    or that the ledger rejects; nothing is written then. Needs ``billing.issue_invoice``.
    """
    require_perm(actor, ISSUE_PERM)
    invoices = list(invoices)
    if not invoices:
        return []
    entity_ids = {invoice.legal_entity_id for invoice in invoices}
    if len(entity_ids) != 1:
        raise ValidationError(_("A batch holds invoices of one legal entity."), code="mixed_legal_entities")
    (legal_entity_id,) = entity_ids
    require_legal_entity(actor, legal_entity_id)
    ids = [invoice.pk for invoice in invoices]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("The batch names an invoice twice."), code="duplicate_invoice")
    with transaction.atomic():
        return _issue(
            actor=actor, legal_entity_id=legal_entity_id, ids=ids, keys={}, issue_on=issue_on, batch=True
        )
