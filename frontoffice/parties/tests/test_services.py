"""The customers write path: normalisation, duplicates, scope, merge, GDPR, permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.core.models import AuditEntry
from frontoffice.parties import services
from frontoffice.parties.models import Interaction, Party
from frontoffice.parties.tests.factories import make_party

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


def _record(actor, party, subject="Asked about prices", **kwargs) -> Interaction:
    kwargs.setdefault("started_at", START)
    return services.interaction_record(
        actor=actor, party=party, kind="call", channel="phone", subject=subject, **kwargs
    )


# ---------------------------------------------------------------- create


def test_creating_normalises_contact_data_and_derives_name_and_search_text(org):
    """E-mail is lower-cased, phone becomes E.164 and the organisation number NNNNNN-NNNN."""
    party = services.party_create(
        actor=org.user("admin"),
        first_name="  Åsa ",
        last_name="Öberg",
        email="  Asa.Oberg@Example.SE ",
        phone="070-123 45 67",
        organisation_number="5560360793",
        city="Umeå",
        location=org.clinic,
    )
    party.refresh_from_db()
    assert party.first_name == "Åsa"
    assert party.email == "asa.oberg@example.se"
    assert party.phone == "+46701234567"
    assert party.organisation_number == "556036-0793"
    assert party.display_name == "Åsa Öberg"
    assert party.search_text == "åsa öberg asa.oberg@example.se 46701234567 0701234567 556036-0793 umeå"
    assert (party.legal_entity, party.region, party.location) == (org.company, org.north, org.clinic)
    assert party.created_by == org.user("admin")


def test_an_organisation_is_named_by_its_organisation_name(org):
    party = services.party_create(
        actor=org.user("admin"), kind="organisation", organisation_name=" Tandvård AB ", location=org.clinic
    )
    assert party.display_name == "Tandvård AB"


def test_creating_writes_one_audit_entry_with_the_values_set(org):
    admin = org.user("admin")
    party = services.party_create(
        actor=admin, first_name="Anna", last_name="Berg", location=org.clinic, tags=["VIP", " vip "]
    )
    entry = AuditEntry.objects.for_object(party).get()
    assert entry.action == "parties.party.created"
    assert entry.actor == admin
    assert entry.changes["first_name"] == [None, "Anna"]
    assert entry.changes["location"] == [None, "North Dental Clinic"]
    assert entry.changes["tags"] == [None, ["vip"]]


def test_invalid_phone_and_organisation_number_are_field_errors_and_nothing_is_saved(org):
    parties_before, audit_before = Party.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.party_create(
            actor=org.user("admin"),
            first_name="Anna",
            phone="12",
            organisation_number="556036-0794",
            location=org.clinic,
        )
    assert _codes(caught.value) == {
        "phone": ["phone_invalid"],
        "organisation_number": ["organisation_number_checksum"],
    }
    assert Party.objects.count() == parties_before
    assert AuditEntry.objects.count() == audit_before


def test_a_person_needs_a_first_or_last_name(org):
    with pytest.raises(ValidationError) as caught:
        services.party_create(actor=org.user("admin"), location=org.clinic)
    assert _codes(caught.value) == {"last_name": ["required"]}
    assert Party.objects.count() == 0


def test_a_malformed_organisation_number_names_the_format_rule(org):
    with pytest.raises(ValidationError) as caught:
        services.party_create(
            actor=org.user("admin"), first_name="Anna", organisation_number="55-12", location=org.clinic
        )
    assert _codes(caught.value) == {"organisation_number": ["organisation_number_format"]}


# ---------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ({"email": "anna@example.se"}, {"email": "ANNA@example.se "}),
        ({"phone": "070-123 45 67"}, {"phone": "+46 70 123 45 67"}),
        ({"organisation_number": "556036-0793"}, {"organisation_number": "5560360793"}),
    ],
    ids=["email", "phone", "organisation_number"],
)
def test_a_customer_sharing_email_phone_or_organisation_number_is_a_duplicate(org, existing, new):
    admin = org.user("admin")
    first = make_party(admin, location=org.clinic, **existing)
    with pytest.raises(ValidationError) as caught:
        services.party_create(actor=admin, first_name="Anna", location=org.clinic, **new)
    assert caught.value.code == "duplicate"
    assert caught.value.params["ids"] == [first.pk]
    assert caught.value.messages == [
        "A customer with the same e-mail, phone or organisation number already exists: Anna Andersson."
    ]
    assert Party.objects.count() == 1

    second = services.party_create(
        actor=admin, first_name="Anna", location=org.clinic, allow_duplicate=True, **new
    )
    assert Party.objects.count() == 2
    assert second.pk != first.pk


def test_a_duplicate_whose_name_contains_a_percent_sign_still_gives_a_readable_message(org):
    admin = org.user("admin")
    make_party(
        admin,
        kind="organisation",
        organisation_name="100% Tand AB",
        email="info@tand.se",
        location=org.clinic,
    )
    with pytest.raises(ValidationError) as caught:
        services.party_create(actor=admin, first_name="Bo", email="info@tand.se", location=org.clinic)
    assert caught.value.messages == [
        "A customer with the same e-mail, phone or organisation number already exists: 100% Tand AB."
    ]


def test_duplicates_outside_the_actors_scope_are_not_revealed(org):
    """rep_south cannot learn that a North customer with that e-mail exists."""
    make_party(org.user("admin"), email="anna@example.se", location=org.clinic)
    party = services.party_create(actor=org.user("rep_south"), first_name="Anna", email="anna@example.se")
    assert party.region == org.south


def test_merged_customers_are_not_offered_as_duplicates(org):
    admin = org.user("admin")
    source = make_party(admin, email="anna@example.se", location=org.clinic)
    target = make_party(admin, first_name="Annie", location=org.clinic)
    services.party_merge(actor=admin, source=source, target=target)
    dupes = services.party_find_duplicates(actor=admin, email="anna@example.se")
    assert list(dupes) == [target]


# ---------------------------------------------------------------- scope on create


def test_a_reps_new_customer_is_theirs_in_their_home_region(org):
    rep = org.user("rep_north")
    party = services.party_create(actor=rep, first_name="Anna")
    assert (party.owner, party.region, party.location, party.legal_entity) == (
        rep,
        org.north,
        org.sales_office,
        org.company,
    )


def test_a_rep_cannot_create_a_customer_outside_their_region(org):
    with pytest.raises(ValidationError) as caught:
        services.party_create(actor=org.user("rep_north"), first_name="Anna", location=org.south_office)
    assert _codes(caught.value) == {"location": ["out_of_scope"]}
    assert Party.objects.count() == 0


def test_a_rep_cannot_give_a_new_customer_to_someone_else(org):
    with pytest.raises(ValidationError) as caught:
        services.party_create(actor=org.user("rep_north"), first_name="Anna", owner=org.user("rsm_north"))
    assert _codes(caught.value) == {"location": ["out_of_scope"]}
    assert Party.objects.count() == 0


def test_a_receptionist_cannot_create_a_customer_at_another_location(org):
    with pytest.raises(ValidationError) as caught:
        services.party_create(actor=org.user("receptionist"), first_name="Anna", location=org.sales_office)
    assert _codes(caught.value) == {"location": ["out_of_scope"]}


def test_a_regional_manager_creates_customers_anywhere_in_their_region(org):
    party = services.party_create(actor=org.user("rsm_north"), first_name="Anna", location=org.clinic)
    assert party.region == org.north
    with pytest.raises(ValidationError):
        services.party_create(actor=org.user("rsm_north"), first_name="Bo", location=org.south_office)


# ---------------------------------------------------------------- update


def test_updating_writes_an_audit_entry_with_exact_before_and_after(org):
    rsm = org.user("rsm_north")
    party = make_party(org.user("admin"), email="anna@example.se", location=org.clinic, tags=["vip"])
    services.party_update(
        actor=rsm,
        party=party,
        email="Anna.B@Example.se",
        city="Umeå",
        location=org.sales_office,
        tags=["vip", "gold"],
    )
    party.refresh_from_db()
    assert party.email == "anna.b@example.se"
    entry = AuditEntry.objects.for_object(party).filter(action="parties.party.updated").get()
    assert entry.actor == rsm
    assert entry.changes == {
        "email": ["anna@example.se", "anna.b@example.se"],
        "city": ["", "Umeå"],
        "location": ["North Dental Clinic", "North Sales Office"],
        "tags": [["vip"], ["gold", "vip"]],
    }


def test_an_update_that_changes_nothing_writes_no_audit_entry(org):
    admin = org.user("admin")
    party = make_party(admin, email="anna@example.se", location=org.clinic)
    services.party_update(actor=admin, party=party, email="ANNA@example.se")
    assert AuditEntry.objects.for_object(party).filter(action="parties.party.updated").count() == 0


def test_consent_dates_are_set_when_given_and_cleared_when_withdrawn(org):
    admin = org.user("admin")
    party = make_party(admin, location=org.clinic)
    assert party.consent_marketing_at is None
    services.party_update(actor=admin, party=party, consent_marketing=True)
    party.refresh_from_db()
    assert party.consent_marketing is True
    assert party.consent_marketing_at is not None
    services.party_update(actor=admin, party=party, consent_marketing=False)
    party.refresh_from_db()
    assert party.consent_marketing_at is None


def test_an_invalid_update_changes_nothing(org):
    admin = org.user("admin")
    party = make_party(admin, phone="070-123 45 67", location=org.clinic)
    with pytest.raises(ValidationError):
        services.party_update(actor=admin, party=party, phone="nonsense", city="Umeå")
    party.refresh_from_db()
    assert (party.phone, party.city) == ("+46701234567", "")


def test_a_customer_outside_the_actors_scope_cannot_be_updated(org):
    party = make_party(org.user("admin"), location=org.clinic)
    with pytest.raises(Party.DoesNotExist):
        services.party_update(actor=org.user("rep_south"), party=party, city="Malmö")
    party.refresh_from_db()
    assert party.city == ""


# ---------------------------------------------------------------- merge


@pytest.fixture
def merge_pair(org):
    admin = org.user("admin")
    source = make_party(
        admin,
        first_name="Anna",
        last_name="Andersson",
        phone="070-123 45 67",
        city="Umeå",
        location=org.clinic,
        tags=["vip"],
        consent_marketing=True,
    )
    target = make_party(
        admin,
        first_name="Anna",
        last_name="Andersson",
        email="anna@example.se",
        location=org.clinic,
        tags=["dental"],
    )
    for subject in ("First call", "Second call"):
        _record(admin, source, subject=subject)
    _record(admin, target, subject="Target call")
    return source, target


def test_merging_moves_interactions_fills_empty_fields_and_unites_tags(org, merge_pair):
    source, target = merge_pair
    rsm = org.user("rsm_north")
    result = services.party_merge(actor=rsm, source=source, target=target)
    assert result == target
    source.refresh_from_db()
    target.refresh_from_db()
    assert Interaction.objects.filter(party=target).count() == 3
    assert Interaction.objects.filter(party=source).count() == 0
    assert source.merged_into == target
    assert target.merged_into is None
    assert (target.email, target.phone, target.city) == ("anna@example.se", "+46701234567", "Umeå")
    assert target.consent_marketing is True
    assert target.consent_marketing_at == source.consent_marketing_at
    assert sorted(t.name for t in target.tags.all()) == ["dental", "vip"]
    assert "0701234567" in target.search_text
    assert list(Party.objects.active()) == [target]


def test_merging_writes_an_audit_entry_on_each_customer(org, merge_pair):
    source, target = merge_pair
    rsm = org.user("rsm_north")
    services.party_merge(actor=rsm, source=source, target=target)
    merged_in = AuditEntry.objects.for_object(target).get(action="parties.party.merged_in")
    merged_away = AuditEntry.objects.for_object(source).get(action="parties.party.merged_away")
    assert merged_in.actor == merged_away.actor == rsm
    assert merged_in.changes["merged_from"] == [None, f"Anna Andersson (#{source.pk})"]
    assert merged_in.changes["moved"] == [None, {"parties.Interaction.party": 2}]
    assert merged_in.changes["phone"] == ["", "+46701234567"]
    assert merged_in.changes["tags"] == [["dental"], ["dental", "vip"]]
    assert merged_away.changes == {
        "merged_into": [None, f"Anna Andersson (#{target.pk})"],
        "moved": [None, {"parties.Interaction.party": 2}],
    }


def test_a_customer_cannot_be_merged_into_itself(org, merge_pair):
    source, _ = merge_pair
    with pytest.raises(ValidationError) as caught:
        services.party_merge(actor=org.user("admin"), source=source, target=source)
    assert caught.value.code == "merge_self"
    source.refresh_from_db()
    assert source.merged_into is None


def test_merging_with_a_customer_outside_the_actors_scope_is_refused(org, merge_pair):
    source, _ = merge_pair
    south = make_party(org.user("admin"), first_name="Sven", location=org.south_office)
    with pytest.raises(PermissionDenied):
        services.party_merge(actor=org.user("rsm_north"), source=source, target=south)
    assert Interaction.objects.filter(party=source).count() == 2
    source.refresh_from_db()
    assert source.merged_into is None


def test_an_already_merged_customer_cannot_be_merged_again(org, merge_pair):
    source, target = merge_pair
    admin = org.user("admin")
    services.party_merge(actor=admin, source=source, target=target)
    other = make_party(admin, first_name="Bo", location=org.clinic)
    with pytest.raises(ValidationError) as caught:
        services.party_merge(actor=admin, source=source, target=other)
    assert caught.value.code == "merge_locked"


# ---------------------------------------------------------------- GDPR


def test_the_personal_data_export_holds_the_party_its_interactions_and_audit_trail(org):
    admin = org.user("admin")
    party = make_party(admin, email="anna@example.se", location=org.clinic, tags=["vip"])
    _record(admin, party, subject="Booked a check-up", outcome="Booked")
    data = services.party_export_personal_data(actor=admin, party=party)
    assert data["party"]["id"] == party.pk
    assert data["party"]["email"] == "anna@example.se"
    assert data["party"]["tags"] == ["vip"]
    assert [(i["subject"], i["outcome"], i["kind"]) for i in data["interactions"]] == [
        ("Booked a check-up", "Booked", "call")
    ]
    assert [e["action"] for e in data["audit_trail"]] == ["parties.party.created"]
    assert (
        AuditEntry.objects.for_object(party).filter(action="parties.party.personal_data_exported").count()
        == 1
    )


def test_erasing_blanks_personal_fields_keeps_interactions_and_redacts_the_audit_trail(org):
    admin = org.user("admin")
    party = make_party(
        admin,
        email="anna@example.se",
        phone="070-123 45 67",
        organisation_number="556036-0793",
        street="Storgatan 1",
        postal_code="901 00",
        city="Umeå",
        notes="Afraid of dentists",
        consent_marketing=True,
        location=org.clinic,
        tags=["vip"],
    )
    services.party_update(actor=admin, party=party, city="Luleå")
    interaction = _record(admin, party, subject="Booked a check-up", outcome="Booked")

    services.party_erase(actor=admin, party=party)

    party.refresh_from_db()
    assert party.is_erased is True
    assert party.display_name == f"Erased customer #{party.pk}"
    assert [
        getattr(party, f)
        for f in (
            "first_name",
            "last_name",
            "organisation_name",
            "email",
            "phone",
            "organisation_number",
            "street",
            "postal_code",
            "city",
            "notes",
            "search_text",
        )
    ] == [""] * 11
    assert party.consent_marketing is False
    assert list(party.tags.all()) == []
    interaction.refresh_from_db()
    assert (interaction.subject, interaction.outcome, interaction.kind) == ("—", "", "call")
    entries = list(AuditEntry.objects.for_object(party).order_by("at", "id"))
    assert [e.action for e in entries] == [
        "parties.party.created",
        "parties.party.updated",
        "parties.party.erased",
    ]
    assert [e.changes for e in entries[:2]] == [{"redacted": True}, {"redacted": True}]
    assert {e.object_repr for e in entries[:2]} == {"—"}


def test_a_customer_cannot_be_erased_twice(org):
    admin = org.user("admin")
    party = make_party(admin, location=org.clinic)
    services.party_erase(actor=admin, party=party)
    with pytest.raises(ValidationError) as caught:
        services.party_erase(actor=admin, party=party)
    assert caught.value.code == "already_erased"
    assert AuditEntry.objects.for_object(party).filter(action="parties.party.erased").count() == 1


def test_the_erasure_plan_lists_each_kind_of_record_with_its_count_and_reason(org):
    admin = org.user("admin")
    party = make_party(admin, location=org.clinic)
    _record(admin, party)
    plan = {item["key"]: item for item in services.party_erasure_plan(party=party)}
    assert plan["interactions"]["count"] == 1
    assert plan["audit_trail"]["count"] == 1  # the party's own entries: "created"
    assert str(plan["interactions"]["kept_reason"]).startswith("Kept without subject or notes")


def test_erased_or_merged_customers_take_no_new_interactions(org):
    admin = org.user("admin")
    party = make_party(admin, location=org.clinic)
    services.party_erase(actor=admin, party=party)
    with pytest.raises(ValidationError) as caught:
        _record(admin, party)
    assert caught.value.code == "locked"


# ---------------------------------------------------------------- interactions


def test_recording_an_interaction_copies_scope_from_the_staff_member(org):
    rep = org.user("rep_north")
    party = services.party_create(actor=rep, first_name="Anna")
    interaction = _record(rep, party, ended_at=START + timedelta(minutes=25))
    assert interaction.staff.user == rep
    assert (interaction.legal_entity, interaction.region, interaction.location, interaction.owner) == (
        org.company,
        org.north,
        org.sales_office,
        rep,
    )
    assert interaction.duration_minutes == 25
    entry = AuditEntry.objects.for_object(interaction).get()
    assert entry.action == "parties.interaction.recorded"


def test_an_interaction_cannot_end_before_it_starts(org):
    admin = org.user("admin")
    party = make_party(admin, location=org.clinic)
    with pytest.raises(ValidationError) as caught:
        _record(admin, party, ended_at=START - timedelta(minutes=1))
    assert _codes(caught.value) == {"ended_at": ["ends_before_start"]}
    assert Interaction.objects.count() == 0


# ---------------------------------------------------------------- permissions


def _create(org, name):
    return services.party_create(actor=org.user(name), first_name="Anna", location=org.clinic)


def _merge(org, name):
    admin = org.user("admin")
    a = make_party(admin, location=org.clinic)
    b = make_party(admin, location=org.clinic)
    return services.party_merge(actor=org.user(name), source=a, target=b)


def _update(org, name):
    party = make_party(org.user("admin"), location=org.clinic)
    return services.party_update(actor=org.user(name), party=party, city="Umeå")


def _export(org, name):
    party = make_party(org.user("admin"), location=org.clinic)
    return services.party_export_personal_data(actor=org.user(name), party=party)


def _erase(org, name):
    party = make_party(org.user("admin"), location=org.clinic)
    return services.party_erase(actor=org.user(name), party=party)


def _interaction(org, name):
    party = make_party(org.user("admin"), location=org.clinic)
    return _record(org.user(name), party)


@pytest.mark.parametrize(
    ("operation", "persona"),
    [
        (_create, "auditor"),
        (_create, "nobody"),
        (_update, "auditor"),
        (_merge, "rep_north"),
        (_merge, "receptionist"),
        (_merge, "auditor"),
        (_export, "nsm"),
        (_export, "rep_north"),
        (_erase, "nsm"),
        (_erase, "office_manager"),
        (_interaction, "auditor"),
    ],
)
def test_personas_without_the_permission_are_refused(org, operation, persona):
    parties_before = Party.objects.count()
    audit_before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        operation(org, persona)
    # Only the admin-made fixture rows exist; the refused operation wrote nothing.
    assert AuditEntry.objects.count() - audit_before == Party.objects.count() - parties_before


@pytest.mark.parametrize(
    ("operation", "persona"),
    [
        (_create, "receptionist"),
        (_merge, "office_manager"),
        (_export, "office_manager"),
        (_erase, "admin"),
        (_interaction, "receptionist"),
    ],
)
def test_personas_with_the_permission_may_act(org, operation, persona):
    assert operation(org, persona) is not None


def test_interaction_reassign_needs_the_permission_and_scope_and_follows_the_staff(org):
    from django.core.exceptions import PermissionDenied

    from frontoffice.org.models import Staff
    from frontoffice.parties.models import Party
    from frontoffice.parties.services import interaction_reassign, interaction_record

    party = Party.objects.create(
        kind="organisation",
        organisation_name="Fjäll AB",
        display_name="Fjäll AB",
        legal_entity=org.company,
        region=org.north,
        owner=org.user("rep_north"),
    )
    interaction = interaction_record(
        actor=org.user("rep_north"), party=party, kind="call", channel="phone", subject="Hi"
    )
    with pytest.raises(PermissionDenied):
        interaction_reassign(actor=org.user("nobody"), interaction=interaction, staff=None)
    south = Staff.objects.get(user=org.user("rep_south"))
    with pytest.raises(Interaction.DoesNotExist):  # out of the South rep's scope
        interaction_reassign(actor=org.user("rep_south"), interaction=interaction, staff=south)
    moved = interaction_reassign(actor=org.user("rsm_north"), interaction=interaction, staff=south)
    assert (moved.staff_id, moved.owner_id, moved.region_id) == (
        south.pk,
        south.user_id,
        south.home_region_id,
    )
