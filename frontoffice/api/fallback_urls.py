"""Mounted at ``/api/`` after the versioned API: unknown API paths answer with the JSON 404."""

from django.urls import re_path

from frontoffice.api.errors import api_not_found

urlpatterns = [re_path(r"^.*$", api_not_found)]
