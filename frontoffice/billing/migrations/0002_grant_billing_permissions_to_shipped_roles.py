"""Grant billing's permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before billing existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_invoice": ("invoice", "Can view invoice"),
    "add_invoice": ("invoice", "Can add invoice"),
    "change_invoice": ("invoice", "Can change invoice"),
    "issue_invoice": ("invoice", "Can issue invoices and credit notes"),
    "manage_billing": ("invoice", "Can manage billing settings, VAT codes and series"),
    "view_product": ("product", "Can view product"),
    "add_product": ("product", "Can add product"),
    "change_product": ("product", "Can change product"),
    "view_productgroup": ("productgroup", "Can view product group"),
    "add_productgroup": ("productgroup", "Can add product group"),
    "change_productgroup": ("productgroup", "Can change product group"),
    "view_vatcode": ("vatcode", "Can view VAT code"),
    "add_vatcode": ("vatcode", "Can add VAT code"),
    "change_vatcode": ("vatcode", "Can change VAT code"),
    "view_billingprofile": ("billingprofile", "Can view billing profile"),
    "add_billingprofile": ("billingprofile", "Can add billing profile"),
    "change_billingprofile": ("billingprofile", "Can change billing profile"),
}
READ = ["view_invoice", "view_product", "view_productgroup", "view_vatcode", "view_billingprofile"]
SALES = [*READ, "add_billingprofile", "change_billingprofile"]
CLERK = [*SALES, "add_invoice", "change_invoice", "issue_invoice"]
GRANTS = {
    "finance_manager": list(PERMS),
    "accounts_clerk": CLERK,
    "auditor": READ,
    "administrator": [*READ, "manage_billing"],
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
        ct, _ = ContentType.objects.get_or_create(app_label="billing", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
