from django.urls import path

from frontoffice.parties import views

app_name = "parties"
urlpatterns = [
    path("", views.party_list, name="party-list"),
    path("export/", views.party_export, name="party-export"),
    path("new/", views.party_create, name="party-create"),
    path("interactions/", views.interaction_list, name="interaction-list"),
    path("<int:pk>/", views.party_detail, name="party-detail"),
    path("<int:pk>/edit/", views.party_edit, name="party-edit"),
    path("<int:pk>/interactions/new/", views.interaction_create, name="interaction-create"),
    path("<int:pk>/merge/", views.party_merge, name="party-merge"),
    path(
        "<int:pk>/personal-data/",
        views.party_export_personal_data,
        name="party-export-personal-data",
    ),
    path("<int:pk>/erase/", views.party_erase, name="party-erase"),
]
