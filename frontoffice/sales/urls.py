from frontoffice.sales.views import opportunities, reports

app_name = "sales"
urlpatterns = [
    *reports.urlpatterns,
    *opportunities.urlpatterns,
]
