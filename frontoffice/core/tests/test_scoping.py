"""The scoping service: what each role sees of customers, interactions and org units."""

from __future__ import annotations

import pytest
from django.http import Http404

from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.org.models import Location, Region, Staff
from frontoffice.parties.models import Interaction, Party
from frontoffice.parties.services import interaction_record
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(org):
    admin = org.user("admin")
    return {
        "north_rep_own": make_party(
            admin, last_name="NorthOwn", location=org.sales_office, owner=org.user("rep_north")
        ),
        "north_unassigned": make_party(admin, last_name="NorthFree", region=org.north),
        "north_clinic": make_party(admin, last_name="Clinic", location=org.clinic),
        "south": make_party(admin, last_name="South", location=org.south_office, owner=org.user("rep_south")),
        "other_company": make_party(admin, last_name="Other", location=org.other_office),
    }


def names(qs):
    return sorted(p.last_name for p in qs)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ["Clinic", "NorthFree", "NorthOwn", "Other", "South"]),
        ("nsm", ["Clinic", "NorthFree", "NorthOwn", "Other", "South"]),
        ("rsm_north", ["Clinic", "NorthFree", "NorthOwn"]),
        ("rep_north", ["Clinic", "NorthFree", "NorthOwn"]),
        ("rep_south", ["South"]),
        ("office_manager", ["Clinic"]),
        ("receptionist", ["Clinic"]),
        ("finance_manager", ["Clinic", "NorthFree", "NorthOwn", "South"]),
        ("clerk", ["Clinic", "NorthFree", "NorthOwn", "South"]),
        ("auditor", ["Clinic", "NorthFree", "NorthOwn", "South"]),
        ("other_clerk", ["Other"]),
        ("nobody", []),
    ],
)
def test_each_role_sees_exactly_its_scope_of_customers(org, parties, persona, expected):
    assert names(visible_to(Party.objects.all(), org.user(persona))) == expected


def test_rep_sees_unowned_customers_of_own_region_but_not_colleagues_customers(org, parties):
    rep = org.user("rep_north")
    other_rep = Staff.objects.get(user=org.user("rep_south"))
    other_rep.home_region = org.north
    other_rep.save()
    parties["north_unassigned"].owner = org.user("rep_south")
    parties["north_unassigned"].save()
    assert "NorthFree" not in names(visible_to(Party.objects.all(), rep))


def test_guessed_id_outside_scope_is_404(org, parties):
    with pytest.raises(Http404):
        get_visible_or_404(Party.objects.all(), org.user("rep_south"), pk=parties["north_clinic"].pk)
    with pytest.raises(Http404):
        get_visible_or_404(Party.objects.all(), org.user("rep_south"), pk="not-a-number")
    found = get_visible_or_404(Party.objects.all(), org.user("rep_north"), pk=parties["north_clinic"].pk)
    assert found.pk == parties["north_clinic"].pk


def test_inactive_staff_sees_nothing(org, parties):
    Staff.objects.filter(user=org.user("clerk")).update(active=False)
    assert names(visible_to(Party.objects.all(), org.user("clerk"))) == []


def test_org_units_fall_back_to_broader_level(org):
    assert sorted(r.code for r in visible_to(Region.objects.all(), org.user("rep_north"))) == ["north"]
    assert sorted(r.code for r in visible_to(Region.objects.all(), org.user("receptionist"))) == ["north"]
    assert sorted(r.code for r in visible_to(Region.objects.all(), org.user("clerk"))) == [
        "north",
        "south",
    ]
    assert [loc.name for loc in visible_to(Location.objects.all(), org.user("receptionist"))] == [
        "North Dental Clinic"
    ]


def test_interactions_follow_the_recording_staff_members_scope(org, parties):
    interaction_record(
        actor=org.user("receptionist"),
        party=parties["north_clinic"],
        kind="visit",
        channel="in_person",
        subject="Check-up",
    )
    interaction_record(
        actor=org.user("rep_south"),
        party=parties["south"],
        kind="call",
        channel="phone",
        subject="First call",
    )
    assert [i.subject for i in visible_to(Interaction.objects.all(), org.user("office_manager"))] == [
        "Check-up"
    ]
    assert [i.subject for i in visible_to(Interaction.objects.all(), org.user("rep_south"))] == ["First call"]
    assert [i.subject for i in visible_to(Interaction.objects.all(), org.user("rep_north"))] == []
    assert sorted(i.subject for i in visible_to(Interaction.objects.all(), org.user("auditor"))) == [
        "Check-up",
        "First call",
    ]
    assert list(visible_to(Interaction.objects.all(), org.user("other_clerk"))) == []
