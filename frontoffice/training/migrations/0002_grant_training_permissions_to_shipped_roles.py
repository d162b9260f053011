"""Grant the training permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before training existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    "view_course": ("course", "Can view course"),
    "add_course": ("course", "Can add course"),
    "change_course": ("course", "Can change course"),
    "assign_course": ("course", "Can assign courses to people, teams and roles"),
    "view_team_training": ("course", "Can see the training status of their people"),
    "manage_training": ("course", "Can set role curricula, capability gates and rubrics"),
    "add_observation": ("observation", "Can add observation"),
    "view_observation": ("observation", "Can view observation"),
    "add_coachingnote": ("coachingnote", "Can add coaching note"),
}
LEARNER = ["view_course"]
MANAGER = [
    *LEARNER,
    "add_course",
    "change_course",
    "assign_course",
    "view_team_training",
    "add_observation",
    "view_observation",
    "add_coachingnote",
]
GRANTS = {
    "administrator": [
        *LEARNER,
        "add_course",
        "change_course",
        "assign_course",
        "view_team_training",
        "view_observation",
        "manage_training",
    ],
    "national_sales_manager": MANAGER,
    "regional_sales_manager": MANAGER,
    "office_manager": MANAGER,
    "finance_manager": MANAGER,
    "sales_rep": LEARNER,
    "receptionist": LEARNER,
    "accounts_clerk": LEARNER,
    "auditor": LEARNER,
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for codename, (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="training", model=model)
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, codenames in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[c] for c in codenames])


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial"), ("org", "0001_initial")]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
