"""Move reception's complaints log (``reception.Complaint``) into the one ``surveys.Complaint``.

Every reception complaint becomes a surveys complaint of the reception desk (channel in
person), with the location's legal entity and region, the customer, the visit it was about
(generic reference and label), owner, deadline, status, resolution, who resolved it and when,
who registered it and its created/updated times. ``moved_from`` keeps "reception.complaint:<id>"
so the old pages redirect. Reception had no subject: it is the description's first line.

The audit trail is append-only, so the old entries stay as they are (on the old record) and
each is copied, with its time and actor, onto the new record, followed by one
``surveys.complaint.moved`` entry. Roles and users holding a reception complaint permission get
the surveys one. Reception's ``0003_delete_complaint`` then drops the old table.

Checked before anything changes: a resolved complaint without a resolution would break
``surveys_complaint_resolved_has_resolution``; the migration stops and names them. Rows already
moved (``moved_from`` taken) are skipped, so a second run changes nothing.

Reverse: moves the rows back under their old ids and deletes the moved surveys rows (the copied
audit entries stay, append-only).
"""

from django.core.management.color import no_style
from django.db import migrations
from django.utils import timezone

SUBJECT_MAX = 80
PERMS = {"view_complaint", "add_complaint", "change_complaint"}


def _subject(description):
    lines = [line.strip() for line in (description or "").strip().splitlines() if line.strip()]
    first = " ".join((lines[0] if lines else "").split()) or "Complaint"
    return first if len(first) <= SUBJECT_MAX else first[: SUBJECT_MAX - 1].rstrip() + "…"


def _ct(apps, app_label, model, create=True):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if create:
        return ContentType.objects.get_or_create(app_label=app_label, model=model)[0]
    return ContentType.objects.filter(app_label=app_label, model=model).first()


def _grant_surveys_perms(apps):
    """Whoever could work reception complaints can work surveys complaints (custom roles too)."""
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    User = apps.get_model("org", "User")
    old_ct = _ct(apps, "reception", "complaint", create=False)
    if old_ct is None:
        return
    new_ct = _ct(apps, "surveys", "complaint")
    for codename in PERMS:
        old = Permission.objects.filter(content_type=old_ct, codename=codename).first()
        if old is None:
            continue
        new, _ = Permission.objects.get_or_create(
            content_type=new_ct,
            codename=codename,
            defaults={"name": f"Can {codename.split('_')[0]} complaint"},
        )
        for role in Role.objects.filter(permissions=old):
            role.permissions.add(new)
        for user in User.objects.filter(user_permissions=old):
            user.user_permissions.add(new)


def move(apps, schema_editor):
    Old = apps.get_model("reception", "Complaint")
    New = apps.get_model("surveys", "Complaint")
    AuditEntry = apps.get_model("core", "AuditEntry")

    broken = [
        pk
        for pk, resolution in Old.objects.filter(status="resolved").values_list("pk", "resolution")
        if not (resolution or "").strip()
    ]
    if broken:
        raise RuntimeError(
            f"Reception complaints {broken} are resolved without a resolution: write one into "
            "reception_complaint.resolution, then migrate again (nothing was changed)."
        )
    done = set(New.objects.exclude(moved_from="").values_list("moved_from", flat=True))
    old_ct = _ct(apps, "reception", "complaint", create=False)
    new_ct = _ct(apps, "surveys", "complaint")
    visit_ct = None
    now = timezone.now()

    rows = Old.objects.select_related("location", "visit").order_by("pk")
    for old in rows.iterator(chunk_size=500):
        ref = f"reception.complaint:{old.pk}"
        if ref in done:
            continue
        about = {}
        if old.visit_id:
            visit_ct = visit_ct or _ct(apps, "reception", "visit")
            # As Visit.__str__: "#<ticket> <day>".
            about = {
                "about_type": visit_ct,
                "about_id": str(old.visit_id),
                "about_label": f"#{old.visit.ticket_number} {old.visit.visit_date.isoformat()}",
            }
        new = New.objects.create(
            legal_entity_id=old.location.legal_entity_id,
            desk="reception",
            channel="in_person",
            region_id=old.location.region_id,
            location_id=old.location_id,
            party_id=old.party_id,
            subject=_subject(old.description),
            description=old.description,
            owner_id=old.owner_id,
            deadline=old.deadline,
            status=old.status,
            resolution=old.resolution,
            # A resolved row always has its time in reception's service; the last change
            # (updated_at) stands in should one lack it.
            resolved_at=old.resolved_at or (old.updated_at if old.status == "resolved" else None),
            resolved_by_id=old.resolved_by_id,
            created_by_id=old.created_by_id,
            moved_from=ref,
            **about,
        )
        # created_at/updated_at are auto_now(_add): set the old times after the insert.
        New.objects.filter(pk=new.pk).update(created_at=old.created_at, updated_at=old.updated_at)

        entries = (
            AuditEntry.objects.filter(content_type=old_ct, object_id=str(old.pk)).order_by("at", "pk")
            if old_ct
            else []
        )
        for entry in entries:
            copy = AuditEntry.objects.create(
                actor_id=entry.actor_id,
                action=entry.action,
                content_type=new_ct,
                object_id=str(new.pk),
                object_repr=entry.object_repr,
                changes=entry.changes,
            )
            AuditEntry.objects.filter(pk=copy.pk).update(at=entry.at)
        moved = AuditEntry.objects.create(
            actor_id=None,
            action="surveys.complaint.moved",
            content_type=new_ct,
            object_id=str(new.pk),
            object_repr=new.subject[:255],
            changes={"moved_from": [None, ref]},
        )
        AuditEntry.objects.filter(pk=moved.pk).update(at=now)

    _grant_surveys_perms(apps)


def move_back(apps, schema_editor):
    Old = apps.get_model("reception", "Complaint")
    New = apps.get_model("surveys", "Complaint")
    visit_ct = _ct(apps, "reception", "visit", create=False)
    for new in New.objects.filter(moved_from__startswith="reception.complaint:").order_by("pk"):
        old_pk = int(new.moved_from.split(":", 1)[1])
        visit_id = int(new.about_id) if visit_ct and new.about_type_id == visit_ct.pk else None
        Old.objects.create(
            pk=old_pk,
            location_id=new.location_id,
            party_id=new.party_id,
            visit_id=visit_id,
            description=new.description,
            owner_id=new.owner_id,
            deadline=new.deadline,
            status=new.status,
            resolution=new.resolution,
            resolved_at=new.resolved_at,
            resolved_by_id=new.resolved_by_id,
            created_by_id=new.created_by_id,
        )
        Old.objects.filter(pk=old_pk).update(created_at=new.created_at, updated_at=new.updated_at)
        new.delete()
    # The rows came back under their old ids: move the id sequence past them (PostgreSQL).
    with schema_editor.connection.cursor() as cursor:
        for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [Old]):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0003_complaint_about_and_moved_from"),
        ("reception", "0002_grant_reception_permissions_to_shipped_roles"),
        ("core", "0002_initial"),
        ("org", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(move, move_back)]
