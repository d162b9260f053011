from django.urls import path

from frontoffice.org import views

app_name = "org"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("legal-entities/new/", views.legal_entity_create, name="legal-entity-create"),
    path("legal-entities/<int:pk>/edit/", views.legal_entity_edit, name="legal-entity-edit"),
    path("regions/new/", views.region_create, name="region-create"),
    path("regions/<int:pk>/edit/", views.region_edit, name="region-edit"),
    path("locations/new/", views.location_create, name="location-create"),
    path("locations/<int:pk>/edit/", views.location_edit, name="location-edit"),
    path("teams/new/", views.team_create, name="team-create"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team-edit"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/<int:pk>/", views.staff_detail, name="staff-detail"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff-edit"),
    path("roles/", views.role_list, name="role-list"),
    path("roles/new/", views.role_create, name="role-create"),
    path("roles/<int:pk>/edit/", views.role_edit, name="role-edit"),
    path("invitations/", views.invitation_list, name="invitation-list"),
    path("invitations/new/", views.invitation_create, name="invitation-create"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("tokens/", views.token_list, name="token-list"),
    path("tokens/new/", views.token_create, name="token-create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
