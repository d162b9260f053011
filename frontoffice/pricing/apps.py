from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PricingConfig(AppConfig):
    name = "frontoffice.pricing"
    label = "pricing"
    verbose_name = _("Pricing")

    def ready(self) -> None:
        from frontoffice.pricing import registrations  # noqa: F401 - navigation
