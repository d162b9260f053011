from django.urls import path

from frontoffice.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.request_list, name="request-list"),
    path("settings/", views.settings_edit, name="settings"),
    path("complaints/", views.complaint_list, name="complaint-list"),
    path("complaints/new/", views.complaint_create, name="complaint-create"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint-detail"),
]
