from django.urls import path

from frontoffice.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.index, name="index"),
    path("cockpit/", views.cockpit, name="cockpit"),
    path("settings/", views.digest_settings, name="settings"),
    path("people/", views.my_people, name="dashboard"),
    path("people/<int:user_id>/", views.person_scorecard, name="scorecard"),
    path("people/<int:user_id>/<slug:key>/", views.drilldown, name="drilldown"),
]
