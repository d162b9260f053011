"""Grant the surveys permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before surveys existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_surveyrequest": ("surveyrequest", "Can view survey request"),
    "view_complaint": ("complaint", "Can view complaint"),
    "add_complaint": ("complaint", "Can add complaint"),
    "change_complaint": ("complaint", "Can change complaint"),
    "manage_surveys": ("surveysettings", "Can change which contacts trigger customer surveys"),
}
DESK = ["view_surveyrequest", "view_complaint", "add_complaint", "change_complaint"]
MANAGER = [*DESK, "manage_surveys"]
GRANTS = {
    "administrator": MANAGER,
    "national_sales_manager": MANAGER,
    "finance_manager": MANAGER,
    "regional_sales_manager": DESK,
    "office_manager": DESK,
    "sales_rep": DESK,
    "receptionist": DESK,
    "accounts_clerk": DESK,
    "auditor": ["view_surveyrequest", "view_complaint"],
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="surveys", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
