"""Pricing pages per persona: price profile list and page, drafting with HTMX rule editing,
submit, the approval queue, approve/reject with a comment, discount authority settings."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from frontoffice.org.models import Role
from frontoffice.pricing.models import DiscountAuthority, PriceProfile, PriceRule
from frontoffice.pricing.services.profiles import price_profile_create, price_profile_submit, price_rule_add
from frontoffice.pricing.tests.test_line_price import approved

pytestmark = pytest.mark.django_db

LIST = reverse("pricing:profile-list")
QUEUE = reverse("pricing:approval-list")
AUTHORITY = reverse("pricing:authority-settings")
HX = {"HTTP_HX_REQUEST": "true"}


def url(name, profile, *args):
    return reverse(f"pricing:{name}", args=[profile.pk, *args])


@pytest.fixture
def make(org, catalogue):
    """``make(party, actor=..., percent=..., submit=...)``: a profile with one discount on the
    dental group, drafted (and optionally submitted) by ``actor``."""

    def _make(party, actor="rep_north", percent="12", name="Volume 2026", submit=False):
        profile = price_profile_create(
            actor=org.user(actor), party=party, name=name, valid_from=datetime.date(2026, 1, 1)
        )
        price_rule_add(
            actor=org.user(actor), profile=profile, product_group=catalogue.dental, discount_percent=percent
        )
        if submit:
            price_profile_submit(actor=org.user(actor), profile=profile)
        profile.refresh_from_db()
        return profile

    return _make


# ---------------------------------------------------------------- list and scope


def test_the_list_shows_only_profiles_of_visible_customers(make, org, customers, client_for):
    make(customers.north, name="North deal")
    make(customers.south, actor="rep_south", name="South deal")
    seen = {
        persona: client_for(persona).get(LIST).content.decode()
        for persona in ("rep_north", "rep_south", "rsm_north", "finance_manager", "other_clerk")
    }
    assert "North deal" in seen["rep_north"] and "South deal" not in seen["rep_north"]
    assert "South deal" in seen["rep_south"] and "North deal" not in seen["rep_south"]
    assert "North deal" in seen["rsm_north"] and "South deal" not in seen["rsm_north"]
    assert "North deal" in seen["finance_manager"] and "South deal" in seen["finance_manager"]
    assert "deal" not in seen["other_clerk"]


@pytest.mark.parametrize("persona", ["receptionist", "office_manager", "nobody"])
def test_roles_without_pricing_get_403(make, org, customers, client_for, persona):
    profile = make(customers.north)
    assert client_for(persona).get(LIST).status_code == 403
    assert client_for(persona).get(url("profile-detail", profile)).status_code == 403


@pytest.mark.parametrize("persona", ["rep_south", "other_clerk"])
def test_a_profile_outside_the_scope_is_404(make, org, customers, client_for, persona):
    profile = make(customers.north, submit=True)
    client = client_for(persona)
    assert client.get(url("profile-detail", profile)).status_code == 404
    assert client.get(LIST, {"party": customers.north.pk}).status_code == 404


def test_the_list_filters_by_status_and_answers_htmx_with_the_fragment(make, org, customers, client_for):
    make(customers.north, name="Waiting", submit=True)
    make(customers.north, name="Still a draft")
    response = client_for("rep_north").get(LIST, {"status": "pending_approval"}, **HX)
    body = response.content.decode()
    assert "<html" not in body and 'id="profile-results"' in body
    assert "Waiting" in body and "Still a draft" not in body


def test_the_list_query_count_does_not_grow_with_rows(
    make, org, customers, client_for, django_assert_max_num_queries
):
    make(customers.north, name="One")
    client = client_for("finance_manager")
    client.get(LIST)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for n in range(8):
        make(
            customers.north if n % 2 else customers.south,
            actor="rep_north" if n % 2 else "rep_south",
            name=f"P{n}",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert response.content.decode().count('data-testid="profile-row"') == 9


# ---------------------------------------------------------------- drafting


def test_a_rep_drafts_from_the_customer_and_adds_rules_with_htmx(org, customers, catalogue, client_for):
    client = client_for("rep_north")
    create = reverse("pricing:profile-create") + f"?party={customers.north.pk}"
    assert client.get(create).status_code == 200
    response = client.post(
        create,
        {
            "party_fixed": customers.north.pk,
            "name": "Volume 2026",
            "valid_from": "2026-01-01",
            "valid_to": "",
        },
    )
    profile = PriceProfile.objects.get()
    assert response.status_code == 302 and response["Location"] == url("profile-detail", profile)
    assert (profile.party, profile.created_by) == (customers.north, org.user("rep_north"))

    response = client.post(
        url("rule-add", profile),
        {
            "kind": "percent",
            "product_group": catalogue.dental.pk,
            "discount_percent": "12,5",
            "min_quantity": "",
        },
        **HX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="rules"' in body
    rule = PriceRule.objects.get()
    assert rule.discount_percent == Decimal("12.50")
    assert "12.50 %" in body

    response = client.post(
        url("rule-add", profile),
        {"kind": "percent", "product_group": catalogue.hygiene.pk, "discount_percent": "101"},
        **HX,
    )
    assert "Enter a discount between 0 and 100 %." in response.content.decode()
    assert PriceRule.objects.count() == 1

    response = client.get(url("rule-edit", profile, rule.pk), **HX)
    assert 'data-testid="rule-edit-form"' in response.content.decode()
    client.post(
        url("rule-edit", profile, rule.pk),
        {
            f"rule{rule.pk}-kind": "percent",
            f"rule{rule.pk}-product_group": catalogue.dental.pk,
            f"rule{rule.pk}-discount_percent": "9",
        },
        **HX,
    )
    rule.refresh_from_db()
    assert rule.discount_percent == Decimal("9.00")

    client.post(url("rule-remove", profile, rule.pk), **HX)
    assert PriceRule.objects.count() == 0


def test_a_rep_cannot_draft_for_another_reps_customer(org, customers, client_for):
    client = client_for("rep_north")
    assert client.get(reverse("pricing:profile-create") + f"?party={customers.south.pk}").status_code == 404
    response = client.post(
        reverse("pricing:profile-create"),
        {"party": customers.south.pk, "name": "X", "valid_from": "2026-01-01"},
    )
    assert response.status_code == 200 and "party" in response.context["form"].errors
    assert not PriceProfile.objects.exists()


def test_someone_else_cannot_touch_the_rules_of_a_profile_they_cannot_see(
    make, org, customers, catalogue, client_for
):
    profile = make(customers.north)
    rule = profile.rules.get()
    client = client_for("rep_south")
    assert client.post(url("rule-remove", profile, rule.pk)).status_code == 404
    assert (
        client.post(
            url("rule-add", profile),
            {"kind": "percent", "product_group": catalogue.hygiene.pk, "discount_percent": "5"},
        ).status_code
        == 404
    )
    assert client_for("clerk").post(url("rule-remove", profile, rule.pk)).status_code == 403
    assert PriceRule.objects.count() == 1


# ---------------------------------------------------------------- submit, queue, decide


def test_submit_above_authority_routes_and_the_queue_shows_it(
    make, org, customers, client_for, django_capture_on_commit_callbacks
):
    profile = make(customers.north)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("rep_north").post(url("profile-submit", profile), follow=True)
    assert "has been asked to approve it" in response.content.decode()
    profile.refresh_from_db()
    assert profile.status == PriceProfile.Status.PENDING_APPROVAL
    assert [m.to for m in mail.outbox] == [["rsm_north@example.com"]]

    body = client_for("rsm_north").get(QUEUE).content.decode()
    assert (
        "Volume 2026" in body
        and "12.00 %" in body
        and "Norrsken Bygg AB" in body
        and "Rep_North Test" in body
    )
    assert 'data-testid="approval-row"' not in client_for("nsm").get(QUEUE).content.decode()
    # Everyone whose authority covers it may find it under "all I may decide".
    assert "Volume 2026" in client_for("finance_manager").get(QUEUE, {"show": "all"}).content.decode()


@pytest.mark.parametrize(
    "persona", ["rep_north", "rep_south", "clerk", "auditor", "other_clerk", "receptionist"]
)
def test_the_approval_queue_is_for_approvers_only(org, client_for, persona):
    assert client_for(persona).get(QUEUE).status_code == 403


def test_the_queue_query_count_does_not_grow(make, org, customers, client_for, django_assert_max_num_queries):
    make(customers.north, name="First", submit=True)
    client = client_for("finance_manager")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(QUEUE, {"show": "all"})
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE, {"show": "all"})
    for n in range(6):
        make(customers.north, name=f"P{n}", percent="15", submit=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(QUEUE, {"show": "all"})
    assert response.content.decode().count('data-testid="approval-row"') == 7


def test_the_regional_manager_approves_with_a_comment_and_the_history_shows_it(
    make, org, customers, client_for
):
    profile = make(customers.north, submit=True)
    client = client_for("rsm_north")
    page = client.get(url("profile-detail", profile)).content.decode()
    assert 'data-testid="decide"' in page
    response = client.post(url("profile-approve", profile), {"comment": "OK for 2026."})
    assert response.status_code == 302 and response["Location"] == QUEUE
    profile.refresh_from_db()
    assert (profile.status, profile.approved_by) == (PriceProfile.Status.APPROVED, org.user("rsm_north"))
    page = client_for("rep_north").get(url("profile-detail", profile)).content.decode()
    assert page.count('data-testid="decision-row"') == 2
    assert 'data-action="approved"' in page and "OK for 2026." in page
    assert 'data-testid="decide"' not in page


def test_rejecting_needs_a_comment(make, org, customers, client_for):
    profile = make(customers.north, submit=True)
    client = client_for("rsm_north")
    response = client.post(url("profile-reject", profile), {"comment": ""})
    assert response.status_code == 200
    assert response.context["decision_form"].errors["comment"] == ["Say why it is rejected."]
    profile.refresh_from_db()
    assert profile.status == PriceProfile.Status.PENDING_APPROVAL
    client.post(url("profile-reject", profile), {"comment": "Too much."})
    profile.refresh_from_db()
    assert profile.status == PriceProfile.Status.REJECTED


def test_a_rep_cannot_approve_and_the_author_cannot_approve_their_own(make, org, customers, client_for):
    profile = make(customers.north, submit=True)
    assert client_for("rep_north").post(url("profile-approve", profile)).status_code == 403
    own = make(customers.north, actor="rsm_north", percent="25", name="Manager's own", submit=True)
    client = client_for("rsm_north")
    assert 'data-testid="decide"' not in client.get(url("profile-detail", own)).content.decode()
    response = client.post(url("profile-approve", own), follow=True)
    assert "You cannot decide on your own price profile" in response.content.decode()
    own.refresh_from_db()
    assert own.status == PriceProfile.Status.PENDING_APPROVAL


def test_an_approver_outside_the_scope_gets_404(make, org, customers, client_for):
    profile = make(customers.south, actor="rep_south", submit=True)
    assert client_for("rsm_north").post(url("profile-approve", profile), {"comment": "x"}).status_code == 404
    assert client_for("other_clerk").post(url("profile-approve", profile)).status_code == 403
    profile.refresh_from_db()
    assert profile.status == PriceProfile.Status.PENDING_APPROVAL


def test_a_pending_profile_is_withdrawn(make, org, customers, client_for):
    profile = make(customers.north, submit=True)
    client_for("rep_north").post(url("profile-withdraw", profile), {"comment": "Lost the deal"})
    profile.refresh_from_db()
    assert profile.status == PriceProfile.Status.WITHDRAWN


def test_an_approved_profile_page_names_the_approver(org, customers, catalogue, client_for):
    profile = approved(
        org, customers.north, [{"product": catalogue.exam, "kind": "fixed_price", "unit_price_amount": "850"}]
    )
    page = client_for("auditor").get(url("profile-detail", profile)).content.decode()
    assert 'data-testid="approved-by"' in page and "Finance_Manager Test" in page
    assert "15.00 %" in page
    assert 'data-testid="profile-submit"' not in page and 'data-testid="rule-add-form"' not in page


# ---------------------------------------------------------------- discount authority


def test_the_finance_manager_sets_discount_authority(org, client_for):
    client = client_for("finance_manager")
    response = client.get(AUTHORITY)
    assert response.status_code == 200
    rep = Role.objects.get(code="sales_rep")
    field = f"role_{rep.pk}"
    assert response.context["form"][field].value() == "10.00"
    data = {name: f.initial for name, f in response.context["form"].fields.items()}
    data[field] = "5"
    response = client.post(AUTHORITY, data)
    assert response.status_code == 302
    assert DiscountAuthority.objects.get(role=rep).max_discount_percent == Decimal("5.00")
    # Only the changed role got a row.
    assert DiscountAuthority.objects.count() == 1
    data[field] = "120"
    response = client.post(AUTHORITY, data)
    assert response.context["form"].errors[field] == ["Enter a discount between 0 and 100 %."]


@pytest.mark.parametrize(
    ("persona", "get", "post"),
    [
        ("auditor", 200, 403),
        ("admin", 200, 403),
        ("rsm_north", 403, 403),
        ("rep_north", 403, 403),
        ("clerk", 403, 403),
        ("other_clerk", 403, 403),
    ],
)
def test_discount_authority_settings_per_persona(org, client_for, persona, get, post):
    client = client_for(persona)
    assert client.get(AUTHORITY).status_code == get
    rep = Role.objects.get(code="sales_rep")
    assert client.post(AUTHORITY, {f"role_{rep.pk}": "50"}).status_code == post
    assert not DiscountAuthority.objects.exists()


def test_navigation_follows_the_permissions(org, client_for):
    nav = {
        persona: {
            item["key"]
            for item in client_for(persona).get(reverse("core:home")).context["nav_main"]
            + client_for(persona).get(reverse("core:home")).context["nav_settings"]
        }
        for persona in ("rep_north", "rsm_north", "finance_manager", "receptionist")
    }
    assert {"price-profiles"} <= nav["rep_north"] and "approvals" not in nav["rep_north"]
    assert {"price-profiles", "approvals"} <= nav["rsm_north"] and "discount-authority" not in nav[
        "rsm_north"
    ]
    assert {"price-profiles", "approvals", "discount-authority"} <= nav["finance_manager"]
    assert not {"price-profiles", "approvals", "discount-authority"} & nav["receptionist"]


def test_the_django_admin_shows_pricing_read_only(make, org, customers, client):
    from frontoffice.org.models import User

    profile = make(customers.north, submit=True)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    for name in ("priceprofile", "approvalrequest", "discountauthority"):
        assert client.get(reverse(f"admin:pricing_{name}_changelist")).status_code == 200
    page = client.get(reverse("admin:pricing_priceprofile_change", args=[profile.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
