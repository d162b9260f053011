"""Grant the rfps permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before rfps existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_rfp": ("rfp", "Can view request for proposal"),
    "add_rfp": ("rfp", "Can add request for proposal"),
    "change_rfp": ("rfp", "Can change request for proposal"),
    "approve_rfp": ("rfp", "Can approve RFP responses and promote answers to the library"),
    "manage_library": ("rfp", "Can add and edit answer library entries"),
}
REP = ["view_rfp", "add_rfp", "change_rfp"]
MANAGER = [*REP, "approve_rfp", "manage_library"]
GRANTS = {
    "national_sales_manager": MANAGER,
    "regional_sales_manager": MANAGER,
    "sales_rep": REP,
    "administrator": ["view_rfp", "manage_library"],
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="rfps", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("rfps", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
