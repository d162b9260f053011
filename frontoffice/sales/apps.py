from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "frontoffice.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from frontoffice.sales import registrations  # noqa: F401 - navigation, registries
        from frontoffice.sales.stages import legal_entity_saved

        post_save.connect(legal_entity_saved, sender="org.LegalEntity", dispatch_uid="sales_default_stages")
