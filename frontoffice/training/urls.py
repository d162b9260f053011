from django.urls import path

from frontoffice.training import views

app_name = "training"
urlpatterns = [
    path("", views.my_training, name="my"),
    path("courses/", views.course_list, name="course-list"),
    path("courses/new/", views.course_create, name="course-create"),
    path("courses/<int:pk>/", views.course_detail, name="course-detail"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course-edit"),
    path("courses/<int:pk>/publish/", views.course_publish, name="course-publish"),
    path("courses/<int:pk>/assign/", views.course_assign, name="course-assign"),
    path("courses/<int:pk>/modules/new/", views.module_edit, name="module-create"),
    path("courses/<int:pk>/modules/<int:module_pk>/", views.module_edit, name="module-edit"),
    path("courses/<int:pk>/modules/<int:module_pk>/delete/", views.module_delete, name="module-delete"),
    path(
        "courses/<int:pk>/modules/<int:module_pk>/upload/", views.attachment_upload, name="attachment-upload"
    ),
    path(
        "courses/<int:pk>/files/<int:attachment_pk>/delete/",
        views.attachment_delete,
        name="attachment-delete",
    ),
    path("courses/<int:pk>/questions/new/", views.question_edit, name="question-create"),
    path("courses/<int:pk>/questions/<int:question_pk>/", views.question_edit, name="question-edit"),
    path(
        "courses/<int:pk>/questions/<int:question_pk>/delete/", views.question_delete, name="question-delete"
    ),
    path("files/<int:attachment_pk>/", views.attachment_file, name="attachment-file"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment"),
    path("assignments/<int:pk>/modules/<int:module_pk>/", views.assignment_module, name="assignment-module"),
    path("assignments/<int:pk>/quiz/", views.assignment_quiz, name="assignment-quiz"),
    path("team/", views.team, name="team"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/coaching/", views.coaching_create, name="coaching-create"),
    path("coaching-actions/<int:pk>/done/", views.coaching_action_done, name="coaching-action-done"),
    path("recommendations/", views.recommendation_list, name="recommendations"),
    path("recommendations/assign/", views.recommendation_assign, name="recommendation-assign"),
    path("observations/", views.observation_list, name="observation-list"),
    path("observations/new/", views.observation_create, name="observation-create"),
    path("observations/<int:pk>/", views.observation_detail, name="observation"),
    path("settings/", views.training_settings, name="settings"),
]
