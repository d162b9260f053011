from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo organisation: seeded through every domain app's services, so it depends on all."""

    name = "frontoffice.demo"
    label = "demo"
    verbose_name = _("Demo data")
