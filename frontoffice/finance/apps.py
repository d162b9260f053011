from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "frontoffice.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from frontoffice.finance import registrations  # noqa: F401 - navigation, search
