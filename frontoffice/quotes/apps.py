from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "frontoffice.quotes"
    label = "quotes"
    verbose_name = _("Quotes")

    def ready(self) -> None:
        from frontoffice.quotes import registrations  # noqa: F401 - navigation, registries
