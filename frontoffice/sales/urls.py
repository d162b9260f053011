from frontoffice.sales.views import opportunities, repeat, reports

app_name = "sales"
urlpatterns = [
    *reports.urlpatterns,
    *opportunities.urlpatterns,
    *repeat.urlpatterns,
]
