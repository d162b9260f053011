"""What the training app adds to the shell: navigation, the staff-created and role-changed hooks
and the certificate check behind ``core.registry.require_capability``.

No personal data about parties is stored: an observation may point at an ``Interaction`` by
id, but the interaction (and its GDPR handling) belongs to parties.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import NavItem, register_nav, set_capability_check
from frontoffice.org import services as org_services
from frontoffice.training.gates import require_capability
from frontoffice.training.services import on_staff_created, on_staff_role_changed

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
# ... and so do people whose role changes.
if on_staff_role_changed not in org_services.STAFF_ROLE_CHANGED_HOOKS:
    org_services.STAFF_ROLE_CHANGED_HOOKS.append(on_staff_role_changed)

# Services of apps that may not import training (finance, leads) ask through core.registry.
set_capability_check(require_capability)
