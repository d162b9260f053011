"""Grant the appointments permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before appointments existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_appointment": ("appointment", "Can view appointment"),
    "add_appointment": ("appointment", "Can add appointment"),
    "change_appointment": ("appointment", "Can change appointment"),
    "view_resource": ("resource", "Can view resource"),
    "manage_resources": ("resource", "Can manage resources, working hours, absences and types"),
    "view_appointmenttype": ("appointmenttype", "Can view appointment type"),
}
DESK = ["view_appointment", "add_appointment", "change_appointment", "view_resource", "view_appointmenttype"]
GRANTS = {
    "receptionist": DESK,
    "office_manager": [*DESK, "manage_resources"],
    "administrator": list(PERMS),
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="appointments", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
