"""Quotes: drafts and their lines, discount approval, sending, the customer's answer, the invoice.

Invariants protected here:

- numbers are gapless per (legal entity, year): ``take_quote_number`` locks the counter row
  (``SELECT ... FOR UPDATE``; SQLite's IMMEDIATE transactions serialise writers) in the
  transaction that creates the quote; a rollback returns the number; quotes are never deleted;
- only drafts change (``not_draft``); every line change recomputes the totals with billing's
  arithmetic (``billing.services.invoicing.lines_totals``) in the same transaction;
- product lines are priced by the customer's approved, effective price profile
  (``pricing.selectors.line_price``) on the quote date; a price or discount typed on a line is
  kept (``manual``) and its discount measured against the profile price;
- the quote's largest manual discount above the sender's discount authority must be approved
  (``pricing.services.approvals``) before the quote is sent (``approval_required``); a line
  change raising the discount above what was approved, or while approval is pending, asks again;
- sent → accepted / declined by the customer through a live link, or expired after its last
  valid day (``quotes_expire``); each transition is audited; sending, accepting and declining
  are interactions on the customer;
- an accepted quote makes exactly one draft invoice (``quote_to_invoice``, locked, idempotent).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal, localcontext
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontoffice.billing.models import BillingProfile, Invoice, Product, VatCode
from frontoffice.billing.services.invoicing import (
    UNSET,
    billing_settings_for,
    line_finish,
    line_input,
    lines_totals,
)
from frontoffice.billing.services.totals import _EXACT, HUNDRED, ZERO, Totals, line_clean
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.core.tasks import email_enqueue
from frontoffice.org.models import Staff
from frontoffice.parties.models import Interaction, Party
from frontoffice.parties.services import interaction_record
from frontoffice.pricing.models import ApprovalRequest
from frontoffice.pricing.selectors import line_price, user_authority
from frontoffice.pricing.services import approvals
from frontoffice.quotes.links import quote_link_make, quote_link_revoke_all
from frontoffice.quotes.models import Quote, QuoteCounter, QuoteLine

VIEW_PERM = "quotes.view_quote"
ADD_PERM = "quotes.add_quote"
CHANGE_PERM = "quotes.change_quote"
SEND_PERM = "quotes.send_quote"
APPROVE_PERM = "quotes.approve_quote"
PRICE_MANUAL = "manual"
DEFAULT_VALID_DAYS = 30
MAX_VALID_DAYS = 366
EMAIL_LANGUAGES = ("sv", "en")
LINE_FIELDS = ("description", "quantity", "unit_price", "discount_percent", "vat_code", "unit")
HEADER_FIELDS = ("valid_until", "language", "recipient_email", "intro", "terms")
TOTAL_FIELDS = ["net_amount", "vat_amount", "rounding_amount", "total_amount"]
_UNSET: Any = UNSET  # billing's: line_input tells it apart


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


# ---------------------------------------------------------------- numbers


def take_quote_number(legal_entity_id: int, year: int) -> int:
    """The next number of (legal entity, year). The counter row stays locked until the
    caller's transaction ends, so numbers are gapless: a rollback returns the number."""
    qs = QuoteCounter.objects.select_for_update(no_key=True).filter(
        legal_entity_id=legal_entity_id, year=year
    )
    counter = qs.first()
    if counter is None:
        try:
            with transaction.atomic():
                QuoteCounter.objects.create(legal_entity_id=legal_entity_id, year=year)
        except IntegrityError:
            pass  # created by a concurrent writer
        counter = qs.get()
    QuoteCounter.objects.filter(pk=counter.pk).update(next_number=F("next_number") + 1)
    return counter.next_number


# ---------------------------------------------------------------- look-ups and checks


def _check_visible(actor: Any, quote: Quote) -> None:
    require_legal_entity(actor, quote.legal_entity_id)
    if not visible_to(Quote.objects.filter(pk=quote.pk), actor).exists():
        raise PermissionDenied(_("You can only work on quotes of your own customers."))


def _locked(actor: Any, quote: Any, perm: str) -> Quote:
    require_perm(actor, perm)
    locked = (
        Quote.objects.select_for_update(of=("self",))
        .select_related("party", "legal_entity")
        .get(pk=_pk(quote))
    )
    _check_visible(actor, locked)
    return locked


def _require_draft(quote: Quote) -> None:
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError(_("Only draft quotes can be changed."), code="not_draft")


def _profile(quote: Quote) -> BillingProfile | None:
    return (
        BillingProfile.objects.select_related("default_vat_code")
        .filter(legal_entity_id=quote.legal_entity_id, party_id=quote.party_id, active=True)
        .first()
    )


def _product_vat(profile: BillingProfile | None, product: Product) -> VatCode:
    if profile is not None and profile.default_vat_code_id:
        return profile.default_vat_code
    return product.vat_code


def _staff_of(user: Any) -> Staff | None:
    if user is None:
        return None
    return Staff.objects.filter(user_id=_pk(user), active=True).first()


# ---------------------------------------------------------------- totals and discounts


def quote_totals(quote: Quote, lines: Sequence[Any] | None = None) -> Totals:
    """Net, VAT per rate, rounding and total of the quote's lines, by billing's arithmetic
    (whole-krona rounding as the legal entity's invoices do)."""
    if lines is None:
        lines = list(quote.lines.select_related("vat_code"))
    round_to_krona = billing_settings_for(quote.legal_entity_id).round_to_whole_krona
    return lines_totals(lines, round_to_whole_krona=round_to_krona)


def line_manual_discount(line: Any) -> Decimal:
    """The discount given by hand on ``line``, in percent, rounded up to hundredths: its net
    unit price against the price the customer's profile (or the list) gives; 0 when the line
    is priced by the profile."""
    if line.price_source != PRICE_MANUAL:
        return ZERO
    with localcontext(_EXACT):
        net_unit = Decimal(line.unit_price_amount) * (HUNDRED - Decimal(line.discount_percent)) / HUNDRED
        reference = (
            line.reference_unit_amount if line.reference_unit_amount is not None else line.unit_price_amount
        )
        reference = Decimal(reference)
        if reference <= 0:
            return ZERO
        discount = (reference - net_unit) / reference * HUNDRED
    discount = max(ZERO, min(HUNDRED, discount)).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    return discount


def quote_needs_approval(quote: Quote, user: Any) -> bool:
    """Whether ``user`` needs someone's approval before sending ``quote``."""
    if quote.discount_percent <= 0:
        return False
    if quote.approval_status == Quote.Approval.APPROVED and (quote.approved_discount_percent or ZERO) >= (
        quote.discount_percent
    ):
        return False
    return quote.discount_percent > user_authority(user=user, legal_entity=quote.legal_entity_id)


def _refresh(actor: Any, quote: Quote) -> Totals:
    """Recompute totals and the largest manual discount; a higher discount than approved (or
    any change while approval is pending) withdraws the approval."""
    lines = list(quote.lines.select_related("vat_code"))
    totals = quote_totals(quote, lines)
    for name in TOTAL_FIELDS:
        setattr(quote, name, getattr(totals, name))
    before = quote.discount_percent
    quote.discount_percent = max((line_manual_discount(line) for line in lines), default=ZERO)
    fields = [*TOTAL_FIELDS, "discount_percent", "updated_at"]
    status = quote.approval_status
    if status == Quote.Approval.PENDING and quote.discount_percent != before:
        approvals.approval_withdraw(actor=actor, target=quote, comment=_("The quote's lines changed."))
        quote.approval_status = Quote.Approval.NONE
    elif (
        status == Quote.Approval.APPROVED
        and quote.discount_percent > (quote.approved_discount_percent or ZERO)
    ) or (status == Quote.Approval.REJECTED and quote.discount_percent != before):
        quote.approval_status = Quote.Approval.NONE
    if quote.approval_status != status:
        fields.append("approval_status")
        audit_record(
            actor=actor,
            action="quotes.quote.approval_reset",
            obj=quote,
            changes={"approval_status": [status, quote.approval_status]},
        )
    quote.save(update_fields=fields)
    return totals


# ---------------------------------------------------------------- lines


def _merge(errors: dict[str, list[ValidationError]], exc: ValidationError) -> None:
    for field, field_errors in exc.error_dict.items():
        errors.setdefault(field, []).extend(field_errors)


def _line_values(
    quote: Quote,
    *,
    line: QuoteLine | None,
    product: Any,
    description: Any,
    quantity: Any,
    unit_price: Any,
    discount_percent: Any,
    vat_code: Any,
    unit: Any,
) -> dict[str, Any]:
    """The checked values of a new or changed line (``_UNSET``: keep the line's value); every
    bad field is reported at once. Arithmetic and number checks are billing's ``line_clean``."""
    le_id = quote.legal_entity_id
    profile = _profile(quote)
    values = line_input(
        legal_entity_id=le_id,
        line=line,
        product=product,
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=discount_percent,
        vat_code=vat_code,
        unit=unit,
        product_vat=lambda product_obj: _product_vat(profile, product_obj),
        missing_description=_("Describe what is offered."),
    )
    errors = values.errors
    product_obj, quantity, manual = values.product, values.quantity, values.manual
    price, discount, vat_obj = values.price, values.discount, values.vat_code

    source = PRICE_MANUAL
    reference = None
    if product_obj is not None:
        try:
            qty = line_clean(quantity=quantity, unit_price="0").quantity
        except ValidationError as exc:
            _merge(errors, exc)
        else:
            priced = line_price(
                legal_entity=le_id, party=quote.party_id, product=product_obj, quantity=qty, on=quote.issue_on
            )
            reference = priced.net_unit_price_amount
            if not manual:
                price, discount, source = (
                    priced.unit_price_amount,
                    priced.discount_percent,
                    str(priced.source)[:100],
                )
            elif price is None:
                # Only a discount typed: it applies to the customer's price.
                price = priced.unit_price_amount
    clean = line_finish(values, price=price, discount=discount)
    return {
        "product": product_obj,
        "description": values.description,
        "quantity": clean.quantity,
        "unit": values.unit,
        "unit_price_amount": clean.unit_price,
        "discount_percent": clean.discount_percent,
        "vat_code": vat_obj,
        "vat_rate": vat_obj.rate,
        "net_amount": clean.net_amount,
        "price_source": source,
        "reference_unit_amount": reference,
    }


@transaction.atomic
def quote_line_add(
    *,
    actor: Any,
    quote: Quote,
    product: Any = None,
    description: str = "",
    quantity: Any = "1",
    unit_price: Any = None,
    discount_percent: Any = None,
    vat_code: Any = None,
    unit: str | None = None,
) -> QuoteLine:
    """Add a line to a draft quote and recompute its totals.

    A product line takes name, unit, VAT code (or the billing profile's override) and the
    customer's price (``pricing.selectors.line_price`` on the quote date); a price or discount
    given here is kept as ``manual``. A free-text line needs description, unit price and VAT
    code. Errors name each bad field. Needs ``quotes.change_quote`` and the quote in scope.
    """
    draft = _locked(actor, quote, CHANGE_PERM)
    _require_draft(draft)
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
    last = draft.lines.aggregate(last=models.Max("line_no"))["last"] or 0
    line = QuoteLine.objects.create(quote=draft, line_no=last + 1, **values)
    _refresh(actor, draft)
    audit_record(
        actor=actor,
        action="quotes.quote.line_added",
        obj=draft,
        changes={
            f"line {line.line_no}": [None, f"{line.quantity} x {line.description} {line.unit_price_amount}"]
        },
    )
    return line


@transaction.atomic
def quote_line_update(*, actor: Any, line: QuoteLine, **changes: Any) -> QuoteLine:
    """Change a draft's line (``description``, ``quantity``, ``unit_price``,
    ``discount_percent``, ``vat_code``, ``unit``) and recompute the totals. Needs
    ``quotes.change_quote``."""
    unknown = set(changes) - set(LINE_FIELDS)
    if unknown:
        raise TypeError(f"quote_line_update() got unexpected fields: {sorted(unknown)}")
    draft = _locked(actor, line.quote_id, CHANGE_PERM)
    _require_draft(draft)
    current = (
        QuoteLine.objects.select_related("product__vat_code", "vat_code").filter(quote=draft).get(pk=line.pk)
    )
    before = (
        f"{current.quantity} x {current.description} {current.unit_price_amount} -{current.discount_percent}%"
    )
    values = _line_values(
        draft, line=current, product=None, **{name: changes.get(name, _UNSET) for name in LINE_FIELDS}
    )
    for name, value in values.items():
        setattr(current, name, value)
    current.save()
    _refresh(actor, draft)
    after = (
        f"{current.quantity} x {current.description} {current.unit_price_amount} -{current.discount_percent}%"
    )
    audit_record(
        actor=actor,
        action="quotes.quote.line_updated",
        obj=draft,
        changes={f"line {current.line_no}": [before, after]},
    )
    return current


@transaction.atomic
def quote_line_remove(*, actor: Any, line: QuoteLine) -> Quote:
    """Remove a draft's line, renumber the lines after it and recompute the totals."""
    draft = _locked(actor, line.quote_id, CHANGE_PERM)
    _require_draft(draft)
    current = QuoteLine.objects.filter(quote=draft).get(pk=line.pk)
    removed = f"{current.quantity} x {current.description}"
    current.delete()
    for later in draft.lines.filter(line_no__gt=current.line_no).order_by("line_no"):
        QuoteLine.objects.filter(pk=later.pk).update(line_no=F("line_no") - 1)
    _refresh(actor, draft)
    audit_record(
        actor=actor,
        action="quotes.quote.line_removed",
        obj=draft,
        changes={f"line {current.line_no}": [removed, None]},
    )
    return draft


def quote_line_preview(
    *, quote: Quote, line: QuoteLine | None = None, **fields: Any
) -> tuple[dict[str, Any], Totals]:
    """What adding (or, with ``line``, changing) a line would give, without writing: the
    line's values and the quote's totals with it. For the editor's live totals."""
    unknown = set(fields) - {"product", *LINE_FIELDS}
    if unknown:
        raise TypeError(f"quote_line_preview() got unexpected fields: {sorted(unknown)}")
    values = _line_values(
        quote,
        line=line,
        product=fields.get("product") if line is None else None,
        **{name: fields.get(name, _UNSET) for name in LINE_FIELDS},
    )
    preview = QuoteLine(quote=quote, line_no=line.line_no if line else 0, **values)
    lines = [
        preview if line is not None and other.pk == line.pk else other
        for other in quote.lines.select_related("vat_code")
    ]
    if line is None:
        lines.append(preview)
    return values, quote_totals(quote, lines)


# ---------------------------------------------------------------- drafts


def _clean_header(quote: Quote, changes: dict[str, Any]) -> None:
    errors: dict[str, list[ValidationError]] = {}
    for name, value in changes.items():
        if name == "valid_until":
            try:
                value = Quote._meta.get_field(name).to_python(value or None)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.error_list)
                continue
            if value is None:
                errors.setdefault(name, []).append(
                    ValidationError(_("Enter the last valid day."), code="required")
                )
                continue
            if value < quote.issue_on:
                errors.setdefault(name, []).append(
                    ValidationError(_("A quote cannot expire before its date."), code="before_issue")
                )
                continue
            if (value - quote.issue_on).days > MAX_VALID_DAYS:
                errors.setdefault(name, []).append(
                    ValidationError(_("A quote is valid for at most a year."), code="too_long")
                )
                continue
        elif name == "language":
            value = str(value or "").strip().lower()[:5] or "sv"
            if value.split("-")[0] not in EMAIL_LANGUAGES:
                errors.setdefault(name, []).append(
                    ValidationError(_("Choose Swedish or English."), code="invalid_language")
                )
                continue
        elif name == "recipient_email":
            value = str(value or "").strip().lower()
            if value:
                try:
                    Quote._meta.get_field(name).run_validators(value)
                except ValidationError as exc:
                    errors.setdefault(name, []).extend(exc.error_list)
                    continue
        else:
            value = str(value or "").strip()
            if len(value) > 5000:
                errors.setdefault(name, []).append(
                    ValidationError(_("At most %(max)s characters."), code="too_long", params={"max": 5000})
                )
                continue
        setattr(quote, name, value)
    if errors:
        raise ValidationError(errors)


def _set_opportunity(quote: Quote, opportunity: Any) -> None:
    if opportunity in (None, ""):
        return
    if not any(f.name == "opportunity" for f in Quote._meta.get_fields()):
        return  # the sales app's opportunities are not linked yet
    if getattr(opportunity, "party_id", None) != quote.party_id:
        raise ValidationError(
            {
                "opportunity": ValidationError(
                    _("Choose an opportunity of this customer."), code="other_customer"
                )
            }
        )
    quote.opportunity = opportunity


@transaction.atomic
def quote_create(
    *,
    actor: Any,
    party: Party,
    opportunity: Any = None,
    lines: Sequence[dict[str, Any]] = (),
    valid_until: Any = None,
    language: str | None = None,
    recipient_email: str | None = None,
    intro: str = "",
    terms: str = "",
    issue_on: datetime.date | None = None,
) -> Quote:
    """A new draft quote for ``party`` (a customer the actor sees), numbered at once (gapless
    per legal entity and year). Currency, language and recipient come from the customer's
    billing profile when there is one. ``lines`` (keyword arguments of ``quote_line_add``)
    are added in the same transaction; their errors are named ``lines.<index>.<field>``, and
    then nothing is written. Needs ``quotes.add_quote``.
    """
    require_perm(actor, ADD_PERM)
    if not visible_to(Party.objects.filter(pk=party.pk), actor).exists():
        raise PermissionDenied(_("You can only make quotes for your own customers."))
    le_id = party.legal_entity_id
    require_legal_entity(actor, le_id)
    if party.is_merged or party.is_erased:
        raise ValidationError({"party": ValidationError(_("This customer record is closed."), code="locked")})
    billing_settings_for(le_id)  # quotes use the legal entity's VAT codes and rounding
    issue_on = issue_on or timezone.localdate()
    profile = BillingProfile.objects.filter(legal_entity_id=le_id, party=party, active=True).first()
    owner = party.owner if party.owner_id else actor
    owner_staff = _staff_of(owner)
    quote = Quote(
        legal_entity_id=le_id,
        year=issue_on.year,
        number=0,
        party=party,
        owner=owner,
        region_id=party.region_id or (owner_staff.home_region_id if owner_staff else None),
        issue_on=issue_on,
        valid_until=issue_on + datetime.timedelta(days=DEFAULT_VALID_DAYS),
        currency=profile.currency if profile else "SEK",
        language=profile.language if profile else "sv",
        recipient_email=(profile.billing_email if profile and profile.billing_email else party.email) or "",
        net_amount=ZERO,
        vat_amount=ZERO,
        rounding_amount=ZERO,
        total_amount=ZERO,
        created_by=actor,
    )
    header: dict[str, Any] = {"intro": intro, "terms": terms}
    if valid_until not in (None, ""):
        header["valid_until"] = valid_until
    if language:
        header["language"] = language
    if recipient_email is not None:
        header["recipient_email"] = recipient_email
    _clean_header(quote, header)
    _set_opportunity(quote, opportunity)
    quote.number = take_quote_number(le_id, quote.year)
    quote.save()
    if not visible_to(Quote.objects.filter(pk=quote.pk), actor).exists():
        raise PermissionDenied(_("You can only make quotes for your own customers."))
    audit_record(
        actor=actor,
        action="quotes.quote.created",
        obj=quote,
        changes={
            "number": [None, quote.reference],
            "party": [None, str(party)],
            "owner": [None, str(owner)],
            "valid_until": [None, quote.valid_until.isoformat()],
            **({"opportunity": [None, str(opportunity)]} if getattr(quote, "opportunity_id", None) else {}),
        },
    )
    errors: dict[str, list[ValidationError]] = {}
    for index, fields in enumerate(lines):
        try:
            quote_line_add(actor=actor, quote=quote, **fields)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            for field, field_errors in exc.error_dict.items():
                name = f"lines.{index}" if field == NON_FIELD_ERRORS else f"lines.{index}.{field}"
                errors.setdefault(name, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)
    quote.refresh_from_db()
    return quote


@transaction.atomic
def quote_update(*, actor: Any, quote: Quote, **changes: Any) -> Quote:
    """Change a draft's ``valid_until``, ``language``, ``recipient_email``, ``intro`` or
    ``terms``. Needs ``quotes.change_quote``."""
    unknown = set(changes) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"quote_update() got unexpected fields: {sorted(unknown)}")
    draft = _locked(actor, quote, CHANGE_PERM)
    _require_draft(draft)
    before = {name: str(getattr(draft, name)) for name in changes}
    _clean_header(draft, changes)
    draft.save()
    after = {name: str(getattr(draft, name)) for name in changes}
    changed = {name: [before[name], after[name]] for name in changes if before[name] != after[name]}
    if changed:
        audit_record(actor=actor, action="quotes.quote.updated", obj=draft, changes=changed)
    return draft


# ---------------------------------------------------------------- discount approval


def _subject(quote: Quote) -> approvals.ApprovalSubject:
    return approvals.ApprovalSubject(
        legal_entity_id=quote.legal_entity_id,
        party=quote.party,
        target=quote,
        title=_("Quote %(number)s") % {"number": quote.reference},
        discount_percent=quote.discount_percent,
        approve_perm=APPROVE_PERM,
        url=quote.get_absolute_url(),
    )


@transaction.atomic
def quote_approval_request(*, actor: Any, quote: Quote) -> Quote:
    """Ask approval of the quote's largest manual discount. Within the actor's own authority it
    is approved at once; above it, it is routed (pricing's approval chain, e-mailed after
    commit). Codes: ``not_draft``, ``nothing_to_approve``, ``already_pending``,
    ``no_approver``. Needs ``quotes.change_quote``."""
    draft = _locked(actor, quote, CHANGE_PERM)
    _require_draft(draft)
    if draft.discount_percent <= 0:
        raise ValidationError(_("This quote has no manual discount to approve."), code="nothing_to_approve")
    if draft.approval_status == Quote.Approval.PENDING:
        raise ValidationError(_("This is already waiting for approval."), code="already_pending")
    request = approvals.approval_submit(actor=actor, subject=_subject(draft))
    before = draft.approval_status
    if request.status == ApprovalRequest.Status.APPROVED:
        draft.approval_status = Quote.Approval.APPROVED
        draft.approved_discount_percent = draft.discount_percent
    else:
        draft.approval_status = Quote.Approval.PENDING
        draft.approved_discount_percent = None
    draft.save(update_fields=["approval_status", "approved_discount_percent", "updated_at"])
    audit_record(
        actor=actor,
        action="quotes.quote.approval_requested",
        obj=draft,
        changes={
            "approval_status": [before, draft.approval_status],
            "discount_percent": [None, str(draft.discount_percent)],
            "routed_to": [None, str(request.assigned_to) if request.assigned_to else None],
        },
    )
    return draft


def _pending(quote: Quote) -> ApprovalRequest:
    request = approvals.pending_request_for(quote, lock=True)
    if quote.approval_status != Quote.Approval.PENDING or request is None:
        raise ValidationError(_("This quote is not waiting for approval."), code="not_pending")
    return request


@transaction.atomic
def quote_approve(*, actor: Any, quote: Quote, comment: str = "") -> Quote:
    """Approve the quote's pending discount. Needs ``quotes.approve_quote``, the quote in scope,
    authority covering the discount (``above_authority``), not being the author
    (``self_approval``). The author is e-mailed."""
    locked = _locked(actor, quote, APPROVE_PERM)
    request = _pending(locked)
    approvals.approval_approve(
        actor=actor,
        request=request,
        approve_perm=APPROVE_PERM,
        url=locked.get_absolute_url(),
        comment=comment,
    )
    locked.approval_status = Quote.Approval.APPROVED
    locked.approved_discount_percent = request.discount_percent
    locked.save(update_fields=["approval_status", "approved_discount_percent", "updated_at"])
    audit_record(
        actor=actor,
        action="quotes.quote.approved",
        obj=locked,
        changes={
            "approval_status": [Quote.Approval.PENDING.value, locked.approval_status],
            "approved_discount_percent": [None, str(request.discount_percent)],
            "comment": [None, (comment or "").strip() or None],
        },
    )
    return locked


@transaction.atomic
def quote_reject(*, actor: Any, quote: Quote, comment: str) -> Quote:
    """Reject the quote's pending discount with a comment (``comment_required``). Same rules as
    ``quote_approve``. The author lowers the discount or asks again."""
    locked = _locked(actor, quote, APPROVE_PERM)
    request = _pending(locked)
    approvals.approval_reject(
        actor=actor,
        request=request,
        approve_perm=APPROVE_PERM,
        url=locked.get_absolute_url(),
        comment=comment,
    )
    locked.approval_status = Quote.Approval.REJECTED
    locked.save(update_fields=["approval_status", "updated_at"])
    audit_record(
        actor=actor,
        action="quotes.quote.rejected",
        obj=locked,
        changes={
            "approval_status": [Quote.Approval.PENDING.value, locked.approval_status],
            "comment": [None, comment.strip()],
        },
    )
    return locked


# ---------------------------------------------------------------- sending


def _language(quote: Quote) -> str:
    language = (quote.language or "").split("-")[0].lower()
    return language if language in EMAIL_LANGUAGES else "en"


def _system_subject(text: str, **params: Any) -> str:
    # Interaction subjects are stored text, in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        return _(text) % params


@transaction.atomic
def quote_send(*, actor: Any, quote: Quote) -> Quote:
    """E-mail the quote (PDF attached, a new private link in the text) to its recipient once
    the transaction commits; a draft becomes ``sent`` (sending a sent quote again sends a new
    link). Codes: ``no_lines``, ``validity_passed``, ``approval_required``,
    ``approval_pending``, ``no_email``, ``not_sendable``. Needs ``quotes.send_quote``.
    Records an outbound e-mail interaction and audits ``quotes.quote.sent``."""
    from frontoffice.quotes.pdf import quote_pdf

    locked = _locked(actor, quote, SEND_PERM)
    if locked.status not in (Quote.Status.DRAFT, Quote.Status.SENT):
        raise ValidationError(_("Only draft or sent quotes can be sent."), code="not_sendable")
    if not locked.lines.exists():
        raise ValidationError(_("Add at least one line before sending the quote."), code="no_lines")
    today = timezone.localdate()
    if locked.valid_until < today:
        raise ValidationError(
            {
                "valid_until": ValidationError(
                    _("The quote's last valid day has passed."), code="validity_passed"
                )
            }
        )
    if locked.approval_status == Quote.Approval.PENDING:
        raise ValidationError(_("The discount is waiting for approval."), code="approval_pending")
    if quote_needs_approval(locked, actor):
        raise ValidationError(
            _("The discount of %(discount)s %% is above your authority: ask for approval before sending.")
            % {"discount": f"{locked.discount_percent:.2f}".rstrip("0").rstrip(".")},
            code="approval_required",
        )
    if not locked.recipient_email:
        raise ValidationError(
            {
                "recipient_email": ValidationError(
                    _("Enter the e-mail address to send the quote to."), code="no_email"
                )
            }
        )
    made = quote_link_make(actor=actor, quote=locked)
    language = _language(locked)
    context = {
        "quote": locked,
        "url": made.url,
        "seller": locked.legal_entity,
        "sender": actor,
    }
    with translation.override(language):
        subject = " ".join(render_to_string(f"quotes/email/quote_{language}_subject.txt", context).split())
        body = render_to_string(f"quotes/email/quote_{language}.txt", context)
    reply_to = [actor.email] if getattr(actor, "email", "") else None
    previous = locked.status
    locked.status = Quote.Status.SENT
    locked.sent_at = timezone.now()
    locked.sent_by = actor
    locked.save(update_fields=["status", "sent_at", "sent_by", "updated_at"])
    pdf = quote_pdf(locked)
    email_enqueue(
        subject=subject,
        body=body,
        to=[locked.recipient_email],
        reply_to=reply_to,
        attachments=[(f"{locked.reference}.pdf", pdf, "application/pdf")],
    )
    interaction_record(
        actor=actor,
        party=locked.party,
        kind=Interaction.Kind.EMAIL,
        channel=Interaction.Channel.EMAIL,
        direction=Interaction.Direction.OUTBOUND,
        subject=_system_subject("Quote %(number)s sent", number=locked.reference),
        concerns=locked,
        check_permission=False,
    )
    audit_record(
        actor=actor,
        action="quotes.quote.sent",
        obj=locked,
        changes={"status": [previous, locked.status], "to": [None, locked.recipient_email]},
    )
    return locked


@transaction.atomic
def quote_withdraw(*, actor: Any, quote: Quote) -> Quote:
    """Take a sent quote back to draft to change it: its links stop working. Needs
    ``quotes.change_quote``."""
    locked = _locked(actor, quote, CHANGE_PERM)
    if locked.status != Quote.Status.SENT:
        raise ValidationError(_("Only a sent quote can be taken back."), code="not_sent")
    revoked = quote_link_revoke_all(actor=actor, quote=locked)
    locked.status = Quote.Status.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="quotes.quote.withdrawn",
        obj=locked,
        changes={"status": [Quote.Status.SENT.value, locked.status], "links_revoked": [None, revoked]},
    )
    return locked


# ---------------------------------------------------------------- the customer's answer


def _open_for_answer(quote: Any) -> Quote:
    locked = Quote.objects.select_for_update(of=("self",)).select_related("party", "owner").get(pk=_pk(quote))
    if locked.status != Quote.Status.SENT:
        raise ValidationError(_("This quote has already been answered or withdrawn."), code="not_open")
    if locked.valid_until < timezone.localdate():
        raise ValidationError(_("This quote is no longer valid."), code="expired")
    return locked


def _notify_owner(quote: Quote, accepted: bool) -> None:
    owner = quote.owner
    if owner is None or not owner.email:
        return
    link = settings.SITE_URL.rstrip("/") + quote.get_absolute_url()
    with translation.override(getattr(owner, "language", None) or settings.LANGUAGE_CODE):
        if accepted:
            subject = _("Accepted: quote %(number)s for %(customer)s") % {
                "number": quote.reference,
                "customer": str(quote.party),
            }
            body = _("%(name)s accepted quote %(number)s (%(total)s %(currency)s).\n\n%(link)s\n") % {
                "name": quote.accepted_by_name,
                "number": quote.reference,
                "total": quote.total_amount,
                "currency": quote.currency,
                "link": link,
            }
        else:
            subject = _("Declined: quote %(number)s for %(customer)s") % {
                "number": quote.reference,
                "customer": str(quote.party),
            }
            body = _("The customer declined quote %(number)s.\n\nReason: %(reason)s\n\n%(link)s\n") % {
                "number": quote.reference,
                "reason": quote.decline_reason,
                "link": link,
            }
    email_enqueue(subject=subject, body=body, to=[owner.email])


def _record_answer(quote: Quote, subject: str) -> None:
    interaction_record(
        actor=None,
        party=quote.party,
        kind=Interaction.Kind.OTHER,
        channel=Interaction.Channel.WEB,
        direction=Interaction.Direction.INBOUND,
        subject=subject,
        staff=_staff_of(quote.owner),
        concerns=quote,
        check_permission=False,
    )


def _win_opportunity(quote: Quote) -> None:
    """Mark the quote's opportunity won, when the sales app offers it; the customer's
    acceptance stands whatever the opportunity's state."""
    opportunity = getattr(quote, "opportunity", None)
    if opportunity is None:
        return
    try:
        from frontoffice.sales.services import opportunity_win
    except ImportError:
        return
    try:
        with transaction.atomic():
            # The customer's acceptance closes it: a system action, on no one's permission.
            opportunity_win(
                actor=None,
                system=True,
                opportunity=opportunity,
                reason=_system_subject("Quote %(number)s accepted", number=quote.reference),
            )
    except (ValidationError, PermissionDenied) as exc:
        audit_record(
            actor=None,
            action="quotes.quote.opportunity_not_won",
            obj=quote,
            changes={"reason": [None, "; ".join(getattr(exc, "messages", [str(exc)]))]},
        )


@transaction.atomic
def quote_accept(*, quote: Any, name: str, confirmed: bool) -> Quote:
    """The customer accepts a sent, still valid quote (through its link): the name of the
    person accepting and the confirmation box are required (``name_required``,
    ``confirm_required``). Records an inbound interaction, e-mails the owner, marks the
    opportunity won (when there is one). Codes ``not_open``, ``expired``."""
    name = " ".join(str(name or "").split())
    errors: dict[str, list[ValidationError]] = {}
    if not name:
        errors["name"] = [ValidationError(_("Enter your name."), code="name_required")]
    elif len(name) > 200:
        errors["name"] = [ValidationError(_("At most 200 characters."), code="too_long")]
    if not confirmed:
        errors["confirm"] = [
            ValidationError(_("Tick the box to confirm that you accept the quote."), code="confirm_required")
        ]
    locked = _open_for_answer(quote)
    if errors:
        raise ValidationError(errors)
    locked.status = Quote.Status.ACCEPTED
    locked.decided_at = timezone.now()
    locked.accepted_by_name = name
    locked.save(update_fields=["status", "decided_at", "accepted_by_name", "updated_at"])
    _record_answer(
        locked, _system_subject("Quote %(number)s accepted by %(name)s", number=locked.reference, name=name)
    )
    audit_record(
        actor=None,
        action="quotes.quote.accepted",
        obj=locked,
        changes={"status": [Quote.Status.SENT.value, locked.status], "accepted_by": [None, name]},
    )
    _notify_owner(locked, accepted=True)
    _win_opportunity(locked)
    return locked


@transaction.atomic
def quote_decline(*, quote: Any, reason: str) -> Quote:
    """The customer declines a sent quote, saying why (``reason_required``). Records an
    inbound interaction and e-mails the owner."""
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Tell us why, please."), code="reason_required")})
    if len(reason) > 2000:
        raise ValidationError({"reason": ValidationError(_("At most 2000 characters."), code="too_long")})
    locked = _open_for_answer(quote)
    locked.status = Quote.Status.DECLINED
    locked.decided_at = timezone.now()
    locked.decline_reason = reason
    locked.save(update_fields=["status", "decided_at", "decline_reason", "updated_at"])
    _record_answer(locked, _system_subject("Quote %(number)s declined", number=locked.reference))
    audit_record(
        actor=None,
        action="quotes.quote.declined",
        obj=locked,
        changes={"status": [Quote.Status.SENT.value, locked.status], "reason": [None, reason]},
    )
    _notify_owner(locked, accepted=False)
    return locked


@transaction.atomic
def quotes_expire(*, today: datetime.date | None = None) -> int:
    """Mark sent quotes whose last valid day has passed as expired (safe to run twice);
    returns how many. Run daily by ``quotes_expire``."""
    today = today or timezone.localdate()
    quotes = list(
        Quote.objects.select_for_update()
        .filter(status=Quote.Status.SENT, valid_until__lt=today)
        .order_by("pk")
    )
    for quote in quotes:
        quote.status = Quote.Status.EXPIRED
        quote.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=None,
            action="quotes.quote.expired",
            obj=quote,
            changes={"status": [Quote.Status.SENT.value, quote.status]},
        )
    return len(quotes)


# ---------------------------------------------------------------- invoices


def _discount_authoriser(quote: Quote) -> Any:
    """Who authorised the quote's manual discounts: the last approver when the quote needed an
    approval, else its owner (whose own authority covered them when it was sent)."""
    if quote.approval_status == Quote.Approval.APPROVED:
        from frontoffice.pricing.models import ApprovalDecision
        from frontoffice.pricing.selectors import approval_history

        approving = (ApprovalDecision.Action.APPROVED, ApprovalDecision.Action.SELF_APPROVED)
        for decision in reversed(approval_history(quote)):
            if decision.action in approving and decision.actor is not None:
                return decision.actor
    return quote.owner


@transaction.atomic
def quote_to_invoice(*, actor: Any, quote: Quote) -> Invoice:
    """A draft invoice with the accepted quote's lines and prices (``source_type="quote"``);
    idempotent: the second call returns the first invoice. Needs ``quotes.view_quote``, the
    quote in scope and ``billing.add_invoice``. Codes ``not_accepted``, ``no_billing_profile``."""
    from frontoffice.billing.services.invoicing import invoice_draft_create

    locked = _locked(actor, quote, VIEW_PERM)
    if locked.invoice_id is not None:
        return Invoice.objects.get(pk=locked.invoice_id)
    if locked.status != Quote.Status.ACCEPTED:
        raise ValidationError(_("Only an accepted quote can be invoiced."), code="not_accepted")
    if not BillingProfile.objects.filter(
        legal_entity_id=locked.legal_entity_id, party_id=locked.party_id, active=True
    ).exists():
        raise ValidationError(
            _(
                "%(customer)s has no active billing profile: set one up on the customer's page, then invoice the quote."
            )
            % {"customer": str(locked.party)},
            code="no_billing_profile",
        )
    authoriser = _discount_authoriser(locked)
    lines = [
        {
            "product": line.product,
            "description": line.description,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price_amount,
            "discount_percent": line.discount_percent,
            "vat_code": line.vat_code,
            # The quote's discounts were authorised once (by its author's authority or an
            # approval): the invoice made from it needs no second approval.
            "discount_authorised_by": authoriser,
        }
        for line in locked.lines.select_related("product", "vat_code").order_by("line_no")
    ]
    invoice = invoice_draft_create(
        actor=actor,
        legal_entity=locked.legal_entity_id,
        party=locked.party,
        seller_reference=str(locked.owner or "")[:100],
        buyer_reference=locked.accepted_by_name[:100],
        notes=_("According to our quote %(number)s.") % {"number": locked.reference},
        source_type="quote",
        source_id=str(locked.pk),
        lines=lines,
    )
    locked.invoice = invoice
    locked.save(update_fields=["invoice", "updated_at"])
    audit_record(
        actor=actor, action="quotes.quote.invoiced", obj=locked, changes={"invoice": [None, str(invoice.pk)]}
    )
    return invoice


@transaction.atomic
def quote_from_invoice(*, actor: Any, invoice: Invoice) -> Quote:
    """A new draft quote for the invoice's customer with its product lines (same quantities),
    priced by today's price profile: a repeat order. Needs ``billing.view_invoice`` and the
    invoice in scope, and ``quotes.add_quote``. Code ``no_products``."""
    require_perm(actor, "billing.view_invoice")
    if not visible_to(Invoice.objects.filter(pk=invoice.pk), actor).exists():
        raise PermissionDenied(_("You can only work on invoices of your own customers."))
    source = list(invoice.lines.filter(product__isnull=False).select_related("product").order_by("line_no"))
    if not source:
        raise ValidationError(_("The invoice has no product lines to quote again."), code="no_products")
    lines = [
        {"product": line.product, "quantity": line.quantity, "description": line.description}
        for line in source
        if line.product.active
    ]
    quote = quote_create(actor=actor, party=invoice.party, lines=lines)
    audit_record(
        actor=actor,
        action="quotes.quote.copied_from_invoice",
        obj=quote,
        changes={"invoice": [None, str(invoice)]},
    )
    return quote
