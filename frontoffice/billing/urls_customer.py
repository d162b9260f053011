"""Customer-facing document pages behind private links, mounted at ``/c/`` (no sign-in)."""

from django.urls import path

from frontoffice.billing.views import customer, questions

app_name = "customer"
urlpatterns = [
    path("<str:token>/", customer.customer_invoice, name="invoice"),
    path("<str:token>/pdf/", customer.customer_invoice_pdf, name="invoice-pdf"),
    path("<str:token>/xml/", customer.customer_invoice_xml, name="invoice-xml"),
    *questions.customer_urlpatterns,
]
