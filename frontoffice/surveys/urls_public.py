from django.urls import path

from frontoffice.surveys import views_public

app_name = "surveys-public"
urlpatterns = [
    path("<str:token>/", views_public.answer, name="answer"),
    path("<str:token>/opt-out/", views_public.opt_out, name="opt-out"),
]
