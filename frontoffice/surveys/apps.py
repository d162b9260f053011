from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "frontoffice.surveys"
    label = "surveys"
    verbose_name = _("Surveys and complaints")

    def ready(self) -> None:
        from frontoffice.surveys import (
            registrations,  # noqa: F401 - navigation, registries
            registrations_optout,  # noqa: F401 - the customer page's card
        )
