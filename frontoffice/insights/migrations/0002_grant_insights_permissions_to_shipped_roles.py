"""Grant the insights permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before insights existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_own_scorecard": ("dailyfact", "Can view their own scorecard"),
    "view_team_insights": (
        "dailyfact",
        "Can view the scorecards and dashboards of the people in their reach",
    ),
}
OWN = ["view_own_scorecard"]
MANAGER = [*OWN, "view_team_insights"]
GRANTS = {
    "administrator": MANAGER,
    "national_sales_manager": MANAGER,
    "regional_sales_manager": MANAGER,
    "office_manager": MANAGER,
    "finance_manager": MANAGER,
    "sales_rep": OWN,
    "receptionist": OWN,
    "accounts_clerk": OWN,
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="insights", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
