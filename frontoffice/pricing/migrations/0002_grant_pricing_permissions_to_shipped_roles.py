"""Grant pricing's permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before pricing existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_priceprofile": ("priceprofile", "Can view price profile"),
    "add_priceprofile": ("priceprofile", "Can add price profile"),
    "change_priceprofile": ("priceprofile", "Can change price profile"),
    "approve_priceprofile": (
        "priceprofile",
        "Can approve or reject price profiles within own discount authority",
    ),
    "view_discountauthority": ("discountauthority", "Can view discount authority"),
    "change_discountauthority": ("discountauthority", "Can change discount authority"),
}
READ = ["view_priceprofile"]
SALES = [*READ, "add_priceprofile", "change_priceprofile"]
APPROVER = [*SALES, "approve_priceprofile"]
GRANTS = {
    "finance_manager": list(PERMS),
    "national_sales_manager": APPROVER,
    "regional_sales_manager": APPROVER,
    "sales_rep": SALES,
    "accounts_clerk": READ,
    "auditor": [*READ, "view_discountauthority"],
    "administrator": [*READ, "view_discountauthority"],
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="pricing", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
