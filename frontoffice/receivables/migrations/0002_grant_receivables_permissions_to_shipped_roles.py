"""Grant the receivables permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before receivables existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_payment": ("payment", "Can view payment"),
    "add_payment": ("payment", "Can add payment"),
    "change_payment": ("payment", "Can change payment"),
    "view_receivables": ("payment", "Can view receivables aging, DSO and customer statements"),
    "manage_receivables": ("payment", "Can manage receivables settings"),
    "view_bankimport": ("bankimport", "Can view bank file import"),
    "add_bankimport": ("bankimport", "Can add bank file import"),
    "view_reminder": ("reminder", "Can view reminder"),
    "add_reminder": ("reminder", "Can add reminder"),
    "view_invoicedispute": ("invoicedispute", "Can view invoice dispute"),
    "add_invoicedispute": ("invoicedispute", "Can add invoice dispute"),
    "change_invoicedispute": ("invoicedispute", "Can change invoice dispute"),
}
# Sales roles read the aging of their own customers (row scope does the narrowing).
SALES = ["view_receivables"]
READ = [*SALES, "view_payment", "view_bankimport", "view_reminder", "view_invoicedispute"]
CLERK = [
    *READ,
    "add_payment",
    "change_payment",
    "add_bankimport",
    "add_reminder",
    "add_invoicedispute",
    "change_invoicedispute",
]
GRANTS = {
    "finance_manager": list(PERMS),
    "accounts_clerk": CLERK,
    "auditor": READ,
    "administrator": [*READ, "manage_receivables"],
    "national_sales_manager": SALES,
    "regional_sales_manager": SALES,
    "sales_rep": SALES,
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="receivables", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("receivables", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
