"""The demo quotes: made through the services, in several states, once."""

from __future__ import annotations

import pytest

from frontoffice.quotes.demo import seed_quotes
from frontoffice.quotes.models import Quote

pytestmark = pytest.mark.django_db


def test_seeding_makes_quotes_in_several_states_once(org, world):
    users = {"rep": org.user("rep_north"), "rep2": org.user("rep_south")}
    assert seed_quotes(org.company, users) == 5
    assert seed_quotes(org.company, users) == 0
    states = sorted(Quote.objects.values_list("status", flat=True))
    assert states == ["accepted", "declined", "draft", "draft", "sent"]
    assert Quote.objects.filter(approval_status=Quote.Approval.PENDING).count() == 1
