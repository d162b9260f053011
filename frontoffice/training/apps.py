from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "frontoffice.training"
    label = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from frontoffice.training import registrations  # noqa: F401 - navigation, registries
