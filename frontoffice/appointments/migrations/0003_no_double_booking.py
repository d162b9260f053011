"""PostgreSQL: an exclusion constraint makes double booking impossible.

No two active appointments of one resource (or one room) may have overlapping busy ranges
(``[busy_from, busy_until)``, half-open, so back-to-back bookings are allowed). The constraint
lives only in this migration (not in ``Meta.constraints``) because SQLite has no exclusion
constraints; there the booking service serialises bookings of a resource instead.
``appointments.services.booking`` translates a violation into a ValidationError.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

ACTIVE = "('booked', 'checked_in', 'called_in', 'in_treatment', 'done')"
CONSTRAINTS = {
    "appointments_resource_no_overlap": "resource_id",
    "appointments_room_no_overlap": "room_id",
}


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE appointments_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(busy_from, busy_until, '[)') WITH &&) "
            f"WHERE (status IN {ACTIVE} AND {column} IS NOT NULL)"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE appointments_appointment DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("appointments", "0002_grant_appointments_permissions_to_shipped_roles")]
    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraints, drop_constraints),
    ]
