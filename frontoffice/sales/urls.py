from frontoffice.sales.views import opportunities, repeat, reports, stages

app_name = "sales"
urlpatterns = [
    *reports.urlpatterns,
    *opportunities.urlpatterns,
    *repeat.urlpatterns,
    *stages.urlpatterns,
]
