"""What the training app adds to the shell: navigation and the staff-created hook.

No personal data about parties is stored: an observation may point at an ``Interaction`` by
id, but the interaction (and its GDPR handling) belongs to parties.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import NavItem, register_nav
from frontoffice.org import services as org_services
from frontoffice.training.services import on_staff_created

NAV = [
    NavItem("my-training", _("My training"), "training:my", "training.view_course", order=70),
    NavItem("training-courses", _("Courses"), "training:course-list", "training.view_course", order=71),
    NavItem("training-team", _("Team training"), "training:team", "training.view_team_training", order=72),
    NavItem(
        "training-settings",
        _("Training settings"),
        "training:settings",
        "training.manage_training",
        order=70,
        section="settings",
    ),
]
for item in NAV:
    register_nav(item)

# New staff get their role's curriculum (org calls the hooks after creating a staff member).
if on_staff_created not in org_services.STAFF_CREATED_HOOKS:
    org_services.STAFF_CREATED_HOOKS.append(on_staff_created)
