"""Public reception pages without sign-in, mounted at ``/k/``: the self check-in kiosk, the
waiting-room screen and visit feedback links."""

from django.urls import path  # noqa: F401

app_name = "reception_public"
urlpatterns: list = []
