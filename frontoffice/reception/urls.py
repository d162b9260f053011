from django.urls import path

from frontoffice.reception import views

app_name = "reception"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("check-in/<int:pk>/", views.check_in, name="check-in"),
    path("waiting/", views.waiting_room, name="waiting-room"),
    path("visits/", views.visit_list, name="visit-list"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/status/", views.visit_status, name="visit-status"),
    path("walk-in/", views.walk_in, name="walk-in"),
    path("walk-in/parties/", views.party_search, name="party-search"),
    path("prospect/", views.prospect, name="prospect"),
    path("my-visitors/", views.my_visitors, name="my-visitors"),
    path("my-visitors/badge/", views.my_visitors_badge, name="my-visitors-badge"),
    # Moved to /surveys/complaints/ (301).
    path("complaints/", views.complaint_list_moved, name="complaint-list-moved"),
    path("complaints/new/", views.complaint_create_moved, name="complaint-create-moved"),
    path("complaints/<int:pk>/", views.complaint_detail_moved, name="complaint-detail-moved"),
    path("report/", views.report, name="report"),
    path("feedback/", views.feedback_list, name="feedback-list"),
    path("settings/", views.desk_settings, name="settings"),
]
