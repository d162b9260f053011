from django.urls import path

from frontoffice.quotes import views

app_name = "quotes"
urlpatterns = [
    path("", views.quote_list, name="quote-list"),
    path("new/", views.quote_create, name="quote-create"),
    path("from-invoice/<int:invoice_id>/", views.quote_from_invoice_view, name="quote-from-invoice"),
    path("<int:pk>/", views.quote_detail, name="quote-detail"),
    path("<int:pk>/edit/", views.quote_edit, name="quote-edit"),
    path("<int:pk>/pdf/", views.quote_pdf_download, name="quote-pdf"),
    path("<int:pk>/lines/", views.quote_line_create, name="quote-line-add"),
    path("<int:pk>/lines/preview/", views.quote_line_preview_view, name="quote-line-preview"),
    path("<int:pk>/lines/<int:line_pk>/", views.quote_line_edit, name="quote-line-edit"),
    path("<int:pk>/lines/<int:line_pk>/delete/", views.quote_line_delete, name="quote-line-delete"),
    path("<int:pk>/request-approval/", views.quote_request_approval_view, name="quote-request-approval"),
    path("<int:pk>/approve/", views.quote_approve_view, name="quote-approve"),
    path("<int:pk>/reject/", views.quote_reject_view, name="quote-reject"),
    path("<int:pk>/send/", views.quote_send_view, name="quote-send"),
    path("<int:pk>/withdraw/", views.quote_withdraw_view, name="quote-withdraw"),
    path("<int:pk>/invoice/", views.quote_invoice_view, name="quote-invoice"),
]
