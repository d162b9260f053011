from django.urls import path

from frontoffice.surveys import views, views_optout

app_name = "surveys"
urlpatterns = [
    path("", views.request_list, name="request-list"),
    path("settings/", views.settings_edit, name="settings"),
    path("complaints/", views.complaint_list, name="complaint-list"),
    path("complaints/new/", views.complaint_create, name="complaint-create"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint-detail"),
    path("opt-outs/", views_optout.opt_out_list, name="opt-out-list"),
    path("opt-outs/party/<int:party_id>/", views_optout.party_opt_out, name="party-opt-out"),
]
