from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceivablesConfig(AppConfig):
    name = "frontoffice.receivables"
    label = "receivables"
    verbose_name = _("Receivables")

    def ready(self) -> None:
        from frontoffice.receivables import registrations  # noqa: F401 - navigation
