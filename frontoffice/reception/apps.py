from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceptionConfig(AppConfig):
    name = "frontoffice.reception"
    label = "reception"
    verbose_name = _("Reception")

    def ready(self) -> None:
        from frontoffice.reception import registrations  # noqa: F401 - navigation, registries
