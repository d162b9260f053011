"""Pages and API: permissions (403), scope (404), the builder and a learner's way through a
course, uploads and file access, query counts on lists."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from frontoffice.org.models import Role, Staff, User
from frontoffice.training import services
from frontoffice.training.models import Assignment, Course, Question
from frontoffice.training.tests.conftest import complete

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _close_file(response):
    """Close the streamed file without ``response.close()``, whose request_finished signal would
    close the test's database connection on PostgreSQL."""
    for closer in response._resource_closers:
        closer()
    response._resource_closers.clear()


def _assign(training, org, who="receptionist", manager="office_manager"):
    return services.course_assign(
        actor=org.user(manager), course=training.course, people=[training.staff[who]]
    )[0]


def test_pages_render_for_their_users(training, org, client_for):
    assignment = _assign(training, org)
    module = assignment.version.modules.first()
    learner_pages = [
        reverse("training:my"),
        reverse("training:course-list"),
        reverse("training:course-detail", args=[training.course.pk]),
        reverse("training:assignment", args=[assignment.pk]),
        reverse("training:assignment-module", args=[assignment.pk, module.pk]),
        reverse("training:assignment-quiz", args=[assignment.pk]),
        reverse("training:observation-list"),
    ]
    for url in learner_pages:
        assert client_for("receptionist").get(url).status_code == 200, url
    manager_pages = [
        reverse("training:team"),
        reverse("training:course-detail", args=[training.course.pk]),
        reverse("training:course-detail", args=[training.course.pk]) + "?effectiveness=1",
        reverse("training:course-edit", args=[training.course.pk]),
        reverse("training:course-assign", args=[training.course.pk]),
        reverse("training:course-create"),
        reverse("training:recommendations"),
        reverse("training:observation-create"),
        reverse("training:person", args=[training.staff["receptionist"].pk]),
    ]
    services_rubrics()
    for url in manager_pages:
        assert client_for("office_manager").get(url).status_code == 200, url
    assert client_for("admin").get(reverse("training:settings")).status_code == 200


def services_rubrics():
    from frontoffice.training.default_rubrics import install_default_rubrics

    install_default_rubrics()


def test_permissions_and_scope(training, org, client_for):
    assignment = _assign(training, org)
    assert client_for("receptionist").get(reverse("training:team")).status_code == 403
    assert client_for("receptionist").get(reverse("training:course-create")).status_code == 403
    assert (
        client_for("receptionist")
        .get(reverse("training:course-assign", args=[training.course.pk]))
        .status_code
        == 403
    )
    assert client_for("office_manager").get(reverse("training:settings")).status_code == 403
    assert client_for("nobody").get(reverse("training:my")).status_code == 403
    # Another person's assignment is not found, even for their manager.
    assert (
        client_for("office_manager").get(reverse("training:assignment", args=[assignment.pk])).status_code
        == 404
    )
    # A person outside the manager's reach is not found.
    assert (
        client_for("office_manager")
        .get(reverse("training:person", args=[training.staff["rep_south"].pk]))
        .status_code
        == 404
    )
    assert (
        client_for("rsm_north")
        .get(reverse("training:person", args=[training.staff["rep_south"].pk]))
        .status_code
        == 404
    )
    # API
    assert client_for("receptionist").get(reverse("api:training-assignment-list")).status_code == 403
    assert client_for("nobody").get(reverse("api:training-course-list")).status_code == 403
    assert (
        client_for("office_manager")
        .post(
            reverse("api:training-quiz-attempt", args=[assignment.pk]),
            {"answers": {}},
            content_type="application/json",
        )
        .status_code
        == 404
    )


def test_team_overview_is_scoped_and_counts(training, org, client_for):
    _assign(training, org, "receptionist")
    a = _assign(training, org, "rep_north", manager="nsm")
    complete(training.course, org.user("rep_north"), a)
    content = client_for("office_manager").get(reverse("training:team")).content.decode()
    assert "Receptionist Test" in content and "Rep_North Test" not in content
    response = client_for("nsm").get(reverse("training:team"), {"status": "completed"})
    rows = list(response.context["page_obj"])
    assert [(p.user.username, p.n_completed, p.n_open) for p in rows] == [("rep_north", 1, 0)]
    assert response.context["totals"] == {"open": 1, "overdue": 0, "completed": 1}


def _many_people(org, n=6):
    role = Role.objects.get(code="receptionist")
    people = []
    for i in range(n):
        user = User.objects.create_user(
            username=f"r{i}", email=f"r{i}@example.com", first_name=f"R{i}", last_name="Desk"
        )
        people.append(
            Staff.objects.create(
                user=user,
                legal_entity=org.company,
                role=role,
                home_region=org.north,
                home_location=org.clinic,
            )
        )
    return people


def test_list_query_counts_do_not_grow(training, org, client_for, django_assert_max_num_queries):
    client = client_for("office_manager")
    _assign(training, org)
    urls = [
        reverse("training:team"),
        reverse("training:course-list"),
        reverse("api:training-assignment-list"),
        reverse("training:observation-list"),
    ]
    baseline = {}
    for url in urls:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        baseline[url] = len(ctx)
    people = _many_people(org)
    services.course_assign(actor=org.user("office_manager"), course=training.course, people=people)
    services.course_create(actor=org.user("office_manager"), slug="extra", title_en="Extra")
    for url in urls:
        with django_assert_max_num_queries(baseline[url]):
            assert client.get(url).status_code == 200
    # my training with several rows
    learner = client_for("receptionist")
    with django_assert_max_num_queries(20):
        assert learner.get(reverse("training:my")).status_code == 200


def test_build_publish_assign_and_take_a_course_in_the_ui(org, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = client_for("office_manager")
    response = manager.post(
        reverse("training:course-create"),
        {
            "slug": "phones",
            "title_en": "Phone manners",
            "title_sv": "Telefonvett",
            "pass_percent": 100,
            "max_attempts": 0,
            "estimated_minutes": 10,
            "certificate_months": 0,
        },
    )
    course = Course.objects.get(slug="phones")
    assert response.status_code == 302
    response = manager.post(
        reverse("training:module-create", args=[course.pk]),
        {"title_en": "Pick up", "body_en": "Answer within **three** rings.\n\n<script>alert(1)</script>"},
    )
    module = course.versions.get().modules.get()
    assert response.status_code == 302
    # Upload: wrong type refused with a message, image accepted.
    response = manager.post(
        reverse("training:attachment-upload", args=[course.pk, module.pk]),
        {"kind": "image", "file": SimpleUploadedFile("x.exe", b"MZ")},
        follow=True,
    )
    assert "not accepted" in response.content.decode()
    manager.post(
        reverse("training:attachment-upload", args=[course.pk, module.pk]),
        {"kind": "image", "file": SimpleUploadedFile("desk.png", PNG)},
    )
    attachment = module.attachments.get()
    # A question without a correct answer is refused and nothing saved.
    q = {"kind": "single", "text_en": "How many rings?", "answer_0_en": "Three", "answer_1_en": "Ten"}
    response = manager.post(reverse("training:question-create", args=[course.pk]), q)
    assert response.status_code == 400 and "Mark at least one answer as correct" in response.content.decode()
    assert not Question.objects.exists()
    response = manager.post(
        reverse("training:question-create", args=[course.pk]),
        {**q, "answer_0_correct": "on", "answer_1_feedback_en": "Too slow."},
    )
    assert response.status_code == 302
    assert manager.post(reverse("training:course-publish", args=[course.pk])).status_code == 302
    course.refresh_from_db()
    assert course.current_version.number == 1
    receptionist = Staff.objects.get(user=org.people["receptionist"])
    response = manager.post(
        reverse("training:course-assign", args=[course.pk]), {"people": [receptionist.pk], "due_on": ""}
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(course=course)

    learner = client_for("receptionist")
    page = learner.get(
        reverse("training:assignment-module", args=[assignment.pk, module.pk])
    ).content.decode()
    assert "<strong>three</strong>" in page and "<script>alert" not in page
    file_response = learner.get(reverse("training:attachment-file", args=[attachment.pk]))
    assert file_response.status_code == 200 and b"".join(file_response.streaming_content) == PNG
    _close_file(file_response)
    learner.post(reverse("training:assignment-module", args=[assignment.pk, module.pk]))
    question = course.current_version.questions.get()
    wrong = question.answers.get(correct=False)
    response = learner.post(
        reverse("training:assignment-quiz", args=[assignment.pk]), {f"question_{question.pk}": wrong.pk}
    )
    assert "Too slow." in response.content.decode() and "Not passed" in response.content.decode()
    right = question.answers.get(correct=True)
    response = learner.post(
        reverse("training:assignment-quiz", args=[assignment.pk]), {f"question_{question.pk}": right.pk}
    )
    assert 'data-testid="course-completed"' in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.completed_at is not None and assignment.score_percent == 100


def test_course_files_only_for_people_who_may_see_the_course(training, org, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = org.user("office_manager")
    draft = services.course_draft(actor=manager, course=training.course)
    module = draft.modules.first()
    att = services.attachment_add(
        actor=manager, module=module, upload=SimpleUploadedFile("guide.pdf", b"%PDF-1.7 test")
    )
    url = reverse("training:attachment-file", args=[att.pk])
    response = client_for("receptionist").get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    _close_file(response)
    assert client_for("nobody").get(url).status_code == 404


def test_api_assign_learn_and_quiz(training, org, client_for):
    staff = training.staff
    client = client_for("office_manager")
    response = client.post(
        reverse("api:training-assignment-list"),
        {"course": training.course.pk, "people": [staff["receptionist"].pk], "due_on": "2099-01-31"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assignment_id = response.json()[0]["id"]
    rep = staff["rep_north"]
    rep.active = False
    rep.save(update_fields=["active"])
    response = client_for("nsm").post(
        reverse("api:training-assignment-list"),
        {"course": training.course.pk, "people": [rep.pk]},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "inactive_person"

    learner = client_for("receptionist")
    detail = learner.get(reverse("api:training-course-detail", args=[training.course.pk])).json()
    assert (
        detail["title"] == "Desk basics"
        and len(detail["modules"]) == 2
        and "correct" not in str(detail["questions"])
    )
    assert [c["slug"] for c in learner.get(reverse("api:training-course-list")).json()["results"]] == [
        "desk-basics"
    ]
    for m in detail["modules"]:
        assert (
            learner.post(reverse("api:training-module-complete", args=[assignment_id, m["id"]])).status_code
            == 200
        )
    response = learner.post(
        reverse("api:training-quiz-attempt", args=[assignment_id]),
        {"answers": {}},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "unanswered"
    answers = {str(k): v for k, v in training.answers().items()}
    response = learner.post(
        reverse("api:training-quiz-attempt", args=[assignment_id]),
        {"answers": answers},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["passed"] and body["completed"] and body["score_percent"] == "100.00"
    mine = learner.get(reverse("api:training-my")).json()
    assert [a["id"] for a in mine["completed"]] == [assignment_id] and len(mine["certificates"]) == 1
    listed = (
        client_for("office_manager")
        .get(reverse("api:training-assignment-list"), {"status": "completed"})
        .json()["results"]
    )
    assert [a["id"] for a in listed] == [assignment_id]


def test_settings_role_curriculum_and_gate(training, org, client_for):
    admin = client_for("admin")
    role = Role.objects.get(code="sales_rep")
    response = admin.post(
        reverse("training:settings"),
        {"form": "role", "role": role.pk, "course": training.course.pk, "due_days": 14},
    )
    assert response.status_code == 302
    response = admin.post(
        reverse("training:settings"),
        {"form": "gate", "capability": "leads.high_value", "course": training.course.pk},
    )
    assert response.status_code == 302
    content = admin.get(reverse("training:settings")).content.decode()
    assert "leads.high_value" in content and "Sales rep" in content
