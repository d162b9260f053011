from frontoffice.billing.views import catalogue, invoices

app_name = "billing"
urlpatterns = [*catalogue.urlpatterns, *invoices.urlpatterns]
