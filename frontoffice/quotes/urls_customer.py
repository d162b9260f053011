"""Customer-facing quote pages behind private links, mounted at ``/q/`` (no sign-in)."""

from django.urls import path

from frontoffice.quotes import views_customer

app_name = "customer_quote"
urlpatterns = [
    path("<str:token>/", views_customer.customer_quote, name="quote"),
    path("<str:token>/pdf/", views_customer.customer_quote_pdf, name="quote-pdf"),
]
