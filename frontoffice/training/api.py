"""``/api/v1/training/``: courses, assignments, my training, module completion, quiz attempts,
observations and coaching actions.

The views call the same selectors and services as the pages. Errors use the one API error
shape with the service's ``code`` (``inactive_person``, ``no_correct_answer``,
``no_attempts_left``, ``unanswered``, ...). Coaching actions are visible only to the person and
their line of managers (404 for anyone else).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.errors import django_validation_error_to_drf
from frontoffice.api.pagination import paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses
from frontoffice.api.serializers import IdField
from frontoffice.training import selectors, services
from frontoffice.training.models import Assignment, Module, Rubric, localized


def _service(fn: Any, **kwargs: Any) -> Any:
    """Call a service; a refusal keeps the service's code even when it names a field."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        drf = django_validation_error_to_drf(exc)
        if getattr(drf, "domain_code", None) is None and hasattr(exc, "error_dict"):
            codes = [e.code for errors in exc.error_dict.values() for e in errors if e.code]
            drf.domain_code = codes[0] if codes else None  # type: ignore[attr-defined]
        raise drf from exc


def _course_title(course: Any) -> str:
    return localized(course.current_version, "title") if course.current_version_id else course.slug


# ---------------------------------------------------------------- output


class CourseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField()
    source = serializers.CharField()
    measures = serializers.ListField(child=serializers.CharField())
    estimated_minutes = serializers.IntegerField()
    certificate_months = serializers.IntegerField()

    class Meta:
        ref_name = "TrainingCourse"

    def get_title(self, obj: Any) -> str:
        return _course_title(obj)

    def get_summary(self, obj: Any) -> str:
        return localized(obj.current_version, "summary") if obj.current_version_id else ""

    def get_version(self, obj: Any) -> int | None:
        return obj.current_version.number if obj.current_version_id else None


class AnswerOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()

    class Meta:
        ref_name = "TrainingAnswer"


class QuestionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.CharField()
    answers = AnswerOutSerializer(many=True, source="answers.all")

    class Meta:
        ref_name = "TrainingQuestion"


class ModuleOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()
    body_markdown = serializers.CharField(source="body")

    class Meta:
        ref_name = "TrainingModule"


class CourseDetailSerializer(CourseSerializer):
    pass_percent = serializers.IntegerField(source="current_version.pass_percent")
    max_attempts = serializers.IntegerField(source="current_version.max_attempts")
    modules = ModuleOutSerializer(many=True, source="current_version.modules.all")
    questions = QuestionOutSerializer(many=True, source="current_version.questions.all")

    class Meta:
        ref_name = "TrainingCourseDetail"


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    course_title = serializers.SerializerMethodField()
    version = serializers.IntegerField(source="version.number")
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.user.get_full_name")
    due_on = serializers.DateField(allow_null=True)
    source = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    score_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    time_spent_seconds = serializers.IntegerField()

    class Meta:
        ref_name = "TrainingAssignment"

    def get_course_title(self, obj: Any) -> str:
        return localized(obj.version, "title")


class CertificateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    version = serializers.IntegerField(source="version.number")
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)

    class Meta:
        ref_name = "TrainingCertificate"


class CoachingActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    text = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "TrainingCoachingAction"


class ObservationScoreSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(source="criterion_id")
    score = serializers.IntegerField()
    comment = serializers.CharField()

    class Meta:
        ref_name = "TrainingObservationScore"


class ObservationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    rubric = serializers.CharField(source="rubric.code")
    observed_at = serializers.DateTimeField()
    interaction = serializers.IntegerField(source="interaction_id", allow_null=True)
    comments = serializers.CharField()
    score_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    scores = ObservationScoreSerializer(many=True, source="scores.all")

    class Meta:
        ref_name = "TrainingObservation"


class MyTrainingSerializer(serializers.Serializer):
    open = AssignmentSerializer(many=True)
    completed = AssignmentSerializer(many=True)
    certificates = CertificateSerializer(many=True)
    coaching_actions = CoachingActionSerializer(many=True, source="actions")

    class Meta:
        ref_name = "TrainingMine"


# ---------------------------------------------------------------- input


class AssignInputSerializer(serializers.Serializer):
    course = IdField()
    people = serializers.ListField(child=IdField(), required=False, default=list, max_length=500)
    team = IdField(required=False, allow_null=True)
    role = serializers.CharField(
        required=False, allow_blank=True, help_text="Role code, e.g. `receptionist`."
    )
    due_on = serializers.DateField(required=False, allow_null=True)

    class Meta:
        ref_name = "TrainingAssignInput"


class QuizInputSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.ListField(child=IdField(), max_length=20),
        help_text='Question id → chosen answer ids, e.g. `{"12": [40], "13": [44, 45]}`.',
    )

    class Meta:
        ref_name = "TrainingQuizInput"


class QuizResultSerializer(serializers.Serializer):
    attempt = serializers.IntegerField()
    score_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    passed = serializers.BooleanField()
    correct_questions = serializers.IntegerField()
    total_questions = serializers.IntegerField()
    attempts_left = serializers.IntegerField(allow_null=True)
    completed = serializers.BooleanField()
    feedback = serializers.DictField()

    class Meta:
        ref_name = "TrainingQuizResult"


class ObservationInputSerializer(serializers.Serializer):
    person = IdField(help_text="Staff id.")
    rubric = serializers.CharField(help_text="Rubric code, e.g. `greeting-at-the-desk`.")
    observed_at = serializers.DateTimeField(required=False)
    interaction = IdField(required=False, allow_null=True)
    comments = serializers.CharField(required=False, allow_blank=True, default="")
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=10), help_text="Criterion id → score."
    )

    class Meta:
        ref_name = "TrainingObservationInput"


class AcknowledgeInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "TrainingAcknowledgeInput"


class DoneInputSerializer(serializers.Serializer):
    done = serializers.BooleanField(required=False, default=True)

    class Meta:
        ref_name = "TrainingDoneInput"


# ---------------------------------------------------------------- views


class CourseListApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["training.view_course"]}

    @extend_schema(
        responses={200: CourseSerializer(many=True), **error_responses(*READ_ERRORS)}, tags=["training"]
    )
    def get(self, request: Request) -> Response:
        courses = selectors.course_list(user=request.user, q=request.query_params.get("q", "")[:100])
        return paginated_response(
            queryset=courses, serializer_class=CourseSerializer, request=request, view=self
        )


class CourseDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["training.view_course"]}

    @extend_schema(
        responses={200: CourseDetailSerializer, **error_responses(*READ_ERRORS)}, tags=["training"]
    )
    def get(self, request: Request, id: int) -> Response:
        course = selectors.course_get(user=request.user, pk=id)
        if course.current_version_id is None:
            from django.http import Http404

            raise Http404
        course.current_version = selectors.version_detail(course.current_version)
        return Response(CourseDetailSerializer(course).data)


class AssignmentListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["training.view_team_training"], "POST": ["training.assign_course"]}

    @extend_schema(
        responses={200: AssignmentSerializer(many=True), **error_responses(*READ_ERRORS)}, tags=["training"]
    )
    def get(self, request: Request) -> Response:
        course = None
        if str(request.query_params.get("course", "")).isdigit():
            course = selectors.course_get(user=request.user, pk=int(request.query_params["course"]))
        qs = selectors.assignment_list(
            user=request.user, course=course, status=request.query_params.get("status", "")
        )
        return paginated_response(
            queryset=qs, serializer_class=AssignmentSerializer, request=request, view=self
        )

    @extend_schema(
        request=AssignInputSerializer,
        responses={201: AssignmentSerializer(many=True), **error_responses(*WRITE_ERRORS)},
        tags=["training"],
    )
    def post(self, request: Request) -> Response:
        from frontoffice.core.scoping import visible_to
        from frontoffice.org.models import Role, Staff, Team

        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        course = selectors.course_get(user=request.user, pk=d["course"])
        people = list(
            visible_to(Staff.objects.select_related("user"), request.user).filter(pk__in=d["people"])
        )
        if len(people) != len(set(d["people"])):
            raise serializers.ValidationError({"people": ["Unknown person."]})
        team = (
            visible_to(Team.objects.all(), request.user).filter(pk=d.get("team")).first()
            if d.get("team")
            else None
        )
        if d.get("team") and team is None:
            raise serializers.ValidationError({"team": ["Unknown team."]})
        role = Role.objects.filter(code=d["role"]).first() if d.get("role") else None
        if d.get("role") and role is None:
            raise serializers.ValidationError({"role": ["Unknown role."]})
        created = _service(
            services.course_assign,
            actor=request.user,
            course=course,
            people=people,
            team=team,
            role=role,
            due_on=d.get("due_on"),
        )
        rows = Assignment.objects.filter(pk__in=[a.pk for a in created]).select_related(
            "version", "person__user"
        )
        return Response(AssignmentSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


class MyTrainingApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MyTrainingSerializer, **error_responses(*READ_ERRORS)}, tags=["training"])
    def get(self, request: Request) -> Response:
        data = selectors.my_training(user=request.user)
        return Response(MyTrainingSerializer(data).data)


class ModuleCompleteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: AssignmentSerializer, **error_responses(*WRITE_ERRORS)},
        tags=["training"],
    )
    def post(self, request: Request, id: int, module_id: int) -> Response:
        assignment = selectors.own_assignment(user=request.user, pk=id)
        module = Module.objects.filter(pk=module_id, version_id=assignment.version_id).first()
        if module is None:
            from django.http import Http404

            raise Http404
        assignment = _service(
            services.module_complete, actor=request.user, assignment=assignment, module=module
        )
        return Response(
            AssignmentSerializer(selectors.own_assignment(user=request.user, pk=assignment.pk)).data
        )


class QuizAttemptApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=QuizInputSerializer,
        responses={201: QuizResultSerializer, **error_responses(*WRITE_ERRORS)},
        tags=["training"],
    )
    def post(self, request: Request, id: int) -> Response:
        assignment = selectors.own_assignment(user=request.user, pk=id)
        data = QuizInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = {}
        for key, value in data.validated_data["answers"].items():
            if not str(key).isdigit():
                raise serializers.ValidationError({"answers": [f"{key}: not a question id."]})
            answers[int(key)] = list(value)
        result = _service(services.quiz_submit, actor=request.user, assignment=assignment, answers=answers)
        assignment.refresh_from_db()
        body = {
            "attempt": result.attempt.number,
            "score_percent": result.attempt.score_percent,
            "passed": result.attempt.passed,
            "correct_questions": result.correct_questions,
            "total_questions": result.total_questions,
            "attempts_left": result.attempts_left,
            "completed": assignment.completed_at is not None,
            "feedback": {
                str(qid): [{"answer": a.pk, "correct": ok, "feedback": a.feedback} for a, ok in items]
                for qid, items in result.feedback.items()
            },
        }
        return Response(QuizResultSerializer(body).data, status=status.HTTP_201_CREATED)


class ObservationListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": ["training.add_observation"]}

    @extend_schema(
        responses={200: ObservationSerializer(many=True), **error_responses(*READ_ERRORS)}, tags=["training"]
    )
    def get(self, request: Request) -> Response:
        qs = selectors.observation_list(user=request.user).prefetch_related("scores")
        return paginated_response(
            queryset=qs, serializer_class=ObservationSerializer, request=request, view=self
        )

    @extend_schema(
        request=ObservationInputSerializer,
        responses={201: ObservationSerializer, **error_responses(*WRITE_ERRORS)},
        tags=["training"],
    )
    def post(self, request: Request) -> Response:
        data = ObservationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        person = selectors.person_get(user=request.user, pk=d["person"])
        rubric = Rubric.objects.filter(code=d["rubric"], active=True).first()
        if rubric is None:
            raise serializers.ValidationError({"rubric": ["Unknown rubric."]})
        interaction = None
        if d.get("interaction"):
            from frontoffice.parties.models import Interaction

            interaction = Interaction.objects.filter(pk=d["interaction"]).first()
            if interaction is None:
                raise serializers.ValidationError({"interaction": ["Unknown interaction."]})
        scores = {}
        for key, value in d["scores"].items():
            if not str(key).isdigit():
                raise serializers.ValidationError({"scores": [f"{key}: not a criterion id."]})
            scores[int(key)] = value
        obs = _service(
            services.observation_record,
            actor=request.user,
            person=person,
            rubric=rubric,
            scores=scores,
            comments=d["comments"],
            observed_at=d.get("observed_at"),
            interaction=interaction,
        )
        return Response(ObservationSerializer(obs).data, status=status.HTTP_201_CREATED)


class ObservationAcknowledgeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=AcknowledgeInputSerializer,
        responses={200: ObservationSerializer, **error_responses(*WRITE_ERRORS)},
        tags=["training"],
    )
    def post(self, request: Request, id: int) -> Response:
        obs = selectors.observation_get(user=request.user, pk=id)
        data = AcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obs = _service(
            services.observation_acknowledge,
            actor=request.user,
            observation=obs,
            comment=data.validated_data["comment"],
        )
        return Response(ObservationSerializer(obs).data)


class CoachingActionListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: CoachingActionSerializer(many=True), **error_responses(*READ_ERRORS)},
        tags=["training"],
    )
    def get(self, request: Request) -> Response:
        qs = selectors.coaching_actions(user=request.user)
        if str(request.query_params.get("person", "")).isdigit():
            qs = qs.filter(person_id=int(request.query_params["person"]))
        return paginated_response(
            queryset=qs, serializer_class=CoachingActionSerializer, request=request, view=self
        )


class CoachingActionDoneApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=DoneInputSerializer,
        responses={200: CoachingActionSerializer, **error_responses(*WRITE_ERRORS)},
        tags=["training"],
    )
    def post(self, request: Request, id: int) -> Response:
        action = selectors.coaching_action_get(user=request.user, pk=id)
        data = DoneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = _service(
            services.coaching_action_done, actor=request.user, action=action, done=data.validated_data["done"]
        )
        return Response(CoachingActionSerializer(action).data)


urlpatterns = [
    path("courses/", CourseListApi.as_view(), name="training-course-list"),
    path("courses/<int:id>/", CourseDetailApi.as_view(), name="training-course-detail"),
    path("assignments/", AssignmentListCreateApi.as_view(), name="training-assignment-list"),
    path(
        "assignments/<int:id>/modules/<int:module_id>/complete/",
        ModuleCompleteApi.as_view(),
        name="training-module-complete",
    ),
    path("assignments/<int:id>/quiz/", QuizAttemptApi.as_view(), name="training-quiz-attempt"),
    path("my/", MyTrainingApi.as_view(), name="training-my"),
    path("observations/", ObservationListCreateApi.as_view(), name="training-observation-list"),
    path(
        "observations/<int:id>/acknowledge/",
        ObservationAcknowledgeApi.as_view(),
        name="training-observation-acknowledge",
    ),
    path("coaching-actions/", CoachingActionListApi.as_view(), name="training-coaching-action-list"),
    path(
        "coaching-actions/<int:id>/done/",
        CoachingActionDoneApi.as_view(),
        name="training-coaching-action-done",
    ),
]
