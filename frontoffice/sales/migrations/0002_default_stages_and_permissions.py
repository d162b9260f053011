"""Default pipeline stages for existing legal entities, and the sales permissions for the
shipped roles that already exist (see org/roles.py; fresh databases get them from
``org.roles.DEFAULT_ROLES`` after migrate). Only shipped roles (is_default) are touched.
"""

from django.db import migrations

from frontoffice.sales.stages import create_default_stages

PERMS = {
    "view_opportunity": ("opportunity", "Can view opportunity"),
    "add_opportunity": ("opportunity", "Can add opportunity"),
    "change_opportunity": ("opportunity", "Can change opportunity"),
    "view_forecast": ("opportunity", "Can view the sales forecast and pipeline reports"),
    "view_stage": ("stage", "Can view stage"),
    "manage_stages": ("stage", "Can manage pipeline stages"),
}
READ = ["view_opportunity", "view_stage", "view_forecast"]
SALES = [*READ, "add_opportunity", "change_opportunity"]
GRANTS = {
    "administrator": [*READ, "manage_stages"],
    "national_sales_manager": [*SALES, "manage_stages"],
    "regional_sales_manager": SALES,
    "sales_rep": SALES,
    "finance_manager": READ,
    "auditor": READ,
}


def forwards(apps, schema_editor):
    LegalEntity = apps.get_model("org", "LegalEntity")
    Stage = apps.get_model("sales", "Stage")
    for le_id in LegalEntity.objects.values_list("pk", flat=True):
        create_default_stages(Stage, le_id)

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="sales", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves stages and grants: an administrator may have edited them since.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
