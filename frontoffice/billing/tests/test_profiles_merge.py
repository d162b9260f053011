"""Merging customers that have billing profiles (parties.party_merge across apps)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from frontoffice.billing.models import BillingProfile
from frontoffice.parties.models import Party
from frontoffice.parties.services import party_merge

pytestmark = pytest.mark.django_db


def _party(org, name: str) -> Party:
    return Party.objects.create(
        kind=Party.Kind.ORGANISATION,
        organisation_name=name,
        display_name=name,
        legal_entity=org.company,
        region=org.north,
    )


def _profile(org, party: Party) -> BillingProfile:
    return BillingProfile.objects.create(
        legal_entity=org.company,
        party=party,
        legal_name=party.display_name,
        street="Storgatan 1",
        postal_code="111 22",
        city="Stockholm",
    )


def test_merging_two_customers_that_both_have_a_profile_is_refused_and_moves_nothing(billing, org):
    source, target = _party(org, "Dental AB"), _party(org, "Dental Aktiebolag")
    source_profile, target_profile = _profile(org, source), _profile(org, target)
    with pytest.raises(ValidationError) as error:
        party_merge(actor=org.user("admin"), source=source, target=target)
    assert error.value.code == "merge_conflict"
    assert "billing profiles" in error.value.messages[0]
    source_profile.refresh_from_db()
    target_profile.refresh_from_db()
    assert (source_profile.party_id, target_profile.party_id) == (source.pk, target.pk)
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_a_profile_of_the_source_alone_moves_to_the_target(billing, org):
    source, target = _party(org, "Dental AB"), _party(org, "Dental Aktiebolag")
    profile = _profile(org, source)
    party_merge(actor=org.user("admin"), source=source, target=target)
    profile.refresh_from_db()
    assert profile.party_id == target.pk
