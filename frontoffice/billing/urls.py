from frontoffice.billing.views import catalogue, customer, delivery, invoices, questions, recurring

app_name = "billing"
urlpatterns = [
    *catalogue.urlpatterns,
    *invoices.urlpatterns,
    *delivery.urlpatterns,
    *customer.urlpatterns,
    *questions.urlpatterns,
    *recurring.urlpatterns,
]
