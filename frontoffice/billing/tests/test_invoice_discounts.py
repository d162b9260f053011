"""Manual line prices below the customer's own price need the discount authority of the person
who typed them, else approval by someone whose authority covers them before the draft is
issued (PRODUCT.md: "anything above a user's limit is routed to someone whose limit covers it").

Shipped authorities: sales rep 10 %, regional sales manager 20 %, national sales manager 35 %,
finance manager 100 %, accounts clerk 0 %."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from frontoffice.billing.models import Invoice
from frontoffice.billing.services.discounts import (
    invoice_discount_approve,
    invoice_discount_reject,
    invoice_discount_submit,
)
from frontoffice.billing.services.invoicing import (
    invoice_draft_update,
    invoice_issue,
    invoice_line_add,
    invoice_line_update,
    invoices_issue_batch,
)
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.invoicing_factories import make_customer, make_draft
from frontoffice.core.models import AuditEntry
from frontoffice.org.models import Role
from frontoffice.pricing.models import ApprovalDecision, ApprovalRequest
from frontoffice.pricing.services.authority import discount_authority_set
from frontoffice.pricing.services.profiles import price_profile_create, price_profile_submit, price_rule_add

pytestmark = pytest.mark.django_db


def _draft(org, customer, products, *, actor="clerk"):
    return make_draft(org.user(actor), customer, (products["checkup"], "1"))


def _line(invoice):
    return invoice.lines.get(line_no=1)


def _state(invoice):
    invoice.refresh_from_db()
    return invoice.discount_to_approve_percent, invoice.discount_approved_percent


def test_a_list_priced_line_needs_no_approval(org, customer, products):
    invoice = _draft(org, customer, products)
    assert _state(invoice) == (Decimal("0.00"), Decimal("0.00"))
    assert invoice_issue(actor=org.user("clerk"), invoice=invoice).status == Invoice.Status.ISSUED


def test_a_typed_price_below_list_by_a_clerk_blocks_issuing_until_approved(org, customer, products):
    clerk = org.user("clerk")
    invoice = _draft(org, customer, products)
    line = invoice_line_update(actor=clerk, line=_line(invoice), unit_price="765.00")  # 10 % off 850
    assert line.price_source == "manual"
    assert line.manual_discount_percent == Decimal("10.00")
    assert line.discount_authorised_by is None
    assert _state(invoice) == (Decimal("10.00"), Decimal("0.00"))
    with pytest.raises(ValidationError) as exc:
        invoice_issue(actor=clerk, invoice=invoice)
    assert exc.value.code == "discount_not_approved"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT and invoice.number is None


def test_a_typed_discount_within_own_authority_is_authorised_by_its_author(org, customer, products):
    fm = org.user("finance_manager")
    invoice = _draft(org, customer, products, actor="finance_manager")
    line = invoice_line_update(actor=fm, line=_line(invoice), discount_percent="60")
    assert line.manual_discount_percent == Decimal("60.00")
    assert line.discount_authorised_by == fm
    assert _state(invoice) == (Decimal("0.00"), Decimal("0.00"))
    assert invoice_issue(actor=fm, invoice=invoice).status == Invoice.Status.ISSUED


def test_a_free_text_line_counts_its_typed_discount(org, customer, products):
    invoice = _draft(org, customer, products)
    invoice_line_add(
        actor=org.user("clerk"),
        invoice=invoice,
        description="Consulting",
        unit_price="1000",
        discount_percent="5",
        vat_code="SE25",
    )
    assert _state(invoice) == (Decimal("5.00"), Decimal("0.00"))


def test_a_typed_price_above_the_list_price_needs_nothing(org, customer, products):
    invoice = _draft(org, customer, products)
    invoice_line_update(actor=org.user("clerk"), line=_line(invoice), unit_price="900.00")
    assert _state(invoice) == (Decimal("0.00"), Decimal("0.00"))


@pytest.mark.parametrize(
    ("price", "routed_to", "deciders_ok", "deciders_above"),
    [
        # 15 % off: the regional manager (20 %) covers it; so do the NSM and finance.
        ("722.50", "rsm_north", ["rsm_north", "nsm", "finance_manager"], []),
        # 30 % off: above the regional manager's 20 %, within the NSM's 35 %.
        ("595.00", "nsm", ["nsm", "finance_manager"], ["rsm_north"]),
        # 50 % off: only the finance manager (100 %).
        ("425.00", "finance_manager", ["finance_manager"], ["rsm_north", "nsm"]),
    ],
)
def test_the_authority_matrix_routes_and_decides(
    org, customer, products, price, routed_to, deciders_ok, deciders_above
):
    clerk = org.user("clerk")
    invoice = _draft(org, customer, products)
    invoice_line_update(actor=clerk, line=_line(invoice), unit_price=price)
    invoice_discount_submit(actor=clerk, invoice=invoice)
    request = ApprovalRequest.objects.get(target_id=invoice.pk, status="pending")
    assert request.assigned_to == org.user(routed_to)
    for name in deciders_above:
        with pytest.raises(ValidationError) as exc:
            invoice_discount_approve(actor=org.user(name), invoice=invoice)
        assert exc.value.code == "above_authority"
    for name in ("rep_north", "clerk", "auditor"):
        with pytest.raises(PermissionDenied):
            invoice_discount_approve(actor=org.user(name), invoice=invoice)
    invoice_discount_approve(actor=org.user(deciders_ok[-1]), invoice=invoice, comment="Loyal customer")
    invoice.refresh_from_db()
    assert invoice.discount_approved_percent == invoice.discount_to_approve_percent
    assert invoice_issue(actor=clerk, invoice=invoice).status == Invoice.Status.ISSUED
    actions = list(ApprovalDecision.objects.filter(request=request).values_list("action", flat=True))
    assert actions == ["submitted", "approved"]
    assert AuditEntry.objects.filter(action="billing.invoice.discount_approved").count() == 1


def test_the_product_example_authorities_rep_5_rsm_15_finance_unlimited(org, customer, products):
    """With the limits of PRODUCT.md's example set by the finance manager, 12 % goes to the
    regional manager and 18 % past them to the NSM (who keeps 35 %)."""
    fm = org.user("finance_manager")
    roles = {r.code: r for r in Role.objects.all()}
    discount_authority_set(
        actor=fm, legal_entity=org.company, role=roles["sales_rep"], max_discount_percent="5"
    )
    discount_authority_set(
        actor=fm, legal_entity=org.company, role=roles["regional_sales_manager"], max_discount_percent="15"
    )
    clerk = org.user("clerk")
    first = _draft(org, customer, products)
    invoice_line_update(actor=clerk, line=_line(first), discount_percent="12")
    invoice_discount_submit(actor=clerk, invoice=first)
    second = _draft(org, customer, products)
    invoice_line_update(actor=clerk, line=_line(second), discount_percent="18")
    invoice_discount_submit(actor=clerk, invoice=second)
    routed = dict(
        ApprovalRequest.objects.filter(status="pending").values_list("target_id", "assigned_to__username")
    )
    assert routed == {first.pk: "rsm_north", second.pk: "nsm"}
    with pytest.raises(ValidationError) as exc:
        invoice_discount_approve(actor=org.user("rsm_north"), invoice=second)
    assert exc.value.code == "above_authority"


def test_submitting_within_own_authority_approves_at_once(org, customer, products):
    clerk = org.user("clerk")
    invoice = _draft(org, customer, products)
    invoice_line_update(actor=clerk, line=_line(invoice), discount_percent="40")
    invoice_discount_submit(actor=org.user("finance_manager"), invoice=invoice)
    assert _state(invoice) == (Decimal("40.00"), Decimal("40.00"))
    request = ApprovalRequest.objects.get(target_id=invoice.pk)
    assert request.status == "approved"
    assert request.decisions.get().action == "self_approved"


def test_nothing_to_approve_and_deciding_on_own_request_are_refused(org, customer, products):
    clerk, fm = org.user("clerk"), org.user("finance_manager")
    invoice = _draft(org, customer, products)
    with pytest.raises(ValidationError) as exc:
        invoice_discount_submit(actor=clerk, invoice=invoice)
    assert exc.value.code == "nothing_to_approve"
    invoice_line_update(actor=clerk, line=_line(invoice), discount_percent="12")
    invoice_discount_submit(actor=clerk, invoice=invoice)
    with pytest.raises(ValidationError) as exc:
        invoice_discount_submit(actor=clerk, invoice=invoice)
    assert exc.value.code == "already_pending"
    with pytest.raises(ValidationError) as exc:
        invoice_discount_reject(actor=fm, invoice=invoice, comment="  ")
    assert "comment" in exc.value.error_dict


def test_a_rejected_discount_keeps_the_draft_blocked_and_is_in_the_history(org, customer, products):
    clerk = org.user("clerk")
    invoice = _draft(org, customer, products)
    invoice_line_update(actor=clerk, line=_line(invoice), discount_percent="12")
    invoice_discount_submit(actor=clerk, invoice=invoice)
    invoice_discount_reject(actor=org.user("rsm_north"), invoice=invoice, comment="Too much")
    with pytest.raises(ValidationError) as exc:
        invoice_issue(actor=clerk, invoice=invoice)
    assert exc.value.code == "discount_not_approved"
    request = ApprovalRequest.objects.get(target_id=invoice.pk)
    assert request.status == "rejected"
    assert request.decisions.get(action="rejected").comment == "Too much"


def test_changing_the_lines_withdraws_a_pending_request_and_a_larger_discount_needs_new_approval(
    org, customer, products
):
    clerk = org.user("clerk")
    invoice = _draft(org, customer, products)
    line = invoice_line_update(actor=clerk, line=_line(invoice), discount_percent="12")
    invoice_discount_submit(actor=clerk, invoice=invoice)
    line = invoice_line_update(actor=clerk, line=line, discount_percent="14")
    request = ApprovalRequest.objects.get(target_id=invoice.pk)
    assert request.status == "withdrawn"
    invoice_discount_submit(actor=clerk, invoice=invoice)
    invoice_discount_approve(actor=org.user("rsm_north"), invoice=invoice)
    invoice_line_update(actor=clerk, line=line, discount_percent="10")  # lower: still covered
    assert _state(invoice) == (Decimal("10.00"), Decimal("14.00"))
    invoice_line_update(actor=clerk, line=line, discount_percent="16")  # higher: not any more
    with pytest.raises(ValidationError) as exc:
        invoice_issue(actor=clerk, invoice=invoice)
    assert exc.value.code == "discount_not_approved"


def test_the_batch_names_the_draft_that_needs_approval(org, customer, products):
    clerk = org.user("clerk")
    ok = _draft(org, customer, products)
    blocked = _draft(org, customer, products)
    invoice_line_update(actor=clerk, line=_line(blocked), discount_percent="12")
    invoice_discount_submit(actor=clerk, invoice=blocked)
    with pytest.raises(ValidationError) as exc:
        invoices_issue_batch(actor=clerk, invoices=[ok, blocked])
    (problem,) = exc.value.error_dict[f"invoices.{blocked.pk}"]
    assert problem.code == "discount_not_approved"
    assert "needs approval by Rsm_North" in " ".join(problem.messages)
    assert not Invoice.objects.filter(number__isnull=False).exists()


def test_a_price_at_the_approved_profile_price_needs_no_approval_but_below_it_does(org, customer, products):
    """The customer's approved profile gives 15 %; typing that price is covered by the
    profile's approval, typing 20 % is checked against list price."""
    fm, clerk = org.user("finance_manager"), org.user("clerk")
    profile = price_profile_create(
        actor=fm, party=customer.party, name="Volume", valid_from=datetime.date(2026, 1, 1)
    )
    price_rule_add(actor=fm, profile=profile, product=products["checkup"], discount_percent="15")
    price_profile_submit(actor=fm, profile=profile)
    invoice = _draft(org, customer, products)
    line = _line(invoice)
    assert line.discount_percent == Decimal("15.00") and line.price_source != "manual"
    line = invoice_line_update(actor=clerk, line=line, unit_price="722.50", discount_percent="0")
    assert line.price_source == "manual" and line.manual_discount_percent == Decimal("0.00")
    line = invoice_line_update(actor=clerk, line=line, discount_percent="20", unit_price="850.00")
    assert line.manual_discount_percent == Decimal("20.00")
    assert _state(invoice) == (Decimal("20.00"), Decimal("0.00"))


def test_changing_the_customer_rechecks_typed_prices(org, customer, products):
    clerk = org.user("clerk")
    invoice = _draft(org, customer, products, actor="finance_manager")
    invoice_line_update(actor=org.user("finance_manager"), line=_line(invoice), discount_percent="12")
    assert _state(invoice) == (Decimal("0.00"), Decimal("0.00"))
    other = make_customer(org.company, name="Annat AB", region=org.north)
    invoice_draft_update(actor=clerk, invoice=invoice, party=other.party)
    # The finance manager authorised 12 % before; the clerk's change of customer keeps it.
    assert _state(invoice) == (Decimal("0.00"), Decimal("0.00"))


# ---------------------------------------------------------------- page and API


def test_the_draft_page_shows_who_must_approve_and_the_history(org, customer, products, client_for):
    clerk = org.user("clerk")
    invoice = _draft(org, customer, products)
    invoice_line_update(actor=clerk, line=_line(invoice), discount_percent="12")
    url = reverse("billing:invoice-detail", args=[invoice.pk])
    page = client_for("clerk").get(url).content.decode()
    assert 'data-testid="discount-submit"' in page
    response = client_for("clerk").post(reverse("billing:invoice-discount-submit", args=[invoice.pk]))
    assert response.status_code == 302
    page = client_for("clerk").get(url).content.decode()
    assert 'data-testid="discount-approval"' in page and "Rsm_North" in page
    assert 'data-testid="discount-approve"' not in page
    page = client_for("rsm_north").get(url).content.decode()
    assert 'data-testid="discount-approve"' in page
    response = client_for("rsm_north").post(
        reverse("billing:invoice-discount-approve", args=[invoice.pk]), {"comment": "OK"}
    )
    assert response.status_code == 302
    assert _state(invoice) == (Decimal("12.00"), Decimal("12.00"))
    page = client_for("clerk").get(url).content.decode()
    assert 'data-testid="discount-history"' in page and "OK" in page


def test_the_discount_actions_are_denied_without_permission_or_scope(
    org, customer, south_customer, products, client_for
):
    clerk = org.user("clerk")
    invoice = _draft(org, south_customer, products)
    invoice_line_update(actor=clerk, line=_line(invoice), discount_percent="12")
    assert (
        client_for("auditor").post(reverse("billing:invoice-discount-submit", args=[invoice.pk])).status_code
        == 403
    )
    assert (
        client_for("other_clerk")
        .post(reverse("billing:invoice-discount-submit", args=[invoice.pk]))
        .status_code
        == 404
    )
    invoice_discount_submit(actor=clerk, invoice=invoice)
    # North's regional manager does not see South's customer.
    assert (
        client_for("rsm_north")
        .post(reverse("billing:invoice-discount-approve", args=[invoice.pk]))
        .status_code
        == 404
    )


def test_the_api_reports_the_state_and_refuses_issuing_with_the_code(org, customer, products, client_for):
    clerk = org.user("clerk")
    invoice = _draft(org, customer, products)
    invoice_line_update(actor=clerk, line=_line(invoice), discount_percent="12")
    api = client_for("clerk")
    body = api.get(f"/api/v1/billing/invoices/{invoice.pk}/").json()
    assert body["discount_approval"]["status"] == "needs_approval"
    assert body["discount_approval"]["discount_to_approve_percent"] == "12.00"
    response = api.post(f"/api/v1/billing/invoices/{invoice.pk}/issue/")
    assert response.status_code == 400 and response.json()["code"] == "discount_not_approved"
    response = api.post(f"/api/v1/billing/invoices/{invoice.pk}/discount/submit/")
    assert response.status_code == 200
    assert response.json()["discount_approval"]["status"] == "pending"
    assert response.json()["discount_approval"]["routed_to"] == "rsm_north"
    response = client_for("nsm").post(
        f"/api/v1/billing/invoices/{invoice.pk}/discount/reject/", {}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] in ("invalid", "comment_required")
    response = client_for("nsm").post(
        f"/api/v1/billing/invoices/{invoice.pk}/discount/approve/",
        {"comment": "Fine"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["discount_approval"]["status"] == "approved"
    assert [d["action"] for d in response.json()["discount_approval"]["history"]] == ["submitted", "approved"]
    assert client_for("other_clerk").get(f"/api/v1/billing/invoices/{invoice.pk}/").status_code == 404
    assert (
        client_for("auditor").post(f"/api/v1/billing/invoices/{invoice.pk}/discount/submit/").status_code
        == 403
    )


def test_lines_from_an_approved_source_document_are_authorised_by_its_approver(org, customer, products):
    """A quote's approver covers the typed prices the invoice copies from it (their authority
    is checked: the regional manager's 20 % covers 15 %, not 30 %)."""
    clerk, rsm = org.user("clerk"), org.user("rsm_north")
    invoice = _draft(org, customer, products)
    covered = invoice_line_add(
        actor=clerk,
        invoice=invoice,
        product=products["checkup"],
        discount_percent="15",
        discount_authorised_by=rsm,
    )
    assert covered.discount_authorised_by == rsm
    above = invoice_line_add(
        actor=clerk,
        invoice=invoice,
        product=products["checkup"],
        discount_percent="30",
        discount_authorised_by=rsm,
    )
    assert above.discount_authorised_by is None
    assert _state(invoice) == (Decimal("30.00"), Decimal("0.00"))


def test_a_discount_typed_on_a_new_product_line_applies_to_the_product_price(org, customer, products):
    line = invoice_line_add(
        actor=org.user("finance_manager"),
        invoice=_draft(org, customer, products, actor="finance_manager"),
        product=products["checkup"],
        discount_percent="10",
    )
    assert (line.unit_price_amount, line.discount_percent, line.net_amount, line.price_source) == (
        Decimal("850.00"),
        Decimal("10.00"),
        Decimal("765.00"),
        "manual",
    )
    assert line.manual_discount_percent == Decimal("10.00")
