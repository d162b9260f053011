from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "frontoffice.leads"
    label = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        from frontoffice.leads import registrations  # noqa: F401 - navigation, registries
