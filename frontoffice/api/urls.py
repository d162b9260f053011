"""``/api/v1/``: every versioned endpoint. Unknown paths end in the JSON 404 catch-all."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from frontoffice.activities import api as activities_api
from frontoffice.api.errors import api_not_found
from frontoffice.api.views import RedocView, SchemaApi, SwaggerDocsView
from frontoffice.appointments import api as appointments_api
from frontoffice.billing.api import catalogue as billing_catalogue_api
from frontoffice.billing.api import invoices as billing_invoices_api
from frontoffice.billing.api import questions as billing_questions_api
from frontoffice.finance.api import accounts as finance_accounts_api
from frontoffice.finance.api import reports as finance_reports_api
from frontoffice.finance.api import vouchers as finance_vouchers_api
from frontoffice.insights import api as insights_api
from frontoffice.leads import api as leads_api
from frontoffice.org import api as org_api
from frontoffice.parties import api as parties_api
from frontoffice.pricing import api as pricing_api
from frontoffice.quotes import api as quotes_api
from frontoffice.receivables.api import payments as receivables_payments_api
from frontoffice.reception import api as reception_api
from frontoffice.rfps import api as rfps_api
from frontoffice.sales import api as sales_api
from frontoffice.surveys import api as surveys_api
from frontoffice.surveys import api_optout as surveys_optout_api
from frontoffice.training import api as training_api

app_name = "api"

org_router = SimpleRouter()
org_router.register("legal-entities", org_api.LegalEntityViewSet, basename="legal-entity")
org_router.register("regions", org_api.RegionViewSet, basename="region")
org_router.register("locations", org_api.LocationViewSet, basename="location")
org_router.register("teams", org_api.TeamViewSet, basename="team")
org_router.register("staff", org_api.StaffViewSet, basename="staff")

urlpatterns = [
    path("openapi.json", SchemaApi.as_view(), name="openapi"),
    path("docs", SwaggerDocsView.as_view(), name="docs"),
    path("redoc", RedocView.as_view(), name="redoc"),
    path("me/", org_api.MeApi.as_view(), name="me"),
    path("org/", include(org_router.urls)),
    path("parties/", parties_api.PartyListCreateApi.as_view(), name="party-list"),
    path("parties/<int:id>/", parties_api.PartyDetailApi.as_view(), name="party-detail"),
    path("parties/<int:id>/merge/", parties_api.PartyMergeApi.as_view(), name="party-merge"),
    path(
        "parties/<int:id>/interactions/",
        parties_api.PartyInteractionListApi.as_view(),
        name="party-interaction-list",
    ),
    path("interactions/", parties_api.InteractionListCreateApi.as_view(), name="interaction-list"),
    path("interactions/<int:id>/", parties_api.InteractionDetailApi.as_view(), name="interaction-detail"),
    path("finance/reports/", include(finance_reports_api.urlpatterns)),
    path("finance/", include([*finance_accounts_api.urlpatterns, *finance_vouchers_api.urlpatterns])),
    path(
        "billing/",
        include(
            [
                *billing_catalogue_api.urlpatterns,
                *billing_invoices_api.urlpatterns,
                *billing_questions_api.urlpatterns,
            ]
        ),
    ),
    path("pricing/", include(pricing_api.urlpatterns)),
    path("receivables/", include(receivables_payments_api.urlpatterns)),
    path("sales/", include(sales_api.urlpatterns)),
    path("leads/", include(leads_api.urlpatterns)),
    path("activities/", include(activities_api.urlpatterns)),
    path("quotes/", include(quotes_api.urlpatterns)),
    path("rfps/", include(rfps_api.urlpatterns)),
    path("appointments/", include(appointments_api.urlpatterns)),
    path("reception/", include(reception_api.urlpatterns)),
    path("training/", include(training_api.urlpatterns)),
    path("insights/", include(insights_api.urlpatterns)),
    path("surveys/", include(surveys_api.urlpatterns)),
    path("surveys/", include(surveys_optout_api.urlpatterns)),
    # Last: any other path under /api/v1/, any method, gets the JSON 404 (also in DEBUG).
    re_path(r"^.*$", api_not_found),
]
