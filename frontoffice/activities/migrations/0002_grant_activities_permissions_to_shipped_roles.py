"""Grant the activities permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before activities existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_activity": ("activity", "Can view activity"),
    "add_activity": ("activity", "Can add activity"),
    "change_activity": ("activity", "Can change activity"),
    "view_meeting": ("meeting", "Can view meeting"),
    "add_meeting": ("meeting", "Can add meeting"),
    "change_meeting": ("meeting", "Can change meeting"),
    "view_emailtemplate": ("emailtemplate", "Can view e-mail template"),
    "add_emailtemplate": ("emailtemplate", "Can add e-mail template"),
    "change_emailtemplate": ("emailtemplate", "Can change e-mail template"),
}
READ = ["view_activity", "view_meeting", "view_emailtemplate"]
REP = [*READ, "add_activity", "change_activity", "add_meeting", "change_meeting"]
MANAGER = [*REP, "add_emailtemplate", "change_emailtemplate"]
GRANTS = {
    "administrator": [*READ, "add_emailtemplate", "change_emailtemplate"],
    "national_sales_manager": MANAGER,
    "regional_sales_manager": MANAGER,
    "sales_rep": REP,
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="activities", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
