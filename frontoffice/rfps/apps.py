from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RfpsConfig(AppConfig):
    name = "frontoffice.rfps"
    label = "rfps"
    verbose_name = _("Requests for proposal")

    def ready(self) -> None:
        from frontoffice.rfps import registrations  # noqa: F401 - navigation, registries
