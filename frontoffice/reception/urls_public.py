"""Public reception pages without sign-in, mounted at ``/k/``: the self check-in kiosk, the
waiting-room screen, the e-mail's check-in link and visit feedback links."""

from django.urls import path

from frontoffice.reception import views_public as views

app_name = "reception_public"
urlpatterns = [
    path("c/<str:code>/", views.checkin_code, name="checkin-code"),
    path("f/<str:token>/", views.feedback, name="feedback"),
    path("<str:key>/", views.kiosk, name="kiosk"),
    path("<str:key>/screen/", views.screen, name="screen"),
]
