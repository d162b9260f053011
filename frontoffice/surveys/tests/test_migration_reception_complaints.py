"""The migration that merges reception's complaints log into ``surveys.Complaint``
(``surveys 0004_move_reception_complaints``, then ``reception 0003_delete_complaint``).

The database is migrated back to just before the move, reception complaints are written with
the historical models, and the database is migrated forward again (Django's
``MigrationExecutor``): every row, status, owner, date and visit link survives, the audit trail
is copied, permissions follow, a resolved complaint without a resolution stops the migration
before anything changes, and going back and forth again moves each row once.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("surveys", "0003_complaint_about_and_moved_from"),
    ("reception", "0002_grant_reception_permissions_to_shipped_roles"),
]
AFTER = [("surveys", "0004_move_reception_complaints"), ("reception", "0003_delete_complaint")]
UTC = datetime.UTC


def state_apps(targets):
    """The historical apps with ``targets`` for surveys and reception, every other app at its
    latest migration."""
    loader = MigrationExecutor(connection).loader
    others = [n for n in loader.graph.leaf_nodes() if n[0] not in ("surveys", "reception")]
    return loader.project_state([*others, *targets]).apps


def migrate(targets):
    """Migrate to ``targets``; the historical apps there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return state_apps(targets)


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def before(org):
    """The database just before the move (restored to the latest migrations afterwards)."""
    try:
        yield migrate(BEFORE)
    finally:
        migrate_to_latest()


def _old_rows(apps, org):
    """Three reception complaints: open and unowned at the clinic; in progress, owned, about a
    visit, with its audit trail; resolved, at the other company's office."""
    Visit = apps.get_model("reception", "Visit")
    Old = apps.get_model("reception", "Complaint")
    Party = apps.get_model("parties", "Party")
    AuditEntry = apps.get_model("core", "AuditEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    rec, om = org.user("receptionist"), org.user("office_manager")
    party = Party.objects.create(
        legal_entity_id=org.company.pk, kind="person", display_name="Anna Svensson", first_name="Anna"
    )
    visit = Visit.objects.create(
        location_id=org.clinic.pk,
        party_id=party.pk,
        visit_date=datetime.date(2026, 3, 2),
        ticket_number=7,
        arrived_at=datetime.datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        status="done",
    )
    cold = Old.objects.create(
        location_id=org.clinic.pk, description="  Cold room\nand nobody came", created_by_id=rec.pk
    )
    rude = Old.objects.create(
        location_id=org.clinic.pk,
        party_id=party.pk,
        visit_id=visit.pk,
        description="Rude on the phone " + "x" * 100,
        owner_id=om.pk,
        deadline=datetime.date(2026, 3, 10),
        status="in_progress",
        created_by_id=rec.pk,
    )
    done = Old.objects.create(
        location_id=org.other_office.pk,
        description="Lost coat",
        status="resolved",
        resolution="Found it",
        resolved_at=datetime.datetime(2026, 3, 4, 12, 0, tzinfo=UTC),
        resolved_by_id=om.pk,
    )
    times = {
        cold.pk: datetime.datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        rude.pk: datetime.datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        done.pk: datetime.datetime(2026, 3, 3, 11, 0, tzinfo=UTC),
    }
    for pk, at in times.items():
        Old.objects.filter(pk=pk).update(created_at=at, updated_at=at + datetime.timedelta(hours=1))
    old_ct = ContentType.objects.get_or_create(app_label="reception", model="complaint")[0]
    created = AuditEntry.objects.create(
        actor_id=rec.pk,
        action="reception.complaint.created",
        content_type=old_ct,
        object_id=str(rude.pk),
        object_repr="North clinic: Rude",
        changes={"owner": [None, om.pk]},
    )
    AuditEntry.objects.filter(pk=created.pk).update(at=times[rude.pk])
    return {"cold": cold.pk, "rude": rude.pk, "done": done.pk, "visit": visit.pk, "party": party.pk}


def _custom_role_with_reception_add(apps):
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Role = apps.get_model("org", "Role")
    ct = ContentType.objects.get_or_create(app_label="reception", model="complaint")[0]
    perm = Permission.objects.get_or_create(
        content_type=ct, codename="add_complaint", defaults={"name": "Can add complaint"}
    )[0]
    role = Role.objects.create(code="desk_helper", name="Desk helper", scope="location")
    role.permissions.add(perm)
    return role.pk


def test_every_reception_complaint_moves_with_its_status_owner_dates_visit_and_audit(org, before):
    from frontoffice.core.models import AuditEntry
    from frontoffice.org.models import Role
    from frontoffice.surveys.models import Complaint

    old = _old_rows(before, org)
    role_pk = _custom_role_with_reception_add(before)
    migrate(AFTER)

    moved = {c.moved_from: c for c in Complaint.objects.all()}
    assert sorted(moved) == sorted(f"reception.complaint:{old[k]}" for k in ("cold", "rude", "done"))
    cold, rude, done = (moved[f"reception.complaint:{old[k]}"] for k in ("cold", "rude", "done"))
    assert {c.desk for c in moved.values()} == {"reception"}
    assert {c.channel for c in moved.values()} == {"in_person"}
    # Legal entity and region from the location.
    assert (cold.legal_entity_id, cold.region_id, cold.location_id) == (
        org.company.pk,
        org.north.pk,
        org.clinic.pk,
    )
    assert (done.legal_entity_id, done.region_id, done.location_id) == (
        org.other_company.pk,
        org.other_region.pk,
        org.other_office.pk,
    )
    # Statuses, owners, deadlines, resolutions and who did what.
    assert (cold.status, cold.owner_id, cold.deadline, cold.created_by_id) == (
        "open",
        None,
        None,
        org.user("receptionist").pk,
    )
    assert (rude.status, rude.owner_id, rude.deadline) == (
        "in_progress",
        org.user("office_manager").pk,
        datetime.date(2026, 3, 10),
    )
    assert (done.status, done.resolution, done.resolved_by_id, done.resolved_at) == (
        "resolved",
        "Found it",
        org.user("office_manager").pk,
        datetime.datetime(2026, 3, 4, 12, 0, tzinfo=UTC),
    )
    # Times kept.
    assert (rude.created_at, rude.updated_at) == (
        datetime.datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        datetime.datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
    )
    # Texts: the description whole, the subject its first line (at most 80 characters).
    assert (cold.subject, cold.description) == ("Cold room", "  Cold room\nand nobody came")
    assert rude.description == "Rude on the phone " + "x" * 100
    assert (
        len(rude.subject) == 80 and rude.subject.startswith("Rude on the phone x") and rude.subject[-1] == "…"
    )
    # The visit link and the customer.
    assert (rude.about_key, rude.about_label, rude.party_id) == (
        f"reception.visit:{old['visit']}",
        "#7 2026-03-02",
        old["party"],
    )
    assert rude.about.pk == old["visit"]
    assert (cold.about_key, cold.about_label) == ("", "")
    # The audit trail: the old entry copied (time and actor kept), then the move.
    trail = list(AuditEntry.objects.for_object(rude).order_by("at", "pk"))
    assert [(e.action, e.actor_id) for e in trail] == [
        ("reception.complaint.created", org.user("receptionist").pk),
        ("surveys.complaint.moved", None),
    ]
    assert trail[0].at == datetime.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert trail[1].changes == {"moved_from": [None, f"reception.complaint:{old['rude']}"]}
    assert AuditEntry.objects.filter(action="reception.complaint.created").count() == 2  # original kept
    # Permissions follow: reception's are gone, the custom role got surveys'.
    codenames = set(
        Role.objects.get(pk=role_pk).permissions.values_list("content_type__app_label", "codename")
    )
    assert codenames == {("surveys", "add_complaint")}
    assert "reception_complaint" not in connection.introspection.table_names()
    # The receptionist finds the moved complaints of her location, as before.
    from frontoffice.surveys.selectors import complaint_list

    assert set(complaint_list(user=org.user("receptionist"), desk="reception")) == {cold, rude}


def test_going_back_restores_reception_rows_and_forward_again_moves_each_once(org, before):
    from frontoffice.surveys.models import Complaint

    old = _old_rows(before, org)
    migrate(AFTER)
    assert Complaint.objects.count() == 3
    apps = migrate(BEFORE)
    Old = apps.get_model("reception", "Complaint")
    assert set(Old.objects.values_list("pk", flat=True)) == {old["cold"], old["rude"], old["done"]}
    assert Old.objects.get(pk=old["rude"]).visit_id == old["visit"]
    assert Old.objects.get(pk=old["done"]).status == "resolved"
    assert apps.get_model("surveys", "Complaint").objects.count() == 0
    migrate(AFTER)
    assert Complaint.objects.filter(desk="reception").count() == 3


def test_a_resolved_complaint_without_resolution_stops_the_migration_and_changes_nothing(org, before):
    Old = before.get_model("reception", "Complaint")
    ok = Old.objects.create(location_id=org.clinic.pk, description="Fine")
    broken = Old.objects.create(location_id=org.clinic.pk, description="Odd", status="resolved")
    with pytest.raises(RuntimeError, match=rf"\[{broken.pk}\] are resolved without a resolution"):
        migrate(AFTER)
    executor = MigrationExecutor(connection)
    assert ("surveys", "0004_move_reception_complaints") not in executor.loader.applied_migrations
    apps = state_apps(BEFORE)
    assert apps.get_model("surveys", "Complaint").objects.count() == 0
    assert set(Old.objects.values_list("pk", flat=True)) == {ok.pk, broken.pk}
    Old.objects.filter(pk=broken.pk).update(resolution="Answered by phone")
    migrate(AFTER)
    from frontoffice.surveys.models import Complaint

    assert (
        Complaint.objects.get(moved_from=f"reception.complaint:{broken.pk}").resolution == "Answered by phone"
    )
