"""Grant the ledger's permissions to the shipped roles, as PRODUCT.md describes them.

Shipped roles are created once and then belong to the administrator, so new permissions reach
them only through a migration like this one. Permissions are created here if the post-migrate
step has not made them yet. Only shipped roles (is_default) that exist are touched.
"""

from django.db import migrations

PERMS = {
    "view_ledgeraccount": ("ledgeraccount", "Can view ledger account"),
    "add_ledgeraccount": ("ledgeraccount", "Can add ledger account"),
    "change_ledgeraccount": ("ledgeraccount", "Can change ledger account"),
    "view_journalentry": ("journalentry", "Can view voucher"),
    "add_journalentry": ("journalentry", "Can add voucher"),
    "change_journalentry": ("journalentry", "Can change voucher"),
    "post_journalentry": ("journalentry", "Can post vouchers"),
    "approve_journalentry": ("journalentry", "Can approve vouchers as the second person"),
    "reverse_journalentry": ("journalentry", "Can reverse posted vouchers"),
    "manage_ledger": ("journalentry", "Can manage the chart of accounts, periods and posting standards"),
    "view_ledger_reports": ("journalentry", "Can view ledger reports"),
    "view_postingrejection": ("postingrejection", "Can view rejected posting"),
}
CLERK = ["view_ledgeraccount", "view_journalentry", "add_journalentry", "change_journalentry",
         "post_journalentry", "reverse_journalentry", "view_ledger_reports"]
GRANTS = {
    "finance_manager": list(PERMS),
    "accounts_clerk": CLERK,
    "auditor": ["view_ledgeraccount", "view_journalentry", "view_ledger_reports", "view_postingrejection"],
    "administrator": ["view_ledgeraccount", "view_journalentry", "view_ledger_reports"],
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="finance", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("finance", "0002_posted_vouchers_immutable"), ("org", "0001_initial")]
    # Reversing leaves the grants: removing permissions from roles an administrator may since
    # have edited would be guesswork.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
