"""Drop reception's complaints log: surveys' ``0004_move_reception_complaints`` has moved every
row into ``surveys.Complaint`` (desk "reception") and granted the surveys complaint permissions
to whoever held reception's. Reception's complaint permissions go with the model (roles and
users lose them); the ``reception.complaint`` content type stays, since the old audit entries
point at it (append-only).
"""

from django.db import migrations


def drop_permissions(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    ct = ContentType.objects.filter(app_label="reception", model="complaint").first()
    if ct is not None:
        Permission.objects.filter(content_type=ct).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0002_grant_reception_permissions_to_shipped_roles"),
        ("surveys", "0004_move_reception_complaints"),
    ]

    operations = [
        # Reverse: nothing to do; post_migrate recreates the permissions with the model.
        migrations.RunPython(drop_permissions, migrations.RunPython.noop),
        migrations.DeleteModel(name="Complaint"),
    ]
