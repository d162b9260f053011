"""Quote services: numbering, pricing by the customer's profile, discount authority and
approval, sending, the customer's answer, expiry, invoicing once, repeat orders, scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.billing.models import Invoice
from frontoffice.core.models import AuditEntry
from frontoffice.parties.models import Interaction
from frontoffice.parties.tests.factories import make_party
from frontoffice.pricing.selectors import approval_history
from frontoffice.quotes.models import Quote, QuoteCounter
from frontoffice.quotes.services import (
    quote_accept,
    quote_approval_request,
    quote_approve,
    quote_create,
    quote_decline,
    quote_from_invoice,
    quote_line_add,
    quote_line_update,
    quote_reject,
    quote_send,
    quote_to_invoice,
    quotes_expire,
)

pytestmark = pytest.mark.django_db


def actions(quote):
    return list(AuditEntry.objects.for_object(quote).order_by("pk").values_list("action", flat=True))


def test_numbers_are_consecutive_per_legal_entity_and_year(org, world):
    rep = org.user("rep_north")
    first = quote_create(actor=rep, party=world.north)
    second = quote_create(actor=rep, party=world.north)
    assert (first.year, first.number, first.reference) == (2026, 1, "Q2026-00001")
    assert second.reference == "Q2026-00002"
    assert QuoteCounter.objects.get(legal_entity=org.company, year=2026).next_number == 3
    assert first.owner == rep and first.region == org.north
    assert first.valid_until == datetime.date(2026, 4, 15)
    assert (first.currency, first.language, first.recipient_email) == ("SEK", "en", "faktura@kund.example")
    assert actions(first) == ["quotes.quote.created"]


def test_product_lines_are_priced_by_the_approved_profile_and_totals_by_billing(org, world):
    rep = org.user("rep_north")
    quote = quote_create(
        actor=rep,
        party=world.north,
        lines=[
            {"product": world.catalogue.exam, "quantity": "2"},
            {"product": world.catalogue.soft, "quantity": "3"},
        ],
    )
    exam, soft = quote.lines.order_by("line_no")
    assert (exam.unit_price_amount, exam.discount_percent, exam.net_amount) == (
        Decimal("1000.00"),
        Decimal("15.00"),
        Decimal("1700.00"),
    )
    assert "Avtal 2026" in exam.price_source
    assert (soft.unit_price_amount, soft.discount_percent, soft.net_amount) == (
        Decimal("300.00"),
        Decimal("0.00"),
        Decimal("900.00"),
    )
    assert (quote.net_amount, quote.vat_amount, quote.total_amount) == (
        Decimal("2600.00"),
        Decimal("650.00"),
        Decimal("3250.00"),
    )
    assert quote.discount_percent == Decimal("0.00")  # the profile's discount is approved already


def test_bad_lines_write_nothing_and_name_the_field(org, world):
    rep = org.user("rep_north")
    with pytest.raises(ValidationError) as caught:
        quote_create(
            actor=rep,
            party=world.north,
            lines=[
                {"product": world.catalogue.exam, "quantity": "-1"},
                {"description": "Extra", "unit_price": "10"},
            ],
        )
    assert set(caught.value.error_dict) == {"lines.0.quantity", "lines.1.vat_code"}
    assert Quote.objects.count() == 0
    assert not QuoteCounter.objects.filter(next_number__gt=1).exists()


def test_a_discount_within_the_reps_authority_is_sent_without_approval(org, world):
    rep = org.user("rep_north")
    quote = quote_create(
        actor=rep, party=world.north, lines=[{"product": world.catalogue.soft, "discount_percent": "10"}]
    )
    assert quote.discount_percent == Decimal("10.00")
    sent = quote_send(actor=rep, quote=quote)
    assert sent.status == Quote.Status.SENT


def test_a_typed_price_is_measured_against_the_profile_price(org, world):
    rep = org.user("rep_north")
    quote = quote_create(
        actor=rep, party=world.north, lines=[{"product": world.catalogue.exam, "unit_price": "800"}]
    )
    line = quote.lines.get()
    assert (line.price_source, line.reference_unit_amount) == ("manual", Decimal("850.00"))
    # (850 - 800) / 850 = 5.882..., rounded up
    assert quote.discount_percent == Decimal("5.89")


def test_a_discount_above_authority_is_routed_approved_and_then_sent(
    org, world, django_capture_on_commit_callbacks
):
    rep, nsm = org.user("rep_north"), org.user("nsm")
    quote = quote_create(
        actor=rep, party=world.north, lines=[{"product": world.catalogue.soft, "discount_percent": "25"}]
    )
    with pytest.raises(ValidationError) as caught:
        quote_send(actor=rep, quote=quote)
    assert caught.value.code == "approval_required"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        quote = quote_approval_request(actor=rep, quote=quote)
    # 25 % is above the regional manager's 20 %: the national sales manager gets it
    assert quote.approval_status == Quote.Approval.PENDING
    assert [m.to for m in mail.outbox] == [[nsm.email]]
    with pytest.raises(ValidationError) as caught:
        quote_send(actor=rep, quote=quote)
    assert caught.value.code == "approval_pending"
    with pytest.raises(ValidationError) as caught:
        quote_approve(actor=org.user("rsm_north"), quote=quote)
    assert caught.value.code == "above_authority"
    quote = quote_approve(actor=nsm, quote=quote, comment="Strategic customer")
    assert (quote.approval_status, quote.approved_discount_percent) == (
        Quote.Approval.APPROVED,
        Decimal("25.00"),
    )
    assert quote_send(actor=rep, quote=quote).status == Quote.Status.SENT
    history = approval_history(quote)
    assert [(d.action, d.actor_id) for d in history] == [("submitted", rep.pk), ("approved", nsm.pk)]
    assert "quotes.quote.approved" in actions(quote)


def test_the_author_never_approves_their_own_discount_and_a_rejection_needs_a_comment(org, world):
    rsm = org.user("rsm_north")
    quote = quote_create(
        actor=rsm, party=world.north, lines=[{"product": world.catalogue.soft, "discount_percent": "30"}]
    )
    quote = quote_approval_request(actor=rsm, quote=quote)
    with pytest.raises(ValidationError) as caught:
        quote_approve(actor=rsm, quote=quote)
    assert caught.value.code == "self_approval"
    with pytest.raises(ValidationError):
        quote_reject(actor=org.user("nsm"), quote=quote, comment=" ")
    quote = quote_reject(actor=org.user("nsm"), quote=quote, comment="Too low")
    assert quote.approval_status == Quote.Approval.REJECTED
    with pytest.raises(ValidationError) as caught:
        quote_send(actor=rsm, quote=quote)
    assert caught.value.code == "approval_required"


def test_raising_the_discount_after_approval_asks_again(org, world):
    rep, rsm = org.user("rep_north"), org.user("rsm_north")
    quote = quote_create(
        actor=rep, party=world.north, lines=[{"product": world.catalogue.soft, "discount_percent": "15"}]
    )
    quote = quote_approval_request(actor=rep, quote=quote)
    quote = quote_approve(actor=rsm, quote=quote)
    line = quote.lines.get()
    quote_line_update(actor=rep, line=line, discount_percent="12")
    quote.refresh_from_db()
    assert quote.approval_status == Quote.Approval.APPROVED  # lower than approved: still fine
    quote_line_update(actor=rep, line=line, discount_percent="18")
    quote.refresh_from_db()
    assert quote.approval_status == Quote.Approval.NONE
    with pytest.raises(ValidationError):
        quote_send(actor=rep, quote=quote)


def test_sending_emails_the_pdf_and_a_link_and_records_an_interaction(
    org, world, django_capture_on_commit_callbacks
):
    rep = org.user("rep_north")
    quote = quote_create(actor=rep, party=world.north, lines=[{"product": world.catalogue.exam}])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        quote = quote_send(actor=rep, quote=quote)
    assert (quote.status, quote.sent_by) == (Quote.Status.SENT, rep)
    [message] = mail.outbox
    assert message.to == ["faktura@kund.example"]
    assert "Q2026-00001" in message.subject
    assert "/q/" in message.body
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == ("Q2026-00001.pdf", "application/pdf") and content.startswith(b"%PDF")
    interaction = Interaction.objects.get(party=world.north)
    assert (interaction.kind, interaction.direction) == ("email", "outbound")
    assert quote.links.count() == 1
    assert actions(quote)[-1] == "quotes.quote.sent"


def test_a_quote_without_lines_or_past_its_validity_is_not_sent(org, world):
    rep = org.user("rep_north")
    quote = quote_create(actor=rep, party=world.north)
    with pytest.raises(ValidationError) as caught:
        quote_send(actor=rep, quote=quote)
    assert caught.value.code == "no_lines"
    quote_line_add(actor=rep, quote=quote, product=world.catalogue.exam)
    Quote.objects.filter(pk=quote.pk).update(valid_until=datetime.date(2026, 3, 15))
    with pytest.raises(ValidationError) as caught:
        quote_send(actor=rep, quote=quote)
    assert caught.value.error_dict["valid_until"][0].code == "validity_passed"


def sent_quote(org, world, party=None, **kw):
    rep = org.user("rep_north" if party is None else "rep_south")
    quote = quote_create(
        actor=rep,
        party=party or world.north,
        lines=[{"product": world.catalogue.exam, "quantity": "2"}],
        **kw,
    )
    return quote_send(actor=rep, quote=quote)


def test_accepting_records_the_name_an_interaction_and_emails_the_owner(
    org, world, django_capture_on_commit_callbacks
):
    quote = sent_quote(org, world)
    with pytest.raises(ValidationError) as caught:
        quote_accept(quote=quote, name="Anna Berg", confirmed=False)
    assert set(caught.value.error_dict) == {"confirm"}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        quote = quote_accept(quote=quote, name="Anna  Berg", confirmed=True)
    assert (quote.status, quote.accepted_by_name) == (Quote.Status.ACCEPTED, "Anna Berg")
    assert [m.to for m in mail.outbox] == [[org.user("rep_north").email]]
    assert Interaction.objects.filter(party=world.north, direction="inbound", channel="web").count() == 1
    assert actions(quote)[-1] == "quotes.quote.accepted"
    with pytest.raises(ValidationError) as caught:
        quote_decline(quote=quote, reason="Changed our mind")
    assert caught.value.code == "not_open"


def test_declining_needs_a_reason(org, world):
    quote = sent_quote(org, world)
    with pytest.raises(ValidationError):
        quote_decline(quote=quote, reason="")
    quote = quote_decline(quote=quote, reason="Too expensive")
    assert (quote.status, quote.decline_reason) == (Quote.Status.DECLINED, "Too expensive")


def test_expiry_marks_sent_quotes_past_their_last_day_once(org, world):
    quote = sent_quote(org, world, valid_until="2026-03-20")
    assert quotes_expire(today=datetime.date(2026, 3, 20)) == 0
    assert quotes_expire(today=datetime.date(2026, 3, 21)) == 1
    assert quotes_expire(today=datetime.date(2026, 3, 21)) == 0
    quote.refresh_from_db()
    assert quote.status == Quote.Status.EXPIRED
    with pytest.raises(ValidationError):
        quote_accept(quote=quote, name="Anna", confirmed=True)


def test_an_accepted_quote_becomes_one_draft_invoice_with_the_same_lines(org, world):
    quote = sent_quote(org, world)
    quote_line = quote.lines.get()
    quote = quote_accept(quote=quote, name="Anna Berg", confirmed=True)
    with pytest.raises(PermissionDenied):
        quote_to_invoice(actor=org.user("rep_north"), quote=quote)  # reps do not invoice
    clerk = org.user("clerk")
    invoice = quote_to_invoice(actor=clerk, quote=quote)
    assert (invoice.status, invoice.source_type, invoice.source_id) == ("draft", "quote", str(quote.pk))
    [line] = invoice.lines.all()
    assert (
        line.product_id,
        line.quantity,
        line.unit_price_amount,
        line.discount_percent,
        line.net_amount,
    ) == (
        quote_line.product_id,
        quote_line.quantity,
        quote_line.unit_price_amount,
        quote_line.discount_percent,
        quote_line.net_amount,
    )
    assert invoice.total_amount == quote.total_amount == Decimal("2125.00")
    assert quote_to_invoice(actor=clerk, quote=quote).pk == invoice.pk
    assert Invoice.objects.filter(source_type="quote").count() == 1


def test_only_accepted_quotes_are_invoiced_and_a_billing_profile_is_required(org, world):
    quote = sent_quote(org, world)
    with pytest.raises(ValidationError) as caught:
        quote_to_invoice(actor=org.user("clerk"), quote=quote)
    assert caught.value.code == "not_accepted"
    quote = quote_accept(quote=quote, name="Anna", confirmed=True)
    world.north.billing_profiles.update(active=False)
    with pytest.raises(ValidationError) as caught:
        quote_to_invoice(actor=org.user("clerk"), quote=quote)
    assert caught.value.code == "no_billing_profile"
    assert Invoice.objects.count() == 0


def test_a_repeat_order_copies_the_invoice_products_at_todays_prices(org, world):
    from frontoffice.billing.services.invoicing import invoice_draft_create

    clerk = org.user("clerk")
    invoice = invoice_draft_create(
        actor=clerk,
        legal_entity=org.company,
        party=world.north,
        lines=[
            {"product": world.catalogue.exam, "quantity": "3", "unit_price": "1000", "discount_percent": "0"},
            {"description": "Travel", "unit_price": "100", "vat_code": "SE25"},
        ],
    )
    quote = quote_from_invoice(actor=org.user("rep_north"), invoice=invoice)
    [line] = quote.lines.all()
    assert (line.product, line.quantity, line.discount_percent, line.net_amount) == (
        world.catalogue.exam,
        Decimal("3.000"),
        Decimal("15.00"),
        Decimal("2550.00"),
    )
    assert quote.status == Quote.Status.DRAFT
    assert "quotes.quote.copied_from_invoice" in actions(quote)


def test_quotes_stay_inside_the_makers_scope(org, world):
    with pytest.raises(PermissionDenied):
        quote_create(actor=org.user("rep_south"), party=world.north)
    with pytest.raises(PermissionDenied):
        quote_create(actor=org.user("other_clerk"), party=world.north)
    quote = quote_create(actor=org.user("rep_north"), party=world.north)
    with pytest.raises(PermissionDenied):
        quote_line_add(actor=org.user("rep_south"), quote=quote, product=world.catalogue.exam)
    with pytest.raises(PermissionDenied):
        quote_line_add(actor=org.user("auditor"), quote=quote, product=world.catalogue.exam)


def test_a_quote_from_an_opportunity_wins_it_when_accepted(org, world):
    from frontoffice.sales.services import opportunity_create

    rep = org.user("rep_north")
    opportunity = opportunity_create(
        actor=rep,
        party=world.north,
        name="Clinic refit",
        amount="10000",
        expected_close_on=datetime.date(2026, 4, 30),
    )
    other = make_party(rep, kind="organisation", organisation_name="Annan AB", first_name="")
    with pytest.raises(ValidationError) as caught:
        quote_create(actor=rep, party=other, opportunity=opportunity)
    assert caught.value.error_dict["opportunity"][0].code == "other_customer"
    quote = quote_create(
        actor=rep, party=world.north, opportunity=opportunity, lines=[{"product": world.catalogue.exam}]
    )
    assert quote.opportunity == opportunity
    quote_accept(quote=quote_send(actor=rep, quote=quote), name="Anna", confirmed=True)
    opportunity.refresh_from_db()
    assert opportunity.stage.kind == "won"


def test_the_expiry_command_is_safe_to_run_twice(org, world):
    from io import StringIO

    from django.core.management import call_command

    quote = sent_quote(org, world, valid_until="2026-03-20")
    out = StringIO()
    call_command("quotes_expire", "--date", "2026-03-25", "--dry-run", stdout=out)
    call_command("quotes_expire", "--date", "2026-03-25", stdout=out)
    call_command("quotes_expire", "--date", "2026-03-25", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 quote(s) would expire (dry run).",
        "1 quote(s) expired.",
        "0 quote(s) expired.",
    ]
    quote.refresh_from_db()
    assert quote.status == Quote.Status.EXPIRED
    assert actions(quote)[-1] == "quotes.quote.expired"


def test_personal_data_export_and_erasure_keep_the_numbered_quote(org, world):
    from frontoffice.core.registry import registry

    handler = next(h for h in registry.personal_data if h.key == "quotes")
    quote = quote_decline(quote=sent_quote(org, world), reason="Anna Berg found it too dear")
    assert handler.export(world.north)[0]["decline_reason"] == "Anna Berg found it too dear"
    assert handler.erase(world.north, org.user("admin")) == 1
    quote.refresh_from_db()
    assert (quote.reference, quote.decline_reason, quote.recipient_email) == ("Q2026-00001", "", "")


def test_discounts_approved_on_the_quote_need_no_second_approval_on_its_invoice(org, world, billing):
    from frontoffice.billing.services.invoicing import invoice_issue

    rep, nsm, clerk = org.user("rep_north"), org.user("nsm"), org.user("clerk")
    quote = quote_create(
        actor=rep, party=world.north, lines=[{"product": world.catalogue.soft, "discount_percent": "25"}]
    )
    quote = quote_approval_request(actor=rep, quote=quote)
    quote = quote_approve(actor=nsm, quote=quote, comment="Strategic customer")
    quote = quote_accept(quote=quote_send(actor=rep, quote=quote), name="Anna Berg", confirmed=True)
    invoice = quote_to_invoice(actor=clerk, quote=quote)
    [line] = invoice.lines.all()
    assert line.discount_authorised_by_id == nsm.pk  # the clerk's own authority is 0 %
    issued = invoice_issue(actor=clerk, invoice=invoice)
    assert issued.status == "issued"
    assert issued.total_amount == quote.total_amount


def test_discounts_within_the_authors_authority_carry_to_the_invoice(org, world, billing):
    from frontoffice.billing.services.invoicing import invoice_issue

    rep, clerk = org.user("rep_north"), org.user("clerk")
    quote = quote_create(
        actor=rep, party=world.north, lines=[{"product": world.catalogue.soft, "discount_percent": "10"}]
    )
    quote = quote_accept(quote=quote_send(actor=rep, quote=quote), name="Anna Berg", confirmed=True)
    invoice = quote_to_invoice(actor=clerk, quote=quote)
    assert invoice.lines.get().discount_authorised_by_id == rep.pk
    assert invoice_issue(actor=clerk, invoice=invoice).status == "issued"
