from django.urls import path

from frontoffice.rfps import views

app_name = "rfps"
urlpatterns = [
    path("", views.rfp_list, name="rfp-list"),
    path("new/", views.rfp_create, name="rfp-create"),
    path("approvals/", views.approval_queue, name="approval-queue"),
    path("<int:pk>/", views.rfp_detail, name="rfp-detail"),
    path("<int:pk>/edit/", views.rfp_edit, name="rfp-edit"),
    path("<int:pk>/review/", views.rfp_submit_review, name="rfp-submit-review"),
    path("<int:pk>/approve/", views.rfp_approve, name="rfp-approve"),
    path("<int:pk>/reject/", views.rfp_reject, name="rfp-reject"),
    path("<int:pk>/submitted/", views.rfp_mark_submitted, name="rfp-mark-submitted"),
    path("<int:pk>/outcome/", views.rfp_outcome, name="rfp-outcome"),
    path("<int:pk>/requirements/", views.requirement_add, name="requirement-add"),
    path("<int:pk>/requirements/import/", views.requirement_import, name="requirement-import"),
    path("<int:pk>/documents/", views.document_upload, name="document-upload"),
    path("<int:pk>/response.pdf", views.rfp_export_pdf, name="rfp-pdf"),
    path("requirements/<int:pk>/answer/", views.requirement_answer, name="requirement-answer"),
    path("requirements/<int:pk>/assign/", views.requirement_assign, name="requirement-assign"),
    path("requirements/<int:pk>/promote/", views.requirement_promote, name="requirement-promote"),
    path("requirements/<int:pk>/library/", views.library_panel, name="library-panel"),
    path("documents/<int:pk>/", views.document_download, name="document-download"),
    path("library/", views.library_list, name="library-list"),
    path("library/new/", views.library_create, name="library-create"),
    path("library/<int:pk>/", views.library_edit, name="library-edit"),
    path("library/<int:pk>/approve/", views.library_approve, name="library-approve"),
]
