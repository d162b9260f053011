"""Journey 7 end to end in headless Chromium: the office manager picks the shipped starter course
"greeting visitors" and assigns it to the receptionist with a due date; the receptionist reads
every module and passes the quiz; the manager sees the course completed on the team overview and
records an observation of a real greeting against the rubric, which the receptionist acknowledges.

Only the set-up (installing the starter course and the default rubrics) is done directly;
everything else goes through the pages.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "greeting-visitors"


@pytest.fixture
def course(org):
    from frontoffice.training.default_rubrics import install_default_rubrics
    from frontoffice.training.models import Course
    from frontoffice.training.starter import install_curriculum

    install_curriculum(slug=SLUG)
    install_default_rubrics()
    return Course.objects.select_related("current_version").get(slug=SLUG)


def test_manager_assigns_starter_course_receptionist_completes_manager_sees_it(
    page, live_server, org, course
):
    from frontoffice.training.models import Assignment, Certificate, Observation

    title = course.current_version.title_en
    login(page, live_server, "office_manager")
    page.goto(f"{live_server.url}/training/courses/")
    page.get_by_test_id("course-results").get_by_role("link", name=title).click()
    expect(page.get_by_test_id("course-title")).to_have_text(title)
    page.get_by_test_id("course-assign").click()
    page.get_by_label("People").select_option(label="Receptionist Test")
    due = timezone.localdate() + datetime.timedelta(days=14)
    page.get_by_label("Due").fill(due.isoformat())
    page.get_by_test_id("assign-submit").click()
    expect(page.get_by_text("1 people assigned.")).to_be_visible()
    assignment = Assignment.objects.get(course=course)
    assert assignment.due_on == due and assignment.person.user.username == "receptionist"

    # The receptionist reads every module, then passes the quiz.
    login(page, live_server, "receptionist")
    page.goto(f"{live_server.url}/training/")
    page.get_by_test_id("my-open").get_by_role("link", name=title).click()
    page.get_by_test_id("assignment-module").first.get_by_role("link").click()
    modules = course.current_version.modules.count()
    for _ in range(modules):
        expect(page.get_by_test_id("module-body")).to_be_visible()
        page.get_by_test_id("module-complete").click()
    expect(page.get_by_test_id("assignment-status")).to_contain_text(f"{modules} of {modules} modules read")
    page.get_by_test_id("quiz-start").click()
    for question in course.current_version.questions.prefetch_related("answers"):
        for answer in question.answers.all():
            if answer.correct:
                page.get_by_test_id(f"answer-{answer.pk}").check()
    page.get_by_test_id("quiz-submit").click()
    expect(page.get_by_test_id("quiz-result")).to_contain_text("Passed")
    expect(page.get_by_test_id("course-completed")).to_be_visible()
    assignment.refresh_from_db()
    assert assignment.completed_at is not None and assignment.score_percent == 100
    assert Certificate.objects.filter(assignment=assignment).exists()

    # The manager sees it completed, then records an observation against the rubric.
    login(page, live_server, "office_manager")
    page.goto(f"{live_server.url}/training/team/?status=completed")
    row = page.get_by_test_id("team-row").filter(has_text="Receptionist Test")
    expect(row.get_by_test_id("completed-count")).to_have_text("1")
    row.get_by_role("link", name="Receptionist Test").click()
    expect(page.get_by_test_id("person-assignment").first).to_contain_text("Completed")
    page.get_by_role("link", name="Record observation").first.click()
    page.get_by_label("Rubric").select_option(label="Greeting at the desk")
    page.get_by_role("button", name="Change rubric").click()
    page.get_by_label("Person").select_option(label="Receptionist Test")
    for group in page.locator("fieldset, div.field").filter(has=page.locator("input[type=radio]")).all():
        group.locator("input[type=radio]").nth(2).check()
    page.get_by_label("Comments").fill("Warm greeting; say how long the wait will be.")
    page.get_by_test_id("observation-save").click()
    expect(page.get_by_test_id("observation-score")).to_have_text("75 %")

    login(page, live_server, "receptionist")
    page.goto(f"{live_server.url}/training/")
    page.get_by_role("link", name="Greeting at the desk").click()
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("acknowledged")).to_be_visible()
    assert Observation.objects.get().acknowledged_at is not None
