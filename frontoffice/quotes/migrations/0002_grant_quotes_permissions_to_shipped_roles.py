"""Grant the quotes permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before quotes existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_quote": ("quote", "Can view quote"),
    "add_quote": ("quote", "Can add quote"),
    "change_quote": ("quote", "Can change quote"),
    "send_quote": ("quote", "Can send quotes to customers"),
    "approve_quote": ("quote", "Can approve discounts on quotes"),
}
READ = ["view_quote"]
SALES = [*READ, "add_quote", "change_quote", "send_quote"]
GRANTS = {
    "sales_rep": SALES,
    "regional_sales_manager": [*SALES, "approve_quote"],
    "national_sales_manager": [*SALES, "approve_quote"],
    "finance_manager": [*SALES, "approve_quote"],
    "accounts_clerk": READ,
    "auditor": READ,
    "administrator": READ,
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="quotes", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("quotes", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
