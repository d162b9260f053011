"""A customer's owner must work for the customer's legal entity."""

import pytest
from django.core.exceptions import ValidationError

from frontoffice.parties.models import Party
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db


def test_owner_from_another_legal_entity_is_refused_and_nothing_is_saved(org):
    before = Party.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        make_party(org.user("admin"), location=org.clinic, owner=org.user("other_clerk"))
    assert excinfo.value.error_dict["owner"][0].code == "owner_entity"
    assert Party.objects.count() == before


def test_owner_of_the_same_legal_entity_is_accepted(org):
    party = make_party(org.user("admin"), location=org.clinic, owner=org.user("receptionist"))
    assert party.owner == org.user("receptionist")
