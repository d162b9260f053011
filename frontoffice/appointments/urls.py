from django.urls import path

from frontoffice.appointments import views

app_name = "appointments"
urlpatterns = [
    path("", views.index, name="index"),
    path("calendar/", views.calendar_day, name="calendar-day"),
    path("calendar/week/", views.calendar_week, name="calendar-week"),
    path("today/", views.today, name="today"),
    path("new/", views.appointment_create, name="appointment-create"),
    path("new/parties/", views.party_search, name="party-search"),
    path("slots/", views.free_slots, name="free-slots"),
    path("<int:pk>/", views.appointment_detail, name="appointment-detail"),
    path("<int:pk>/move/", views.appointment_move, name="appointment-move"),
    path("<int:pk>/cancel/", views.appointment_cancel, name="appointment-cancel"),
    path("<int:pk>/no-show/", views.appointment_no_show, name="appointment-no-show"),
    path("<int:pk>/follow-up/", views.appointment_follow_up, name="appointment-follow-up"),
    path("settings/resources/", views.resource_list, name="resource-list"),
    path("settings/resources/<int:pk>/", views.resource_edit, name="resource-edit"),
    path("settings/types/", views.type_list, name="type-list"),
    path("settings/types/<int:pk>/", views.type_edit, name="type-edit"),
]
