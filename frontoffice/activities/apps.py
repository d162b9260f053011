from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "frontoffice.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from frontoffice.activities import registrations  # noqa: F401 - navigation, registries
