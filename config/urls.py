from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from frontoffice.core import views as core_views

urlpatterns = [
    path("", include("frontoffice.core.urls")),
    path("customers/", include("frontoffice.parties.urls")),
    path("settings/", include("frontoffice.org.urls")),
    path("finance/", include("frontoffice.finance.urls")),
    path("billing/", include("frontoffice.billing.urls")),
    path("c/", include("frontoffice.billing.urls_customer")),
    path("pricing/", include("frontoffice.pricing.urls")),
    path("receivables/", include("frontoffice.receivables.urls")),
    path("sales/", include("frontoffice.sales.urls")),
    path("leads/", include("frontoffice.leads.urls")),
    path("activities/", include("frontoffice.activities.urls")),
    path("quotes/", include("frontoffice.quotes.urls")),
    path("q/", include("frontoffice.quotes.urls_customer")),
    path("rfps/", include("frontoffice.rfps.urls")),
    path("appointments/", include("frontoffice.appointments.urls")),
    path("reception/", include("frontoffice.reception.urls")),
    path("k/", include("frontoffice.reception.urls_public")),
    path("training/", include("frontoffice.training.urls")),
    path("insights/", include("frontoffice.insights.urls")),
    path("surveys/", include("frontoffice.surveys.urls")),
    path("s/", include("frontoffice.surveys.urls_public")),
    path("api/v1/", include("frontoffice.api.urls")),
    path("api/", include("frontoffice.api.fallback_urls")),
    path("accounts/", include("frontoffice.core.urls_auth")),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
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
