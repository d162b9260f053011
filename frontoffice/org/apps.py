from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "frontoffice.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from frontoffice.org import (
            registrations,  # noqa: F401 - navigation and search
            roles,
        )

        # Permissions exist only after post_migrate, so default roles are seeded there.
        post_migrate.connect(roles.ensure_default_roles_after_migrate, sender=self)
