"""Private customer links: unguessable, stored only as a digest, expiring, revocable, counted,
rate limited; made and revoked only by staff who may change the invoice."""

from __future__ import annotations

import datetime
import hashlib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from frontoffice.billing.models import CustomerLink, Invoice
from frontoffice.billing.services.links import (
    LinkGone,
    LinkNotFound,
    customer_link_list,
    link_create,
    link_failed,
    link_rate_limited,
    link_resolve,
    link_revoke,
)
from frontoffice.billing.tests.document_factories import issue, make_profile, seller_settings
from frontoffice.core.models import AuditEntry

NOW = datetime.datetime(2026, 3, 16, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def invoice(billing, org):
    seller_settings(billing)
    customer = make_profile(billing, owner=org.user("rep_north"), region=org.north)
    return issue(customer, [("Undersökning", "1", "850.00", "SE25")])


@pytest.fixture
def clerk(org):
    return org.user("clerk")


def test_a_link_token_is_256_random_bits_and_only_its_digest_is_stored(invoice, clerk):
    made = link_create(actor=clerk, invoice=invoice)
    other = link_create(actor=clerk, invoice=invoice)
    assert len(made.token) == 43  # token_urlsafe(32): 256 bits
    assert made.token != other.token
    link = CustomerLink.objects.get(pk=made.link.pk)
    assert link.token_hash == hashlib.sha256(made.token.encode()).hexdigest()
    stored = [str(value) for value in CustomerLink.objects.filter(pk=link.pk).values().get().values()]
    assert made.token not in stored
    assert made.path == f"/c/{made.token}/"
    assert link.invoice == invoice
    assert link.created_by == clerk
    assert link.document == CustomerLink.Document.INVOICE


def test_a_link_expires_after_90_days_by_default(invoice, clerk):
    with time_machine.travel(NOW, tick=False):
        made = link_create(actor=clerk, invoice=invoice)
    assert made.link.expires_at == NOW + datetime.timedelta(days=90)
    with time_machine.travel(NOW + datetime.timedelta(days=89, hours=23), tick=False):
        assert link_resolve(made.token).pk == made.link.pk
    with time_machine.travel(NOW + datetime.timedelta(days=90), tick=False), pytest.raises(LinkGone) as exc:
        link_resolve(made.token)
    assert exc.value.reason == "expired"


def test_the_lifetime_is_configurable(invoice, clerk):
    with time_machine.travel(NOW, tick=False):
        assert link_create(actor=clerk, invoice=invoice, days=14).link.expires_at == NOW + datetime.timedelta(
            days=14
        )
        with override_settings(BILLING_LINK_DAYS=30):
            assert link_create(actor=clerk, invoice=invoice).link.expires_at == NOW + datetime.timedelta(
                days=30
            )
    with pytest.raises(ValidationError) as exc:
        link_create(actor=clerk, invoice=invoice, days=0)
    assert exc.value.error_dict["days"][0].code == "invalid_days"


def test_resolving_counts_the_open(invoice, clerk):
    made = link_create(actor=clerk, invoice=invoice)
    assert made.link.use_count == 0
    assert made.link.last_used_at is None
    with time_machine.travel(NOW, tick=False):
        link = link_resolve(made.token)
        link_resolve(made.token)
    assert link.invoice == invoice
    link.refresh_from_db()
    assert link.use_count == 2
    assert link.last_used_at == NOW


@pytest.mark.parametrize("token", ["", "x", "a" * 43, "a" * 42 + "!", "../../etc/passwd", "a" * 44])
def test_unknown_and_malformed_tokens_are_not_found(invoice, clerk, token):
    link_create(actor=clerk, invoice=invoice)
    with pytest.raises(LinkNotFound):
        link_resolve(token)


def test_a_revoked_link_is_gone_at_once(invoice, clerk, org):
    made = link_create(actor=clerk, invoice=invoice)
    revoked = link_revoke(actor=org.user("finance_manager"), link=made.link)
    assert revoked.revoked_at is not None
    assert revoked.revoked_by == org.user("finance_manager")
    with pytest.raises(LinkGone) as exc:
        link_resolve(made.token)
    assert exc.value.reason == "revoked"
    # revoking again changes nothing
    again = link_revoke(actor=clerk, link=made.link)
    assert again.revoked_at == revoked.revoked_at
    assert again.revoked_by == org.user("finance_manager")
    assert AuditEntry.objects.filter(action="billing.customer_link.revoked").count() == 1


def test_making_a_link_is_audited(invoice, clerk):
    made = link_create(actor=clerk, invoice=invoice)
    entry = AuditEntry.objects.get(action="billing.customer_link.created")
    assert entry.object_id == str(made.link.pk)
    assert entry.actor == clerk
    assert made.token not in str(entry.changes)


@pytest.mark.parametrize("persona", ["auditor", "rep_north", "receptionist", "nobody"])
def test_only_staff_who_may_change_invoices_make_or_revoke_links(invoice, clerk, org, persona):
    made = link_create(actor=clerk, invoice=invoice)
    with pytest.raises(PermissionDenied):
        link_create(actor=org.user(persona), invoice=invoice)
    with pytest.raises(PermissionDenied):
        link_revoke(actor=org.user(persona), link=made.link)
    made.link.refresh_from_db()
    assert made.link.revoked_at is None


def test_another_companys_clerk_cannot_touch_the_links(invoice, clerk, org):
    made = link_create(actor=clerk, invoice=invoice)
    with pytest.raises(PermissionDenied):
        link_create(actor=org.user("other_clerk"), invoice=invoice)
    with pytest.raises(PermissionDenied):
        link_revoke(actor=org.user("other_clerk"), link=made.link)
    assert list(customer_link_list(user=org.user("other_clerk"), invoice=invoice)) == []
    assert list(customer_link_list(user=clerk, invoice=invoice)) == [made.link]


def test_a_draft_cannot_be_shared(invoice, clerk):
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.DRAFT, number=None, issue_on=None)
    invoice.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        link_create(actor=clerk, invoice=invoice)
    assert exc.value.code == "not_issued"
    assert CustomerLink.objects.count() == 0


@override_settings(BILLING_LINK_LIMIT_PER_TOKEN=3, BILLING_LINK_LIMIT_PER_ADDRESS=100)
def test_requests_per_token_are_limited():
    results = [link_rate_limited(address=f"10.0.0.{n}", token="t" * 43) for n in range(5)]
    assert results == [False, False, False, True, True]
    assert link_rate_limited(address="10.0.0.9", token="u" * 43) is False


@override_settings(BILLING_LINK_LIMIT_PER_ADDRESS=3, BILLING_LINK_LIMIT_PER_TOKEN=100)
def test_requests_per_address_are_limited():
    results = [link_rate_limited(address="192.0.2.1", token=f"{n}" * 43) for n in range(5)]
    assert results == [False, False, False, True, True]
    assert link_rate_limited(address="192.0.2.2", token="z" * 43) is False


@override_settings(BILLING_LINK_FAILURES_PER_ADDRESS=2)
def test_an_address_that_guesses_is_stopped():
    assert link_rate_limited(address="192.0.2.7", token="a" * 43) is False
    link_failed(address="192.0.2.7")
    link_failed(address="192.0.2.7")
    assert link_rate_limited(address="192.0.2.7", token="b" * 43) is True
    assert link_rate_limited(address="192.0.2.8", token="b" * 43) is False


def test_the_window_ends(settings):
    settings.BILLING_LINK_LIMIT_PER_TOKEN = 1
    settings.BILLING_LINK_WINDOW_SECONDS = 60
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert link_rate_limited(address="", token="w" * 43) is False
        assert link_rate_limited(address="", token="w" * 43) is True
        traveller.shift(61)
        assert link_rate_limited(address="", token="w" * 43) is False
