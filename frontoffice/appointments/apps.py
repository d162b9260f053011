from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "frontoffice.appointments"
    label = "appointments"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        from frontoffice.appointments import registrations  # noqa: F401 - navigation, registries
