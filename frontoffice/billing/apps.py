from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "frontoffice.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from frontoffice.billing import registrations  # noqa: F401 - navigation
