"""Drafts keep what the clerk entered, dimensions included, and their history when saved again."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from frontoffice.finance.models import DimensionObject, JournalEntry
from frontoffice.finance.services.posting import (
    EntryInput,
    LineInput,
    journal_entry_draft_save,
    journal_entry_post,
    journal_entry_submit,
)
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.finance.tests.conftest import voucher

pytestmark = pytest.mark.django_db


def pens(cost_centre: str | None = "100", credit: str = "80.00") -> EntryInput:
    return EntryInput(
        series="A",
        date=datetime.date(2026, 4, 1),
        text="Pens",
        lines=[LineInput("6110", debit="80.00", cost_centre=cost_centre), LineInput("1930", credit=credit)],
    )


def test_a_draft_keeps_its_dimensions_and_posts_on_an_account_that_requires_one(org, ledger):
    DimensionObject.objects.create(legal_entity=ledger, kind="cost_centre", code="100", name="Kliniken")
    clerk = org.user("clerk")
    draft = journal_entry_draft_save(actor=clerk, legal_entity=ledger, entry=pens())
    assert draft.lines.get(line_no=1).cost_centre.code == "100"
    posted = journal_entry_submit(actor=clerk, draft=draft)
    assert (posted.pk, posted.reference) == (draft.pk, "A1")
    assert posted.lines.get(line_no=1).cost_centre.code == "100"


def test_unknown_dimension_in_a_draft_is_a_line_error(org, ledger):
    with pytest.raises(ValidationError) as excinfo:
        journal_entry_draft_save(actor=org.user("clerk"), legal_entity=ledger, entry=pens(cost_centre="999"))
    assert list(excinfo.value.error_dict) == ["lines.1"]
    assert JournalEntry.objects.count() == 0


def test_saving_a_draft_again_keeps_its_rejected_attempts(org, ledger):
    DimensionObject.objects.create(legal_entity=ledger, kind="cost_centre", code="100", name="Kliniken")
    clerk = org.user("clerk")
    draft = journal_entry_draft_save(actor=clerk, legal_entity=ledger, entry=pens(credit="79.00"))
    with pytest.raises(PostingRejected):
        journal_entry_submit(actor=clerk, draft=draft)
    draft = journal_entry_draft_save(actor=clerk, legal_entity=ledger, draft=draft, entry=pens())
    assert draft.rejection_count == 1
    posted = journal_entry_submit(actor=clerk, draft=draft)
    assert posted.rejection_count == 1


def test_control_characters_are_removed_from_texts(org, ledger):
    entry = voucher(("5010", "10.00", None), ("1930", None, "10.00"), text="Rent\x00 March\x07")
    posted = journal_entry_post(actor=org.user("clerk"), legal_entity=ledger, entry=entry)
    assert posted.text == "Rent March"


def test_after_a_reversal_the_corrected_voucher_starts_as_a_copy_of_the_original(org, ledger, client_for):
    from django.urls import reverse

    from frontoffice.finance.services.posting import journal_entry_reverse

    clerk = org.user("clerk")
    original = journal_entry_post(
        actor=clerk,
        legal_entity=ledger,
        entry=voucher(("5010", "1234.50", None), ("1930", None, "1234.50"), text="Rent"),
    )
    journal_entry_reverse(actor=clerk, entry=original)
    client = client_for("clerk")
    detail = client.get(reverse("finance:voucher-detail", args=[original.pk])).content.decode()
    assert f"?correct={original.pk}" in detail
    page = client.get(reverse("finance:voucher-create"), {"correct": original.pk}).content.decode()
    assert "Correction of A1: Rent" in page
    assert 'value="5010"' in page
    assert 'value="1234.50"' in page
    # Another legal entity cannot copy it (the original is outside its scope).
    assert (
        client_for("other_clerk").get(reverse("finance:voucher-create"), {"correct": original.pk}).status_code
        == 404
    )
