from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "frontoffice.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        # Registers the OpenAPI extension for token authentication.
        from frontoffice.api import schema  # noqa: F401
