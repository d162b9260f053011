from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "frontoffice.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Each app declares its periodic jobs in its own ``schedules`` module (register_periodic_job).
        autodiscover_modules("schedules")
