from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "frontoffice.parties"
    label = "parties"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from frontoffice.parties import registrations  # noqa: F401 - search, navigation, GDPR
