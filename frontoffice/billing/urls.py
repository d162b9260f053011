from frontoffice.billing.views import catalogue, customer, invoices, questions

app_name = "billing"
urlpatterns = [*catalogue.urlpatterns, *invoices.urlpatterns, *customer.urlpatterns, *questions.urlpatterns]
