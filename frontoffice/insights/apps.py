from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "frontoffice.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from frontoffice.insights import (
            registrations,  # noqa: F401 - navigation, registries
            signals,
        )

        signals.connect()
