"""Journey 6 end to end in headless Chromium: a sales rep sets up billing for their customer
from the customer page, drafts a price profile with 12 % on one product group and submits it;
12 % is above the rep's 10 %, so it is routed to the regional sales manager, who approves it
with a comment from their approval queue; the clerk's next invoice for the customer prices a
product of that group with 12 % by itself and says where the price comes from; the profile's
approval history shows the submission and the approval.

Only the set-up (the company's ledger and billing, the product group and its products, the
customer) is written directly, through services; everything else goes through the pages.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from frontoffice.billing.tests.conftest import billing, ledger  # noqa: F401 - fixtures used below
from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"
CUSTOMER = "Fjällbjörk Tandvård AB"


@pytest.fixture
def catalogue(billing, org):  # noqa: F811 - the imported billing fixture
    """Group TAND (dental care) with a check-up; a book outside the group; rep North's
    customer without a billing profile yet."""
    from frontoffice.billing.tests.catalogue_factories import make_group, make_product, vat
    from frontoffice.parties.services import party_create

    manager = org.user("finance_manager")
    group = make_group(manager, billing, code="TAND", name="Tandvård")
    checkup = make_product(
        manager, billing, code="UND-01", name="Undersökning", unit_price_amount=Decimal("850.00"), group=group
    )
    book = make_product(
        manager,
        billing,
        code="BOK-01",
        name="Tandvårdsboken",
        unit_price_amount=Decimal("199.00"),
        vat_code=vat(billing, "SE06"),
    )
    party = party_create(
        actor=org.user("rep_north"),
        kind="organisation",
        organisation_name=CUSTOMER,
        organisation_number="556812-1239",
        email="ekonomi@fjallbjork.example",
        street="Fjällvägen 3",
        postal_code="98131",
        city="Kiruna",
        region=org.north,
        owner=org.user("rep_north"),
    )
    return SimpleNamespace(group=group, checkup=checkup, book=book, party=party)


def test_rep_drafts_a_discount_above_authority_manager_approves_invoice_uses_it(
    page, live_server, org, catalogue
):
    from frontoffice.billing.models import BillingProfile, Invoice
    from frontoffice.pricing.models import ApprovalDecision, PriceProfile

    today = timezone.localdate()
    valid_to = datetime.date(today.year + 1, 12, 31)

    # ---- the rep opens their customer and sets up billing from the customer page's card
    login(page, live_server, "rep_north")
    page.click("[data-nav=parties]")
    page.get_by_role("link", name=CUSTOMER).first.click()
    expect(page.locator("h1")).to_have_text(CUSTOMER)
    card = page.get_by_test_id("billing-profile-panel")
    card.get_by_role("link", name="Set up billing").click()
    expect(page.locator("h1")).to_have_text("New billing profile")
    assert page.input_value("#id_legal_name") == CUSTOMER  # filled in from the customer
    assert page.input_value("#id_vat_number") == "SE556812123901"
    page.get_by_role("button", name="Create billing profile").click()
    expect(page.locator("h1")).to_have_text(CUSTOMER)
    expect(card).to_contain_text("556812-1239")
    expect(card).to_contain_text("ekonomi@fjallbjork.example")
    billing_profile = BillingProfile.objects.get(party=catalogue.party)
    assert billing_profile.legal_name == CUSTOMER

    # ---- a price profile: 12 % on the dental care group, with effective dates
    page.click("[data-nav=price-profiles]")
    page.get_by_test_id("profile-create").click()
    page.select_option("#id_party", label=CUSTOMER)
    page.fill("#id_name", "Volym 2026")
    page.fill("#id_valid_from", today.isoformat())
    page.fill("#id_valid_to", valid_to.isoformat())
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("profile-heading")).to_have_text("Price profile Volym 2026")

    rule_form = page.get_by_test_id("rule-add-form")
    rule_form.locator("#id_kind").select_option("percent")
    rule_form.locator("#id_product_group").select_option(label=str(catalogue.group))
    rule_form.locator("#id_discount_percent").fill("12")
    rule_form.get_by_role("button", name="Add rule").click()
    rule = page.get_by_test_id("rule-row")
    expect(rule).to_have_count(1)
    expect(rule).to_contain_text("Group TAND Tandvård")
    expect(rule).to_contain_text("12.00 %")

    page.get_by_test_id("profile-submit").click()
    expect(page.get_by_test_id("pending-notice")).to_contain_text("12.00 %")
    expect(page.get_by_test_id("pending-notice")).to_contain_text("Rsm_North Test")
    profile = PriceProfile.objects.get(party=catalogue.party)
    assert (profile.status, profile.max_discount_percent) == ("pending_approval", Decimal("12.00"))
    assert (profile.valid_from, profile.valid_to) == (today, valid_to)
    submitted = page.locator("[data-testid=decision-row][data-action=submitted]")
    expect(submitted).to_have_count(1)
    expect(submitted).to_contain_text("Rep_North Test")
    expect(submitted).to_contain_text("Rsm_North Test")  # routed to
    expect(page.get_by_test_id("decide")).to_have_count(0)  # never their own approval

    # ---- the regional sales manager finds it in their approval queue and approves it
    login(page, live_server, "rsm_north")
    page.click("[data-nav=approvals]")
    request_row = page.get_by_test_id("approval-row")
    expect(request_row).to_have_count(1)
    expect(request_row).to_contain_text(CUSTOMER)
    expect(request_row).to_contain_text("12.00 %")
    request_row.get_by_role("link").first.click()
    decide = page.get_by_test_id("decide")
    expect(decide).to_contain_text("12.00 %")
    decide.locator("textarea[name=comment]").fill("OK: två kliniker, volym över 200 besök per år.")
    page.get_by_test_id("profile-approve").click()
    expect(page.get_by_test_id("approval-results")).to_contain_text("Nothing waits for your approval.")
    profile.refresh_from_db()
    assert (profile.status, profile.approved_by) == ("approved", org.user("rsm_north"))

    # ---- the clerk's invoice prices the group's product with 12 % by itself
    login(page, live_server, "clerk")
    page.click("[data-nav=invoices]")
    page.get_by_test_id("invoice-create").click()
    page.select_option("#id_customer", label=CUSTOMER)
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_test_id("invoice-heading")).to_have_text("Draft invoice")
    page.select_option("#id_line-product", label="UND-01 Undersökning")
    page.fill("#id_line-quantity", "2")
    # 2 x 850.00 less 12 % = 1,496.00
    expect(page.get_by_test_id("line-preview")).to_contain_text(f"This line: SEK{NBSP}1,496.00.")
    page.get_by_test_id("line-add").click()
    lines = page.get_by_test_id("invoice-line")
    expect(lines).to_have_count(1)  # the lines region is back (with a fresh form)
    page.select_option("#id_line-product", label="BOK-01 Tandvårdsboken")
    page.fill("#id_line-quantity", "1")
    page.get_by_test_id("line-add").click()
    expect(lines).to_have_count(2)
    discounted, list_priced = lines.nth(0), lines.nth(1)
    expect(discounted).to_contain_text("12 %")
    expect(discounted).to_contain_text(f"SEK{NBSP}1,496.00")
    expect(discounted).to_contain_text("Price profile “Volym 2026” (approved by Rsm_North Test)")
    expect(list_priced).not_to_contain_text("Price profile")
    expect(list_priced).to_contain_text(f"SEK{NBSP}199.00")
    invoice = Invoice.objects.get()
    priced = {line.line_no: line for line in invoice.lines.all()}
    assert (priced[1].unit_price_amount, priced[1].discount_percent, priced[1].net_amount) == (
        Decimal("850.00"),
        Decimal("12.00"),
        Decimal("1496.00"),
    )
    assert "Volym 2026" in priced[1].price_source
    assert (priced[2].discount_percent, priced[2].net_amount) == (Decimal("0.00"), Decimal("199.00"))

    # ---- every decision is on the profile's history (the rep looks) and on the audit trail
    login(page, live_server, "rep_north")
    page.goto(f"{live_server.url}/pricing/profiles/{profile.pk}/")
    history = page.get_by_test_id("decision-row")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_have_attribute("data-action", "submitted")
    expect(history.nth(1)).to_have_attribute("data-action", "approved")
    expect(history.nth(1)).to_contain_text("Rsm_North Test")
    expect(history.nth(1)).to_contain_text("två kliniker")
    expect(page.get_by_test_id("approved-by")).to_contain_text("Rsm_North Test")
    expect(page.locator("#audit-heading")).to_have_count(0)  # the trail is not a rep's to read
    login(page, live_server, "finance_manager")
    page.goto(f"{live_server.url}/pricing/profiles/{profile.pk}/")
    audit = page.locator("section[aria-labelledby=audit-heading]")
    expect(audit).to_contain_text("pricing.price_profile.submitted")
    expect(audit).to_contain_text("pricing.price_profile.approved")
    assert list(
        ApprovalDecision.objects.filter(request__target_id=profile.pk).values_list(
            "action", "actor__username", "discount_percent"
        )
    ) == [
        ("submitted", "rep_north", Decimal("12.00")),
        ("approved", "rsm_north", Decimal("12.00")),
    ]
