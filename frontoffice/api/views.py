"""The OpenAPI schema and its browsable docs: public, served from local static files."""

from __future__ import annotations

from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny


class SchemaApi(SpectacularJSONAPIView):
    """``/api/v1/openapi.json``: readable without signing in (it holds no data)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class SwaggerDocsView(SpectacularSwaggerView):
    """``/api/v1/docs``: Swagger UI from drf-spectacular-sidecar's static files (no CDN)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    url_name = "api:openapi"


class RedocView(SpectacularRedocView):
    """``/api/v1/redoc``: Redoc from the sidecar's static files, without Google Fonts."""

    template_name = "api/redoc.html"
    authentication_classes: list = []
    permission_classes = [AllowAny]
    url_name = "api:openapi"
