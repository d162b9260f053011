"""Let the shipped administrator role set up ledgers of new legal entities.

Setting up a company (chart, fiscal year, an SIE import of its history) is administration of
the organisation: the administrator creates the legal entity and needs finance.manage_ledger
and finance.post_journalentry to load it. Finance managers keep their own legal entity only.
"""

from django.db import migrations

GRANT = ["manage_ledger", "post_journalentry"]


def grant(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = list(Permission.objects.filter(content_type__app_label="finance", codename__in=GRANT))
    for role in Role.objects.filter(code="administrator", is_default=True):
        role.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_grant_ledger_permissions_to_shipped_roles")]
    # Reversing leaves the grant: the administrator may have edited the role since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
