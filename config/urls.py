from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("frontoffice.core.urls")),
    path("customers/", include("frontoffice.parties.urls")),
    path("settings/", include("frontoffice.org.urls")),
    path("api/v1/", include("frontoffice.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]

handler400 = "frontoffice.core.views.bad_request"
handler403 = "frontoffice.core.views.permission_denied"
handler404 = "frontoffice.core.views.page_not_found"
handler500 = "frontoffice.core.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("accounts/", include("django.contrib.auth.urls"))]
