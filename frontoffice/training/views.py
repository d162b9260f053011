"""Training pages: my training, the course catalogue and builder, taking a course, the team
overview, recommendations, observations, coaching and the training settings.

Views are thin: permission (403), scoped selector (404), one service; a refused service call
re-renders the form with its messages.
"""

from __future__ import annotations

import datetime
import mimetypes
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.training import selectors, services
from frontoffice.training.forms import (
    AcknowledgeForm,
    AssignForm,
    AttachmentForm,
    CoachingNoteForm,
    CourseEditForm,
    CourseFilterForm,
    CourseForm,
    GateForm,
    ModuleForm,
    ObservationForm,
    PeopleFilterForm,
    QuestionForm,
    RoleCurriculumForm,
)
from frontoffice.training.models import (
    Assignment,
    Attachment,
    CapabilityGate,
    Course,
    Module,
    Question,
    RoleCurriculum,
    Rubric,
)
from frontoffice.training.recommendations import effectiveness, recommendations_for


def permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _apply_errors(form: Any, exc: ValidationError) -> list[str]:
    """Field errors onto the form; the rest returned as messages."""
    rest: list[str] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                if form is not None and field in form.fields:
                    form.add_error(field, error)
                else:
                    rest.extend(error.messages)
    else:
        rest = list(exc.messages)
    return rest


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))


# --- my training ---------------------------------------------------------------------------


@permission("training.view_course")
@require_GET
def my_training(request: HttpRequest) -> HttpResponse:
    data = selectors.my_training(user=request.user)
    return render(request, "training/my_training.html", {"data": data, "today": data.today})


# --- catalogue and builder -----------------------------------------------------------------


@permission("training.view_course")
@require_GET
def course_list(request: HttpRequest) -> HttpResponse:
    form = CourseFilterForm(request.GET)
    courses = selectors.course_list(user=request.user, include_drafts=True, **form.filters())
    context = {"filter_form": form, "page_obj": _page(request, courses), "is_filtered": form.is_filtered}
    if request.htmx and not request.htmx.boosted:
        return render(request, "training/course_list.html#course-results", context)
    return render(request, "training/course_list.html", context)


@permission("training.add_course")
@require_http_methods(["GET", "POST"])
def course_create(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors = _apply_errors(form, exc)
        else:
            messages.success(request, _("Course created. Add modules and a quiz, then publish it."))
            return redirect("training:course-edit", pk=course.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/course_form.html", {"form": form, "errors": errors}, status=status)


@permission("training.view_course")
@require_GET
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    version = selectors.version_detail(course.current_version) if course.current_version_id else None
    context: dict[str, Any] = {
        "course": course,
        "version": version,
        "draft": selectors.draft_of(course) if request.user.has_perm("training.change_course") else None,
        "versions": list(course.versions.order_by("-number")),
        "roles": list(RoleCurriculum.objects.filter(course=course).select_related("role")),
    }
    if request.user.has_perm("training.view_team_training"):
        context["assignments"] = selectors.assignment_list(user=request.user, course=course)[:20]
        # Measures may be costly (one provider call per person and window): computed on demand.
        context["show_effects"] = request.GET.get("effectiveness") == "1"
        context["effects"] = (
            effectiveness(user=request.user, course=course) if context["show_effects"] else None
        )
    mine = Assignment.objects.filter(
        course=course, person__user_id=request.user.pk, completed_at__isnull=True, cancelled_at__isnull=True
    ).first()
    context["my_assignment"] = mine
    return render(request, "training/course_detail.html", context)


@permission("training.change_course")
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft editor: settings, modules, quiz, publish. Opening it on a published course
    starts a new draft version (published versions are never edited)."""
    course = selectors.course_get(user=request.user, pk=pk)
    draft = selectors.draft_of(course)
    if draft is None and request.method == "POST":
        draft = services.course_draft(actor=request.user, course=course)
    source = draft or course.current_version
    initial = {
        **{
            f: getattr(source, f)
            for f in ("title_en", "title_sv", "summary_en", "summary_sv", "pass_percent", "max_attempts")
        },
        "estimated_minutes": course.estimated_minutes,
        "certificate_months": course.certificate_months,
        "measures": course.measures,
    }
    form = CourseEditForm(request.POST or None, initial=initial)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(actor=request.user, course=course, data=form.cleaned_data)
        except ValidationError as exc:
            errors = _apply_errors(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("training:course-edit", pk=course.pk)
    version = selectors.version_detail(draft) if draft else selectors.version_detail(course.current_version)
    context = {"course": course, "draft": draft, "version": version, "form": form, "errors": errors}
    return render(
        request, "training/course_edit.html", context, status=400 if request.method == "POST" else 200
    )


def _draft_for_edit(request: HttpRequest, course: Course) -> Any:
    return selectors.draft_of(course) or services.course_draft(actor=request.user, course=course)


@permission("training.change_course")
@require_http_methods(["GET", "POST"])
def module_edit(request: HttpRequest, pk: int, module_pk: int | None = None) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    draft = _draft_for_edit(request, course)
    module = (
        get_object_or_404(Module.objects.prefetch_related("attachments"), pk=module_pk, version=draft)
        if module_pk
        else None
    )
    initial = (
        {f: getattr(module, f) for f in ("title_en", "title_sv", "body_en", "body_sv")} if module else {}
    )
    form = ModuleForm(request.POST or None, initial=initial)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            module = services.module_save(
                actor=request.user, version=draft, module=module, data=form.cleaned_data
            )
        except ValidationError as exc:
            errors = _apply_errors(form, exc)
        else:
            messages.success(request, _("Module saved."))
            return redirect("training:module-edit", pk=course.pk, module_pk=module.pk)
    context = {
        "course": course,
        "draft": draft,
        "module": module,
        "form": form,
        "errors": errors,
        "upload_form": AttachmentForm(),
    }
    return render(
        request, "training/module_form.html", context, status=400 if request.method == "POST" else 200
    )


@permission("training.change_course")
@require_POST
def module_delete(request: HttpRequest, pk: int, module_pk: int) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    module = get_object_or_404(Module, pk=module_pk, version__course=course)
    try:
        services.module_delete(actor=request.user, module=module)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("training:course-edit", pk=course.pk)


@permission("training.change_course")
@require_POST
def attachment_upload(request: HttpRequest, pk: int, module_pk: int) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    module = get_object_or_404(Module, pk=module_pk, version__course=course)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(
                actor=request.user,
                module=module,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as exc:
            for message in _apply_errors(None, exc):
                messages.error(request, message)
        else:
            messages.success(request, _("File uploaded."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("training:module-edit", pk=course.pk, module_pk=module.pk)


@permission("training.change_course")
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    attachment = get_object_or_404(
        Attachment.objects.select_related("module__version"), pk=attachment_pk, module__version__course=course
    )
    try:
        services.attachment_delete(actor=request.user, attachment=attachment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("training:module-edit", pk=course.pk, module_pk=attachment.module_id)


@login_required
@require_GET
def attachment_file(request: HttpRequest, attachment_pk: int) -> HttpResponse:
    """A course image or file, only for users who may see the course (404 otherwise)."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("module__version__course"), pk=attachment_pk
    )
    if not selectors.may_see_course_files(request.user, attachment.module.version.course):
        raise Http404
    content_type = (
        attachment.content_type or mimetypes.guess_type(attachment.name)[0] or "application/octet-stream"
    )
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=content_type,
        as_attachment=attachment.kind == Attachment.Kind.FILE,
        filename=attachment.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


@permission("training.change_course")
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int, question_pk: int | None = None) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    draft = _draft_for_edit(request, course)
    question = (
        get_object_or_404(Question.objects.prefetch_related("answers"), pk=question_pk, version=draft)
        if question_pk
        else None
    )
    form = QuestionForm(
        request.POST or None, initial=QuestionForm.initial_for(question) if question else None
    )
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.question_save(
                actor=request.user,
                version=draft,
                question=question,
                kind=d["kind"],
                text_en=d["text_en"],
                text_sv=d["text_sv"],
                answers=form.answers(),
            )
        except ValidationError as exc:
            errors = _apply_errors(form, exc)
        else:
            messages.success(request, _("Question saved."))
            return redirect("training:course-edit", pk=course.pk)
    context = {"course": course, "draft": draft, "question": question, "form": form, "errors": errors}
    return render(
        request, "training/question_form.html", context, status=400 if request.method == "POST" else 200
    )


@permission("training.change_course")
@require_POST
def question_delete(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    question = get_object_or_404(Question, pk=question_pk, version__course=course)
    try:
        services.question_delete(actor=request.user, question=question)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("training:course-edit", pk=course.pk)


@permission("training.change_course")
@require_POST
def course_publish(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    draft = selectors.draft_of(course)
    if draft is None:
        messages.error(request, _("There is no draft to publish."))
        return redirect("training:course-detail", pk=course.pk)
    try:
        services.version_publish(actor=request.user, version=draft)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("training:course-edit", pk=course.pk)
    messages.success(request, _("Version %(n)s published.") % {"n": draft.number})
    return redirect("training:course-detail", pk=course.pk)


@permission("training.assign_course")
@require_http_methods(["GET", "POST"])
def course_assign(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    initial = {}
    if request.GET.get("person"):
        initial["people"] = [request.GET["person"]]
    form = AssignForm(request.POST or None, user=request.user, initial=initial)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            created = services.course_assign(
                actor=request.user,
                course=course,
                people=d["people"],
                team=d["team"],
                role=d["role"],
                due_on=d["due_on"],
            )
        except ValidationError as exc:
            errors = _apply_errors(form, exc)
        else:
            messages.success(request, _("%(n)s people assigned.") % {"n": len(created)})
            return redirect("training:course-detail", pk=course.pk)
    context = {"course": course, "form": form, "errors": errors}
    return render(
        request, "training/assign_form.html", context, status=400 if request.method == "POST" else 200
    )


# --- taking a course -----------------------------------------------------------------------


@login_required
@require_GET
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.own_assignment(user=request.user, pk=pk)
    state = selectors.assignment_state(assignment)
    return render(request, "training/assignment.html", {"assignment": assignment, **state})


@login_required
@require_http_methods(["GET", "POST"])
def assignment_module(request: HttpRequest, pk: int, module_pk: int) -> HttpResponse:
    assignment = selectors.own_assignment(user=request.user, pk=pk)
    module = get_object_or_404(
        Module.objects.prefetch_related("attachments"), pk=module_pk, version_id=assignment.version_id
    )
    if assignment.is_open:
        if request.method == "POST":
            services.module_complete(actor=request.user, assignment=assignment, module=module)
            assignment.refresh_from_db()
            if assignment.completed_at:
                messages.success(request, _("Course completed."))
            nxt = assignment.version.modules.filter(position__gt=module.position).order_by("position").first()
            if nxt is not None:
                return redirect("training:assignment-module", pk=assignment.pk, module_pk=nxt.pk)
            return redirect("training:assignment", pk=assignment.pk)
        services.module_view(actor=request.user, assignment=assignment, module=module)
    elif request.method == "POST":
        return redirect("training:assignment", pk=assignment.pk)
    images = [a for a in module.attachments.all() if a.kind == Attachment.Kind.IMAGE]
    files = [a for a in module.attachments.all() if a.kind == Attachment.Kind.FILE]
    progress = assignment.progress.filter(module=module).first()
    context = {
        "assignment": assignment,
        "module": module,
        "images": images,
        "files": files,
        "progress": progress,
    }
    return render(request, "training/assignment_module.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_quiz(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.own_assignment(user=request.user, pk=pk)
    state = selectors.assignment_state(assignment)
    errors: list[str] = []
    result = None
    chosen: dict[int, list[int]] = {}
    if request.method == "POST":
        for q in state["version"].questions.all():
            chosen[q.pk] = [int(v) for v in request.POST.getlist(f"question_{q.pk}") if v.isdigit()]
        try:
            result = services.quiz_submit(actor=request.user, assignment=assignment, answers=chosen)
        except ValidationError as exc:
            errors = _apply_errors(None, exc)
        else:
            assignment.refresh_from_db()
            state = selectors.assignment_state(assignment)
    context = {"assignment": assignment, **state, "errors": errors, "result": result, "chosen": chosen}
    return render(request, "training/quiz.html", context, status=400 if errors else 200)


# --- managers ------------------------------------------------------------------------------


@permission("training.view_team_training")
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    form = PeopleFilterForm(request.GET)
    filters = form.filters()
    people = selectors.team_overview(user=request.user, **filters)
    page_obj = _page(request, people)
    page_obj.object_list = selectors.team_counts(list(page_obj.object_list), course=filters.get("course"))
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": bool(filters),
        "totals": selectors.team_totals(user=request.user, course=filters.get("course")),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "training/team.html#team-results", context)
    return render(request, "training/team.html", context)


@login_required
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's training, observations and (for their line) coaching."""
    if not (
        request.user.has_perm("training.view_team_training")
        or request.user.has_perm("training.add_coachingnote")
    ):
        raise PermissionDenied
    person = selectors.person_get(user=request.user, pk=pk)
    line = pk in selectors.line_people_ids(user=request.user)
    rubric_id = request.GET.get("rubric")
    rubric = (
        Rubric.objects.filter(pk=rubric_id).first()
        if rubric_id and rubric_id.isdigit()
        else Rubric.objects.order_by("code").first()
    )
    context = {
        "person": person,
        "assignments": list(selectors.person_assignments(user=request.user, person=person)),
        "certificates": list(
            person.training_certificates.select_related("course__current_version").order_by("-issued_on")
        ),
        "observations": list(selectors.observation_list(user=request.user, person=person)[:20]),
        "rubrics": list(Rubric.objects.order_by("code")),
        "rubric": rubric,
        "trends": selectors.criterion_trends(person=person, rubric=rubric) if rubric else None,
        "in_line": line,
        "notes": selectors.coaching_notes(user=request.user, person=person) if line else [],
        "coach_form": CoachingNoteForm(initial={"held_on": timezone.localdate()})
        if line and request.user.has_perm("training.add_coachingnote")
        else None,
    }
    return render(request, "training/person.html", context)


@permission("training.assign_course")
@require_GET
def recommendation_list(request: HttpRequest) -> HttpResponse:
    days = int(request.GET["days"]) if request.GET.get("days", "").isdigit() else 30
    days = min(max(days, 7), 365)
    end = timezone.localdate()
    start = end - datetime.timedelta(days=days)
    recs = recommendations_for(user=request.user, start=start, end=end)
    return render(
        request,
        "training/recommendations.html",
        {"recommendations": recs, "days": days, "start": start, "end": end},
    )


@permission("training.assign_course")
@require_POST
def recommendation_assign(request: HttpRequest) -> HttpResponse:
    """One action: assign the recommended course to the person (due in 30 days)."""
    course = selectors.course_get(user=request.user, pk=int(request.POST.get("course") or 0))
    person = selectors.person_get(user=request.user, pk=int(request.POST.get("person") or 0))
    try:
        services.course_assign(
            actor=request.user,
            course=course,
            people=[person],
            due_on=timezone.localdate() + datetime.timedelta(days=30),
            source=Assignment.Source.RECOMMENDATION,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(_apply_errors(None, exc)))
    else:
        messages.success(
            request, _("%(course)s assigned to %(person)s.") % {"course": course.title, "person": person}
        )
    return redirect("training:recommendations")


# --- observations --------------------------------------------------------------------------


@login_required
@require_GET
def observation_list(request: HttpRequest) -> HttpResponse:
    rubric = request.GET.get("rubric")
    qs = selectors.observation_list(
        user=request.user, rubric=int(rubric) if rubric and rubric.isdigit() else None
    )
    context = {
        "page_obj": _page(request, qs),
        "rubrics": list(Rubric.objects.order_by("code")),
        "rubric": rubric,
    }
    return render(request, "training/observation_list.html", context)


@permission("training.add_observation")
@require_http_methods(["GET", "POST"])
def observation_create(request: HttpRequest) -> HttpResponse:
    rubrics = list(selectors.rubrics())
    rubric_id = request.POST.get("rubric") or request.GET.get("rubric")
    rubric = next((r for r in rubrics if str(r.pk) == str(rubric_id)), rubrics[0] if rubrics else None)
    if rubric is None:
        messages.error(request, _("No rubrics yet: install the default rubrics first."))
        return redirect("training:observation-list")
    initial = {
        "observed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "person": request.GET.get("person"),
    }
    form = ObservationForm(request.POST or None, user=request.user, rubric=rubric, initial=initial)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        interaction = None
        if d.get("interaction"):
            from frontoffice.parties.models import Interaction

            interaction = Interaction.objects.filter(pk=d["interaction"]).first()
            if interaction is None:
                form.add_error("interaction", _("Unknown interaction."))
        if not form.errors:
            try:
                obs = services.observation_record(
                    actor=request.user,
                    person=d["person"],
                    rubric=rubric,
                    scores=form.scores(),
                    criterion_comments=form.criterion_comments(),
                    comments=d["comments"],
                    observed_at=d["observed_at"],
                    interaction=interaction,
                )
            except ValidationError as exc:
                errors = _apply_errors(form, exc)
            else:
                messages.success(request, _("Observation recorded."))
                return redirect("training:observation", pk=obs.pk)
    context = {"form": form, "rubric": rubric, "rubrics": rubrics, "errors": errors}
    return render(
        request, "training/observation_form.html", context, status=400 if request.method == "POST" else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def observation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    obs = selectors.observation_get(user=request.user, pk=pk)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.observation_acknowledge(
                actor=request.user, observation=obs, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Observation acknowledged."))
        return redirect("training:observation", pk=obs.pk)
    context = {
        "observation": obs,
        "scores": selectors.observation_scores(obs),
        "form": form,
        "is_person": obs.person.user_id == request.user.pk,
    }
    return render(request, "training/observation_detail.html", context)


# --- coaching ------------------------------------------------------------------------------


@permission("training.add_coachingnote")
@require_POST
def coaching_create(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_get(user=request.user, pk=pk)
    if pk not in selectors.line_people_ids(user=request.user):
        raise Http404
    form = CoachingNoteForm(request.POST)
    if form.is_valid():
        try:
            services.coaching_note_create(
                actor=request.user,
                person=person,
                held_on=form.cleaned_data["held_on"],
                notes=form.cleaned_data["notes"],
                actions=form.actions(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(_apply_errors(None, exc)))
        else:
            messages.success(request, _("Coaching note saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("training:person", pk=person.pk)


@login_required
@require_POST
def coaching_action_done(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.coaching_action_get(user=request.user, pk=pk)
    services.coaching_action_done(
        actor=request.user, action=action, done=request.POST.get("done", "1") == "1"
    )
    nxt = request.POST.get("next", "")
    if nxt.startswith("/training/"):
        return redirect(nxt)
    return redirect("training:my")


# --- settings ------------------------------------------------------------------------------


@permission("training.manage_training")
@require_http_methods(["GET", "POST"])
def training_settings(request: HttpRequest) -> HttpResponse:
    role_form = RoleCurriculumForm(request.POST if request.POST.get("form") == "role" else None)
    gate_form = GateForm(request.POST if request.POST.get("form") == "gate" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "role" and role_form.is_valid():
                d = role_form.cleaned_data
                services.role_curriculum_set(
                    actor=request.user,
                    role=d["role"],
                    course=d["course"],
                    due_days=d["due_days"],
                    remove="remove" in request.POST,
                )
                messages.success(request, _("Role curriculum saved."))
                return redirect("training:settings")
            if request.POST.get("form") == "gate" and gate_form.is_valid():
                d = gate_form.cleaned_data
                services.gate_set(actor=request.user, capability=d["capability"], course=d["course"])
                messages.success(request, _("Certification requirement saved."))
                return redirect("training:settings")
        except ValidationError as exc:
            for message in _apply_errors(None, exc):
                messages.error(request, message)
    context = {
        "role_form": role_form,
        "gate_form": gate_form,
        "entries": list(
            RoleCurriculum.objects.select_related("role", "course__current_version").order_by("role__name")
        ),
        "gates": list(CapabilityGate.objects.select_related("course__current_version")),
    }
    return render(request, "training/settings.html", context, status=400 if request.method == "POST" else 200)
