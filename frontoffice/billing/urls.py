from frontoffice.billing.views import catalogue, customer, invoices

app_name = "billing"
urlpatterns = [*catalogue.urlpatterns, *invoices.urlpatterns, *customer.urlpatterns]
