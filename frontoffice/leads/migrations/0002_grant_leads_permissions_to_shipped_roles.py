"""Grant the leads permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before leads existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_lead": ("lead", "Can view lead"),
    "add_lead": ("lead", "Can add lead"),
    "change_lead": ("lead", "Can change lead"),
    "assign_lead": ("lead", "Can assign and reassign leads"),
    "qualify_lead": ("lead", "Can qualify and disqualify leads"),
    "convert_lead": ("lead", "Can convert leads to opportunities"),
    "export_lead": ("lead", "Can export leads"),
    "import_lead": ("lead", "Can import leads"),
    "view_leadsource": ("leadsource", "Can view lead source"),
    "manage_leads": ("leadsource", "Can manage lead sources, routing rules and the checklist"),
}
READ = ["view_lead", "view_leadsource"]
REP = [*READ, "add_lead", "change_lead", "qualify_lead", "convert_lead", "export_lead"]
MANAGER = [*REP, "assign_lead", "import_lead"]
GRANTS = {
    "administrator": [*READ, "manage_leads"],
    "national_sales_manager": [*MANAGER, "manage_leads"],
    "regional_sales_manager": MANAGER,
    "sales_rep": REP,
    "auditor": READ,
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="leads", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
