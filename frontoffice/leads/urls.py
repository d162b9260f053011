from django.urls import path

from frontoffice.leads import views

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="lead-list"),
    path("mine/", views.my_leads, name="my-leads"),
    path("new/", views.lead_create_view, name="lead-create"),
    path("<int:pk>/", views.lead_detail, name="lead-detail"),
    path("<int:pk>/edit/", views.lead_edit, name="lead-edit"),
    path("<int:pk>/qualify/", views.lead_qualify_view, name="lead-qualify"),
    path("<int:pk>/assign/", views.lead_assign_view, name="lead-assign"),
    path("<int:pk>/take/", views.lead_take_view, name="lead-take"),
    path("<int:pk>/disqualify/", views.lead_disqualify_view, name="lead-disqualify"),
    path("<int:pk>/convert/", views.lead_convert_view, name="lead-convert"),
    path("<int:pk>/link/", views.lead_link_view, name="lead-link"),
    path("form/<slug:key>/", views.web_form, name="web-form"),
    path("form/<slug:key>/thanks/", views.web_form_thanks, name="web-form-thanks"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import-detail"),
    path("import/<int:pk>/progress/", views.import_progress, name="import-progress"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/high-value/", views.settings_high_value, name="settings-high-value"),
    path("settings/<str:kind>/new/", views.settings_edit, name="settings-create"),
    path("settings/<str:kind>/<int:pk>/", views.settings_edit, name="settings-edit"),
]
