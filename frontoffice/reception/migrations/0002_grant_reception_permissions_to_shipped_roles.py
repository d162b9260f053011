"""Grant the reception permissions to the shipped roles that already exist (see org/roles.py).

Fresh databases get them from ``org.roles.DEFAULT_ROLES`` after migrate; databases created
before reception existed get them here. Only shipped roles (is_default) are touched.
"""

from django.db import migrations

PERMS = {
    ("reception", "view_visit"): ("visit", "Can view visit"),
    ("reception", "add_visit"): ("visit", "Can add visit"),
    ("reception", "change_visit"): ("visit", "Can change visit"),
    ("reception", "view_desk_report"): ("visit", "Can view the reception desk report"),
    ("reception", "view_complaint"): ("complaint", "Can view complaint"),
    ("reception", "add_complaint"): ("complaint", "Can add complaint"),
    ("reception", "change_complaint"): ("complaint", "Can change complaint"),
    ("reception", "view_waitingtarget"): ("waitingtarget", "Can view waiting-time target"),
    ("reception", "change_waitingtarget"): ("waitingtarget", "Can change waiting-time target"),
    ("reception", "view_visitfeedback"): ("visitfeedback", "Can view visit feedback"),
    ("reception", "view_kiosk"): ("kiosk", "Can view kiosk"),
    ("reception", "manage_kiosks"): ("kiosk", "Can set up and revoke kiosks and waiting-time targets"),
    ("leads", "add_lead"): ("lead", "Can add lead"),
}
DESK = [
    "view_visit",
    "add_visit",
    "change_visit",
    "view_complaint",
    "add_complaint",
    "change_complaint",
    "view_waitingtarget",
]
MANAGER = [*DESK, "view_visitfeedback", "view_desk_report", "view_kiosk", "manage_kiosks", "change_waitingtarget"]
GRANTS = {
    "receptionist": [("reception", c) for c in DESK] + [("leads", "add_lead")],
    "office_manager": [("reception", c) for c in MANAGER] + [("leads", "add_lead")],
    "administrator": [("reception", c) for c in MANAGER],
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("org", "Role")
    perms = {}
    for (app_label, codename), (model, name) in PERMS.items():
        ct, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        perms[(app_label, codename)], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for code, keys in GRANTS.items():
        for role in Role.objects.filter(code=code, is_default=True):
            role.permissions.add(*[perms[k] for k in keys])


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0001_initial"),
        ("org", "0001_initial"),
        ("leads", "0002_grant_leads_permissions_to_shipped_roles"),
    ]
    # Reversing leaves the grants: an administrator may have edited the roles since.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
