from django.urls import path

from frontoffice.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("list/", views.activity_list, name="activity-list"),
    path("new/", views.activity_create, name="activity-create"),
    path("<int:pk>/", views.activity_detail, name="activity-detail"),
    path("<int:pk>/complete/", views.activity_complete, name="activity-complete"),
    path("email/", views.email_send, name="email-send"),
    path("templates/", views.template_list, name="template-list"),
    path("templates/new/", views.template_edit, name="template-create"),
    path("templates/<int:pk>/", views.template_edit, name="template-edit"),
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting-cancel"),
    path("meetings/<int:pk>/outcome/", views.meeting_outcome, name="meeting-outcome"),
    path("meetings/<int:pk>/brief/", views.meeting_brief, name="meeting-brief"),
    path("meetings/<int:pk>/invite.ics", views.meeting_ics, name="meeting-ics"),
    path("calendar/", views.calendar_settings, name="calendar-settings"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    path("feedback/<str:token>/", views.feedback, name="feedback"),
]
