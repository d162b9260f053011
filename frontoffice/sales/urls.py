from frontoffice.sales.views import opportunities, repeat, reports, stages, team

app_name = "sales"
urlpatterns = [
    *reports.urlpatterns,
    *team.urlpatterns,
    *opportunities.urlpatterns,
    *repeat.urlpatterns,
    *stages.urlpatterns,
]
