"""Settings services: validation per field, scope and permission checks, audit entries."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from frontoffice.core.models import AuditEntry
from frontoffice.org import services
from frontoffice.org.hours import normalise_opening_hours
from frontoffice.org.models import LegalEntity, Location, Region, Role, Staff, Team, User
from frontoffice.org.tests.factories import make_entity_admin

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


def staff_of(org, name):
    return Staff.objects.get(user=org.user(name))


# --- legal entities ------------------------------------------------------------------------------


def test_creating_a_legal_entity_normalises_numbers_and_records_the_audit_entry(org):
    admin = org.user("admin")
    entity = services.legal_entity_create(
        actor=admin,
        name=" Nya Kliniken AB ",
        organisation_number="5560160680",
        vat_number="se 5560160680 01",
        base_currency="sek",
        country="se",
    )
    entity.refresh_from_db()
    assert entity.name == "Nya Kliniken AB"
    assert entity.organisation_number == "556016-0680"
    assert entity.vat_number == "SE556016068001"
    assert entity.base_currency == "SEK"
    assert entity.country == "SE"
    assert entity.organisation == org.organisation
    entry = AuditEntry.objects.for_object(entity).get()
    assert entry.action == "org.legal_entity.created"
    assert entry.actor == admin
    assert entry.changes == {
        "name": [None, "Nya Kliniken AB"],
        "organisation_number": [None, "556016-0680"],
        "vat_number": [None, "SE556016068001"],
        "base_currency": [None, "SEK"],
        "country": [None, "SE"],
        "default_language": [None, "sv"],
    }


def test_organisation_number_with_wrong_check_digit_is_refused_by_field(org):
    with pytest.raises(ValidationError) as exc:
        services.legal_entity_create(
            actor=org.user("admin"), name="Typo AB", organisation_number="556016-0681"
        )
    assert codes(exc.value) == {"organisation_number": ["organisation_number_checksum"]}
    assert LegalEntity.objects.filter(name="Typo AB").exists() is False


def test_every_broken_legal_entity_field_is_named_at_once(org):
    with pytest.raises(ValidationError) as exc:
        services.legal_entity_create(
            actor=org.user("admin"),
            name="",
            organisation_number="12345",
            vat_number="SE123",
            base_currency="kronor",
            country="Sweden",
        )
    assert codes(exc.value) == {
        "organisation_number": ["organisation_number_format"],
        "vat_number": ["vat_number_se"],
        "base_currency": ["currency_format"],
        "country": ["country_format"],
        "name": ["blank"],
    }


def test_a_second_legal_entity_with_the_same_organisation_number_is_refused(org):
    with pytest.raises(ValidationError) as exc:
        services.legal_entity_create(
            actor=org.user("admin"), name="Copy AB", organisation_number="5560360793"
        )
    assert codes(exc.value) == {"organisation_number": ["unique"]}


def test_updating_a_legal_entity_audits_only_the_changed_fields(org):
    admin = org.user("admin")
    services.legal_entity_update(
        actor=admin, legal_entity=org.company, data={"name": "Tandhälsan AB", "default_language": "en"}
    )
    org.company.refresh_from_db()
    assert org.company.name == "Tandhälsan AB"
    entry = AuditEntry.objects.for_object(org.company).get()
    assert entry.action == "org.legal_entity.updated"
    assert entry.changes == {
        "name": ["Tandhälsan Norden AB", "Tandhälsan AB"],
        "default_language": ["sv", "en"],
    }


@pytest.mark.parametrize("persona", ["receptionist", "clerk", "auditor", "nsm", "nobody"])
def test_settings_services_need_the_manage_settings_permission(org, persona):
    actor = org.user(persona)
    with pytest.raises(PermissionDenied):
        services.legal_entity_update(actor=actor, legal_entity=org.company, data={"name": "X"})
    with pytest.raises(PermissionDenied):
        services.region_create(actor=actor, legal_entity=org.company, name="West")
    with pytest.raises(PermissionDenied):
        services.role_update(actor=actor, role=Role.objects.get(code="sales_rep"), data={"name": "Rep"})
    assert Region.objects.filter(name="West").exists() is False


def test_an_entity_administrator_cannot_touch_another_legal_entity_or_create_entities(org):
    entity_admin = make_entity_admin(org)
    with pytest.raises(PermissionDenied):
        services.legal_entity_update(actor=entity_admin, legal_entity=org.company, data={"name": "Mine"})
    with pytest.raises(PermissionDenied):
        services.legal_entity_create(actor=entity_admin, name="New AB", organisation_number="5560160680")
    with pytest.raises(ValidationError) as exc:
        services.region_create(actor=entity_admin, legal_entity=org.company, name="West")
    assert codes(exc.value) == {"legal_entity": ["out_of_scope"]}
    region = services.region_create(actor=entity_admin, legal_entity=org.other_company, name="West Coast")
    assert region.code == "west-coast"


# --- regions, locations, teams ------------------------------------------------------------------


def test_region_codes_are_unique_within_a_legal_entity(org):
    with pytest.raises(ValidationError) as exc:
        services.region_create(actor=org.user("admin"), legal_entity=org.company, name="North", code="north")
    assert codes(exc.value) == {"code": ["duplicate_code"]}
    other = services.region_create(actor=org.user("admin"), legal_entity=org.other_company, name="North")
    assert other.code == "north"


def test_location_takes_its_legal_entity_from_the_region_and_stores_opening_hours(org):
    admin = org.user("admin")
    location = services.location_create(
        actor=admin,
        region=org.south,
        name="Lund Clinic",
        kind=Location.Kind.CLINIC,
        opening_hours={"mon": [["08:00", "17:00"]], "sat": [["13:00", "15:00"], ["09:00", "12:00"]]},
    )
    location.refresh_from_db()
    assert location.legal_entity == org.company
    assert location.opening_hours == {
        "mon": [["08:00", "17:00"]],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [],
        "sat": [["09:00", "12:00"], ["13:00", "15:00"]],
        "sun": [],
    }
    assert AuditEntry.objects.for_object(location).get().action == "org.location.created"


@pytest.mark.parametrize(
    ("hours", "code"),
    [
        ({"mon": [["17:00", "08:00"]]}, "hours_close_before_open"),
        ({"tue": [["08:00", "08:00"]]}, "hours_close_before_open"),
        ({"wed": [["8:00", "17:00"]]}, "hours_time"),
        ({"thu": [["08:00", "24:00"]]}, "hours_time"),
        ({"fri": [["08:00", "12:00"], ["11:00", "17:00"]]}, "hours_overlap"),
        ({"sat": [["08:00"]]}, "hours_format"),
        ({"funday": []}, "hours_unknown_day"),
        (["mon"], "hours_format"),
    ],
)
def test_opening_hours_are_validated(hours, code):
    with pytest.raises(ValidationError) as exc:
        normalise_opening_hours(hours)
    assert [e.code for e in exc.value.error_list] == [code]


def test_invalid_opening_hours_name_the_day_and_save_nothing(org):
    with pytest.raises(ValidationError) as exc:
        services.location_update(
            actor=org.user("admin"),
            location=org.clinic,
            data={"opening_hours": {"mon": [["17:00", "08:00"]]}},
        )
    assert codes(exc.value) == {"opening_hours": ["hours_close_before_open"]}
    with translation.override("en"):
        assert exc.value.error_dict["opening_hours"][0].messages == [
            "Monday: the closing time must be after the opening time."
        ]
    org.clinic.refresh_from_db()
    assert org.clinic.opening_hours == {}


def test_a_location_cannot_move_to_a_region_of_another_legal_entity(org):
    with pytest.raises(ValidationError) as exc:
        services.location_update(
            actor=org.user("admin"), location=org.clinic, data={"region": org.other_region}
        )
    assert codes(exc.value) == {"region": ["region_entity"]}
    clinic = Location.objects.get(pk=org.clinic.pk)  # the refused call changed the object in memory
    moved = services.location_update(actor=org.user("admin"), location=clinic, data={"region": org.south})
    assert moved.region == org.south
    entry = AuditEntry.objects.for_object(org.clinic).get()
    assert entry.changes == {"region": ["North", "South"]}


def test_team_lead_must_work_for_the_teams_legal_entity(org):
    admin = org.user("admin")
    with pytest.raises(ValidationError) as exc:
        services.team_create(actor=admin, location=org.clinic, name="Desk", lead=staff_of(org, "other_clerk"))
    assert codes(exc.value) == {"lead": ["unit_entity"]}
    team = services.team_create(
        actor=admin, location=org.clinic, name="Desk", lead=staff_of(org, "receptionist")
    )
    assert Team.objects.get(pk=team.pk).lead == staff_of(org, "receptionist")


# --- staff ---------------------------------------------------------------------------------------


def create_staff(org, **overrides):
    fields = {
        "email": "Nina@Example.com",
        "username": "nina",
        "first_name": "Nina",
        "last_name": "Nilsson",
        "legal_entity": org.company,
        "role": Role.objects.get(code="receptionist"),
        "home_location": org.clinic,
    }
    fields.update(overrides)
    return services.staff_create(actor=org.user("admin"), **fields)


def test_creating_staff_creates_a_user_without_a_usable_password(org):
    staff = create_staff(org, title="Receptionist", regions=[org.north])
    user = User.objects.get(username="nina")
    assert staff.user == user
    assert user.email == "nina@example.com"
    assert user.has_usable_password() is False
    assert user.language == "sv"
    assert staff.home_region == org.north  # taken from the home location
    assert list(staff.regions.all()) == [org.north]
    entry = AuditEntry.objects.for_object(staff).get()
    assert entry.action == "org.staff.created"
    assert entry.changes == {
        "user": [None, "Nina Nilsson"],
        "legal_entity": [None, "Tandhälsan Norden AB"],
        "role": [None, "Receptionist"],
        "title": [None, "Receptionist"],
        "home_region": [None, "North"],
        "home_location": [None, "North Dental Clinic"],
        "regions": [None, ["North"]],
        "active": [None, True],
    }


def test_staff_with_an_existing_e_mail_or_username_is_refused(org):
    with pytest.raises(ValidationError) as exc:
        create_staff(org, email="ADMIN@example.com", username="admin")
    assert codes(exc.value) == {"email": ["duplicate_email"], "username": ["unique"]}
    assert User.objects.filter(first_name="Nina").exists() is False


def test_staff_units_must_belong_to_their_legal_entity(org):
    with pytest.raises(ValidationError) as exc:
        create_staff(
            org,
            home_location=org.other_office,
            home_region=org.north,
            regions=[org.other_region],
            locations=[org.other_office],
        )
    assert codes(exc.value) == {
        "home_location": ["unit_entity"],
        "regions": ["unit_entity"],
        "locations": ["unit_entity"],
    }


def test_home_location_must_lie_in_the_home_region(org):
    with pytest.raises(ValidationError) as exc:
        create_staff(org, home_region=org.south, home_location=org.clinic)
    assert codes(exc.value) == {"home_location": ["location_region"]}


def test_a_person_cannot_supervise_themself(org):
    rep = staff_of(org, "rep_north")
    with pytest.raises(ValidationError) as exc:
        services.staff_update(actor=org.user("admin"), staff=rep, data={"supervisor": rep})
    assert codes(exc.value) == {"supervisor": ["supervisor_self"]}


def test_a_supervisor_cycle_is_refused(org):
    admin = org.user("admin")
    nsm, rsm, rep = staff_of(org, "nsm"), staff_of(org, "rsm_north"), staff_of(org, "rep_north")
    services.staff_update(actor=admin, staff=rsm, data={"supervisor": nsm})
    services.staff_update(actor=admin, staff=rep, data={"supervisor": rsm})
    with pytest.raises(ValidationError) as exc:
        services.staff_update(actor=admin, staff=Staff.objects.get(pk=nsm.pk), data={"supervisor": rep})
    assert codes(exc.value) == {"supervisor": ["supervisor_cycle"]}
    assert Staff.objects.get(pk=nsm.pk).supervisor is None


def test_updating_staff_audits_the_change_and_refreshes_their_scope(org):
    admin = org.user("admin")
    rep_user = org.user("rep_north")
    from frontoffice.core.scoping import user_scope

    assert user_scope(rep_user).region_ids == frozenset({org.north.pk})
    rep = Staff.objects.select_related("user").get(user=rep_user)
    rep.user = rep_user  # the same object the request would hold
    services.staff_update(
        actor=admin,
        staff=rep,
        data={"home_region": org.south, "home_location": org.south_office, "title": "Senior rep"},
    )
    assert user_scope(rep_user).region_ids == frozenset({org.south.pk})
    entry = AuditEntry.objects.for_object(rep).get()
    assert entry.action == "org.staff.updated"
    assert entry.changes == {
        "title": ["", "Senior rep"],
        "home_region": ["North", "South"],
        "home_location": ["North Sales Office", "South Sales Office"],
    }


def test_deactivating_staff_keeps_the_record_and_stops_sign_in(org):
    rep = staff_of(org, "rep_north")
    services.staff_update(actor=org.user("admin"), staff=rep, data={"active": False})
    rep.refresh_from_db()
    assert rep.active is False
    assert User.objects.get(username="rep_north").is_active is False
    assert Staff.objects.filter(pk=rep.pk).exists() is True


def test_an_administrator_cannot_deactivate_themself(org):
    admin = org.user("admin")
    with pytest.raises(ValidationError) as exc:
        services.staff_update(actor=admin, staff=staff_of(org, "admin"), data={"active": False})
    assert codes(exc.value) == {"active": ["self_deactivate"]}


def test_an_entity_administrator_cannot_give_a_role_that_sees_further_than_their_own(org):
    entity_admin = make_entity_admin(org)
    clerk = staff_of(org, "other_clerk")
    with pytest.raises(ValidationError) as exc:
        services.staff_update(
            actor=entity_admin, staff=clerk, data={"role": Role.objects.get(code="national_sales_manager")}
        )
    assert codes(exc.value) == {"role": ["role_scope"]}
    services.staff_update(actor=entity_admin, staff=clerk, data={"role": Role.objects.get(code="auditor")})
    assert staff_of(org, "other_clerk").role.code == "auditor"
    # A wider role given earlier by an organisation-wide administrator does not block other edits.
    Staff.objects.filter(pk=clerk.pk).update(role=Role.objects.get(code="national_sales_manager"))
    services.staff_update(actor=entity_admin, staff=staff_of(org, "other_clerk"), data={"title": "Analyst"})
    assert staff_of(org, "other_clerk").title == "Analyst"


def test_an_entity_administrator_cannot_edit_staff_of_another_legal_entity(org):
    with pytest.raises(PermissionDenied):
        services.staff_update(actor=make_entity_admin(org), staff=staff_of(org, "clerk"), data={"title": "X"})


# --- roles ---------------------------------------------------------------------------------------


def perms(*codes):
    result = []
    for code in codes:
        app, codename = code.split(".")
        result.append(Permission.objects.get(content_type__app_label=app, codename=codename))
    return result


def test_creating_a_role_makes_a_unique_code_and_audits_its_permissions(org):
    admin = org.user("admin")
    role = services.role_create(
        actor=admin, name="Receptionist", scope="location", permissions=perms("parties.view_party")
    )
    assert role.code == "receptionist-2"
    assert role.is_default is False
    entry = AuditEntry.objects.for_object(role).get()
    assert entry.action == "org.role.created"
    assert entry.changes == {
        "name": [None, "Receptionist"],
        "scope": [None, "location"],
        "permissions": [None, ["parties.view_party"]],
    }


def test_framework_permissions_cannot_be_given_to_a_role(org):
    with pytest.raises(ValidationError) as exc:
        services.role_create(
            actor=org.user("admin"), name="Hacker", scope="own", permissions=perms("auth.add_group")
        )
    assert codes(exc.value) == {"permissions": ["permission_not_assignable"]}


def test_the_administrator_role_must_keep_manage_settings(org):
    role = Role.objects.get(code="administrator")
    before = sorted(role.permissions.values_list("codename", flat=True))
    with pytest.raises(ValidationError) as exc:
        services.role_update(
            actor=org.user("admin"), role=role, data={"permissions": perms("parties.view_party")}
        )
    assert codes(exc.value) == {"permissions": ["settings_lockout"]}
    assert (
        sorted(Role.objects.get(code="administrator").permissions.values_list("codename", flat=True))
        == before
    )


def test_a_shipped_role_can_be_edited_and_the_change_is_audited(org):
    role = Role.objects.get(code="receptionist")
    before = sorted(f"{p.content_type.app_label}.{p.codename}" for p in role.permissions.all())
    services.role_update(
        actor=org.user("admin"),
        role=role,
        data={"name": "Front desk", "permissions": perms("parties.view_party", "org.view_location")},
    )
    role.refresh_from_db()
    assert role.name == "Front desk"
    assert sorted(f"{p.content_type.app_label}.{p.codename}" for p in role.permissions.all()) == [
        "org.view_location",
        "parties.view_party",
    ]
    entry = AuditEntry.objects.for_object(role).get()
    assert entry.changes == {
        "name": ["Receptionist", "Front desk"],
        "permissions": [before, ["org.view_location", "parties.view_party"]],
    }
    # The shipped receptionist works the customer records and the reception desk.
    assert {"parties.view_party", "parties.add_interaction", "reception.view_visit"} <= set(before)


def test_only_an_organisation_wide_administrator_edits_roles(org):
    with pytest.raises(PermissionDenied):
        services.role_update(
            actor=make_entity_admin(org),
            role=Role.objects.get(code="entity_admin"),
            data={"scope": "organisation"},
        )
    assert Role.objects.get(code="entity_admin").scope == "legal_entity"
