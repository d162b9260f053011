from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "frontoffice.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from frontoffice.sales import registrations  # noqa: F401 - navigation, registries
