"""Demo billing data: ``seed_billing(company, users)`` for the ``frontoffice demo`` command.

Sets billing up from the company's chart (VAT codes, settings, invoice series), fills in the
seller's details, and adds a dental clinic's and a B2B service company's catalogue and the
billing profiles of some customers, all through the services (same rules and audit entries
as the UI). Safe to run twice: existing groups, products and profiles are kept.
"""

from __future__ import annotations

from typing import Any

from frontoffice.billing.models import BillingProfile, BillingSettings, Product, ProductGroup
from frontoffice.billing.selectors.profiles import billing_profile_initial
from frontoffice.billing.services.billing_settings import billing_settings_update
from frontoffice.billing.services.catalogue import product_create, product_group_create
from frontoffice.billing.services.profiles import billing_profile_create, billing_profile_in_reach
from frontoffice.billing.services.setup import billing_setup
from frontoffice.finance.models import LedgerAccount
from frontoffice.parties.models import Party

GROUPS = [
    ("TAND", "Tandvård"),
    ("HYG", "Munhygien och produkter"),
    ("KONS", "Konsult och utbildning"),
]
# (code, name, description, kind, group, unit, price, VAT code). Dental care is exempt from
# VAT in Sweden; cosmetic whitening, goods and consulting are not; catering is 12 %, printed
# matter 6 %, and consulting for a business in another EU country is reverse charge.
# fmt: off
PRODUCTS: list[tuple[str, str, str, str, str, str, str, str]] = [
    ("TV-UND", "Undersökning och bedömning", "Basundersökning med status och behandlingsplan",
     "service", "TAND", "C62", "850.00", "SE00"),
    ("TV-RTG", "Röntgen, bitewing", "Två bilder", "service", "TAND", "C62", "350.00", "SE00"),
    ("TV-PROF", "Professionell tandrengöring", "Hos tandhygienist, 45 minuter",
     "service", "TAND", "C62", "950.00", "SE00"),
    ("TV-FYLL", "Fyllning, en yta", "Komposit", "service", "TAND", "C62", "1150.00", "SE00"),
    ("TV-BLEK", "Tandblekning", "Kosmetisk behandling, momspliktig", "service", "TAND", "C62", "3495.00", "SE25"),
    ("FT-AVT", "Företagstandvård, årsavtal", "Per anställd och år", "service", "TAND", "EA", "1200.00", "SE00"),
    ("HY-ELTB", "Eltandborste", "Roterande, med laddare", "goods", "HYG", "C62", "895.00", "SE25"),
    ("HY-TKR", "Tandkräm 1450 ppm fluor", "75 ml", "goods", "HYG", "C62", "49.00", "SE25"),
    ("HY-MELL", "Mellanrumsborstar", "Förpackning med sex borstar", "goods", "HYG", "C62", "69.00", "SE25"),
    ("KO-TIM", "Konsulttimme, klinikrådgivning", "", "service", "KONS", "HUR", "1250.00", "SE25"),
    ("KO-UTB", "Utbildning i munhälsa, halvdag", "För personalgrupper upp till 20 personer",
     "service", "KONS", "C62", "8500.00", "SE25"),
    ("KO-LUNCH", "Konferenslunch", "Per person", "service", "KONS", "C62", "145.00", "SE12"),
    ("KO-BROS", "Broschyr Friska tänder", "Tryckt, 12 sidor", "goods", "KONS", "C62", "79.00", "SE06"),
    ("KO-EU", "Konsulttimme, kund i annat EU-land", "Omvänd betalningsskyldighet",
     "service", "KONS", "HUR", "1250.00", "EUTJ"),
]
# fmt: on
SELLER = {
    "street": "Storgatan 12",
    "postal_code": "903 26",
    "city": "Umeå",
    "phone": "090-12 34 50",
    "email": "faktura@tandhalsan.example",
    "website": "https://tandhalsan.example",
    "bankgiro": "5050-1055",
    "iban": "SE45 5000 0000 0583 9825 7466",
    "bic": "ESSESESS",
    "f_tax_registered": True,
    "default_payment_terms_days": 30,
    "late_interest_text": "Vid betalning efter förfallodagen debiteras dröjsmålsränta enligt räntelagen.",
}
ORGANISATION_PROFILES = 6
PERSON_PROFILES = 2


def seed_billing(company: Any, users: dict[str, Any]) -> dict[str, int]:
    """Set billing up for ``company`` and add demo products and customer profiles.

    ``users`` maps demo usernames to users: ``cfo`` (a finance manager, required) and
    optionally ``clerk``. Needs the company's chart of accounts (``ledger_setup``); without
    it nothing is done. Returns how many groups, products and profiles were created.
    """
    created = {"groups": 0, "products": 0, "profiles": 0}
    if not LedgerAccount.objects.filter(legal_entity=company).exists():
        return created
    cfo = users["cfo"]
    clerk = users.get("clerk") or cfo
    settings_existed = BillingSettings.objects.filter(legal_entity=company).exists()
    billing_setup(actor=cfo, legal_entity=company)
    if not settings_existed:
        billing_settings_update(actor=cfo, legal_entity=company, **SELLER)

    groups = {g.code: g for g in ProductGroup.objects.filter(legal_entity=company)}
    for code, name in GROUPS:
        if code not in groups:
            groups[code] = product_group_create(actor=cfo, legal_entity=company, code=code, name=name)
            created["groups"] += 1
    existing = set(Product.objects.filter(legal_entity=company).values_list("code", flat=True))
    for code, name, description, kind, group, unit, price, vat_code in PRODUCTS:
        if code in existing:
            continue
        product_create(
            actor=cfo,
            legal_entity=company,
            code=code,
            name=name,
            description=description,
            kind=kind,
            group=groups[group],
            unit=unit,
            unit_price_amount=price,
            vat_code=vat_code,
        )
        created["products"] += 1

    created["profiles"] = _profiles(company, clerk)
    return created


def _profiles(company: Any, clerk: Any) -> int:
    """Profiles for the first organisations and private customers (by id): organisations by
    their rep when owned (journey 6 starts with the rep), the rest by the clerk."""
    with_profile = set(BillingProfile.objects.filter(legal_entity=company).values_list("party_id", flat=True))
    candidates = (
        Party.objects.filter(legal_entity=company, merged_into__isnull=True, erased_at__isnull=True)
        .exclude(street="")
        .select_related("owner")
        .order_by("pk")
    )
    made = 0
    # The same customers on every run, so a second run finds their profiles and adds none.
    organisations = [p for p in candidates if p.kind == Party.Kind.ORGANISATION][:ORGANISATION_PROFILES]
    people = [p for p in candidates if p.kind == Party.Kind.PERSON and p.email][:PERSON_PROFILES]
    for index, party in enumerate(organisations):
        if party.pk in with_profile:
            continue
        actor = party.owner if party.owner and _can_create(party.owner, party) else clerk
        data = billing_profile_initial(user=actor, party=party)
        data.update(
            buyer_reference=f"Inköp {party.display_name.split()[0]}",
            payment_terms_days=(30, 20, 10, 30, 45, 30)[index % 6],
            credit_limit_amount=("50000.00", "25000.00", None, "100000.00", "15000.00", None)[index % 6],
        )
        if index == 1 and data["organisation_number"]:
            # One customer receives Peppol e-invoices at its organisation number.
            data.update(delivery="peppol", peppol_id="0007:" + data["organisation_number"].replace("-", ""))
        billing_profile_create(actor=actor, party=party, **data)
        made += 1
    for party in people:
        if party.pk in with_profile:
            continue
        data = billing_profile_initial(user=clerk, party=party)
        data.update(payment_terms_days=20, organisation_number="", vat_number="")
        billing_profile_create(actor=clerk, party=party, **data)
        made += 1
    return made


def _can_create(user: Any, party: Party) -> bool:
    return user.has_perm("billing.add_billingprofile") and billing_profile_in_reach(actor=user, party=party)


# ---------------------------------------------------------------- invoices, payments, questions

DEMO_INVOICES = 30
# Products the demo invoices use (VAT-exempt dental care, goods at 25 %, consulting, lunch).
INVOICE_PRODUCTS = ["TV-UND", "TV-RTG", "TV-PROF", "HY-ELTB", "HY-TKR", "KO-TIM", "KO-LUNCH", "KO-BROS"]


def seed_invoices(company: Any, users: dict[str, Any]) -> dict[str, int]:
    """Invoices of the last months, issued through the services, and what happened to them:
    most are paid (payments matched by their OCR reference, through ``receivables``), a few
    are overdue (one with a reminder), one is credited, two customers have asked about a line
    (open), and one question was answered, resolved and rated.

    Needs billing set up with customer profiles (``seed_billing``). Runs once: a company that
    already has invoices gets nothing more. Invoice dates stay inside the ledger's current
    fiscal year. Returns the counts created.
    """
    import datetime
    import random
    from decimal import Decimal

    from django.utils import timezone

    from frontoffice.billing.models import Invoice, InvoiceQuestion
    from frontoffice.billing.services.crediting import credit_note_create
    from frontoffice.billing.services.invoicing import (
        invoice_draft_create,
        invoice_line_add,
        invoices_issue_batch,
    )
    from frontoffice.billing.services.links import link_create
    from frontoffice.billing.services.questions import (
        question_ask_by_customer,
        question_rate,
        question_reply,
        question_resolve,
    )
    from frontoffice.receivables.models import Reminder
    from frontoffice.receivables.services.payments import payment_register
    from frontoffice.receivables.services.reminders import reminder_send

    counts = {"invoices": 0, "payments": 0, "reminders": 0, "credit_notes": 0, "questions": 0}
    if Invoice.objects.filter(legal_entity=company).exists():
        return counts
    profiles = list(BillingProfile.objects.filter(legal_entity=company, active=True).select_related("party"))
    products = {p.code: p for p in Product.objects.filter(legal_entity=company, code__in=INVOICE_PRODUCTS)}
    if not profiles or not products:
        return counts
    clerk = users.get("clerk") or users["cfo"]
    rng = random.Random(11)
    today = timezone.localdate()
    start = max(datetime.date(today.year, 1, 1), today - datetime.timedelta(days=150))
    span = max((today - start).days - 3, 1)

    drafts = []
    for index in range(DEMO_INVOICES):
        profile = profiles[index % len(profiles)]
        issue_on = start + datetime.timedelta(days=span * index // DEMO_INVOICES)
        draft = invoice_draft_create(
            actor=clerk, legal_entity=company, party=profile.party, issue_on=issue_on
        )
        for code in rng.sample(sorted(products), rng.randint(1, 3)):
            quantity = "1" if code.startswith("TV") else str(rng.randint(1, 6))
            invoice_line_add(actor=clerk, invoice=draft, product=products[code], quantity=quantity)
        drafts.append(draft)
    issued = invoices_issue_batch(actor=clerk, invoices=drafts)
    counts["invoices"] = len(issued)

    # Paid: the older invoices, mostly on time, one in part; overdue: every fourth old one.
    overdue = []
    for index, invoice in enumerate(issued):
        paid_on = invoice.issue_on + datetime.timedelta(days=min(invoice.payment_terms_days, 20))
        if paid_on >= today:
            continue
        if index % 4 == 3:
            overdue.append(invoice)
            continue
        amount = invoice.total_amount if index % 9 else (invoice.total_amount / 2).quantize(Decimal("0.01"))
        payment_register(
            actor=clerk,
            legal_entity=company,
            paid_on=paid_on,
            amount=amount,
            payer_name=invoice.buyer_name,
            reference=invoice.payment_reference,
            party=invoice.party,
        )
        counts["payments"] += 1
    for invoice in overdue[:1]:
        invoice.refresh_from_db()
        if invoice.due_on < today:
            channel = Reminder.Channel.EMAIL if invoice.buyer_email else Reminder.Channel.LETTER
            reminder_send(actor=clerk, invoice=invoice, channel=channel)
            counts["reminders"] += 1

    # A credit note for the newest invoice's whole amount (the customer cancelled the order).
    recent = [i for i in issued if i.issue_on >= today - datetime.timedelta(days=40)] or issued[-5:]
    credit_note_create(actor=clerk, invoice=recent[-1], reason="Beställningen avbokad av kunden.")
    counts["credit_notes"] = 1

    # Questions on the invoice pages: two open, one answered, resolved and rated.
    asked = []
    for invoice, category, body, name in (
        (
            recent[0],
            InvoiceQuestion.Category.PRICING,
            "Varför är priset högre än förra gången?",
            "Karin Lind",
        ),
        (recent[1], InvoiceQuestion.Category.QUANTITY, "Vi beställde färre än vad som står här.", "Per Ek"),
        (recent[2], InvoiceQuestion.Category.OTHER, "Vad avser den här raden?", "Eva Holm"),
    ):
        link = link_create(actor=clerk, invoice=invoice).link
        question = question_ask_by_customer(
            link=link,
            line=invoice.lines.order_by("line_no").first(),
            category=category,
            body=body,
            customer_name=name,
        )
        asked.append((link, question))
        counts["questions"] += 1
    link, question = asked[-1]
    question_reply(
        actor=clerk, question=question, body="Raden avser vårt besök hos er och det material som användes."
    )
    question_resolve(actor=clerk, question=question, explanation="Raden förklarad för kunden.")
    question_rate(link=link, question=question, rating=5, comment="Snabbt och tydligt svar, tack!")
    return counts
