"""Forms of the training pages: input shape only; the rules live in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.training.gates import CAPABILITIES
from frontoffice.training.models import Attachment, Course, Question
from frontoffice.training.recommendations import MEASURE_KEYS

ANSWER_ROWS = 5


class CourseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All")), *Course.Source.choices]
    )
    measure = forms.ChoiceField(
        label=_("Improves"), required=False, choices=[("", _("Any measure")), *[(m, m) for m in MEASURE_KEYS]]
    )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}

    @property
    def is_filtered(self) -> bool:
        return bool(self.filters())


class CourseForm(forms.Form):
    slug = forms.SlugField(
        label=_("Code"), max_length=80, help_text=_("Short unique code, e.g. phone-manners.")
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    title_sv = forms.CharField(label=_("Title (Swedish)"), max_length=200, required=False)
    summary_en = forms.CharField(
        label=_("Summary (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    summary_sv = forms.CharField(
        label=_("Summary (Swedish)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    pass_percent = forms.IntegerField(label=_("Pass mark (%)"), min_value=1, max_value=100, initial=80)
    max_attempts = forms.IntegerField(
        label=_("Maximum attempts"), min_value=0, max_value=100, initial=3, help_text=_("0: unlimited.")
    )
    estimated_minutes = forms.IntegerField(
        label=_("Estimated minutes"), min_value=1, max_value=10000, initial=30
    )
    certificate_months = forms.IntegerField(
        label=_("Certificate valid for (months)"),
        min_value=0,
        max_value=120,
        initial=0,
        help_text=_("0: the certificate does not expire."),
    )
    measures = forms.MultipleChoiceField(
        label=_("Measures it should improve"),
        required=False,
        choices=[(m, m) for m in MEASURE_KEYS],
        widget=forms.CheckboxSelectMultiple,
    )


class CourseEditForm(CourseForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["slug"]


class ModuleForm(forms.Form):
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    title_sv = forms.CharField(label=_("Title (Swedish)"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("Content (English, Markdown)"), widget=forms.Textarea(attrs={"rows": 12}), required=False
    )
    body_sv = forms.CharField(
        label=_("Content (Swedish, Markdown)"), widget=forms.Textarea(attrs={"rows": 12}), required=False
    )


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Attachment.Kind.choices)
    file = forms.FileField(label=_("File"))


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    text_en = forms.CharField(
        label=_("Question (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    text_sv = forms.CharField(
        label=_("Question (Swedish)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(ANSWER_ROWS):
            self.fields[f"answer_{i}_correct"] = forms.BooleanField(label=_("Correct"), required=False)
            self.fields[f"answer_{i}_en"] = forms.CharField(
                label=_("Answer (English)"), max_length=500, required=False
            )
            self.fields[f"answer_{i}_sv"] = forms.CharField(
                label=_("Answer (Swedish)"), max_length=500, required=False
            )
            self.fields[f"answer_{i}_feedback_en"] = forms.CharField(
                label=_("Feedback (English)"), max_length=500, required=False
            )
            self.fields[f"answer_{i}_feedback_sv"] = forms.CharField(
                label=_("Feedback (Swedish)"), max_length=500, required=False
            )

    def answer_rows(self) -> list[list[Any]]:
        return [
            [self[f"answer_{i}_{n}"] for n in ("correct", "en", "sv", "feedback_en", "feedback_sv")]
            for i in range(ANSWER_ROWS)
        ]

    def answers(self) -> list[Any]:
        from frontoffice.training.services import AnswerInput

        d = self.cleaned_data
        return [
            AnswerInput(
                d[f"answer_{i}_en"],
                d[f"answer_{i}_sv"],
                d[f"answer_{i}_correct"],
                d[f"answer_{i}_feedback_en"],
                d[f"answer_{i}_feedback_sv"],
            )
            for i in range(ANSWER_ROWS)
        ]

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "kind": question.kind,
            "text_en": question.text_en,
            "text_sv": question.text_sv,
        }
        for i, a in enumerate(question.answers.all()[:ANSWER_ROWS]):
            initial.update(
                {
                    f"answer_{i}_correct": a.correct,
                    f"answer_{i}_en": a.text_en,
                    f"answer_{i}_sv": a.text_sv,
                    f"answer_{i}_feedback_en": a.feedback_en,
                    f"answer_{i}_feedback_sv": a.feedback_sv,
                }
            )
        return initial


class AssignForm(forms.Form):
    people = forms.ModelMultipleChoiceField(label=_("People"), queryset=None, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=None, required=False)
    due_on = forms.DateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from frontoffice.core.scoping import visible_to
        from frontoffice.org.models import Role, Staff, Team

        super().__init__(*args, **kwargs)
        # Inactive people are listed too, so assigning one gets the service's clear refusal.
        self.fields["people"].queryset = visible_to(Staff.objects.select_related("user"), user).order_by(
            "user__first_name", "user__last_name"
        )
        self.fields["team"].queryset = visible_to(Team.objects.all(), user)
        self.fields["role"].queryset = Role.objects.all()


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Everyone")),
            ("overdue", _("Overdue")),
            ("due", _("Due soon")),
            ("open", _("Open")),
            ("completed", _("All completed")),
        ],
    )
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(current_version__isnull=False).select_related(
            "current_version"
        )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {
            k: v
            for k, v in {
                "q": d["q"],
                "status": d["status"],
                "course": d["course"].pk if d["course"] else None,
            }.items()
            if v
        }


class ObservationForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=None)
    observed_at = forms.DateTimeField(
        label=_("Observed"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    interaction = forms.IntegerField(label=_("Interaction id (optional)"), required=False, min_value=1)
    comments = forms.CharField(label=_("Comments"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args: Any, user: Any, rubric: Any, **kwargs: Any) -> None:
        from frontoffice.training.selectors import people_in_reach

        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people_in_reach(user=user).select_related("user")
        self.criteria = list(rubric.criteria.all())
        for c in self.criteria:
            self.fields[f"criterion_{c.pk}"] = forms.TypedChoiceField(
                label=c.name,
                help_text=c.description,
                choices=c.level_labels(),
                coerce=int,
                widget=forms.RadioSelect,
            )
            self.fields[f"criterion_{c.pk}_comment"] = forms.CharField(
                label=_("Comment"), max_length=500, required=False
            )

    def scores(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"criterion_{c.pk}"] for c in self.criteria}

    def criterion_comments(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data.get(f"criterion_{c.pk}_comment", "") for c in self.criteria}


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        label=_("Your reply (optional)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class CoachingNoteForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 5}))
    action_1 = forms.CharField(label=_("Agreed action"), max_length=500, required=False)
    action_1_due = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action_2 = forms.CharField(label=_("Agreed action"), max_length=500, required=False)
    action_2_due = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action_3 = forms.CharField(label=_("Agreed action"), max_length=500, required=False)
    action_3_due = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def actions(self) -> list[tuple[str, Any]]:
        d = self.cleaned_data
        return [(d[f"action_{i}"], d[f"action_{i}_due"]) for i in (1, 2, 3) if d[f"action_{i}"]]


class RoleCurriculumForm(forms.Form):
    role = forms.ModelChoiceField(label=_("Role"), queryset=None)
    course = forms.ModelChoiceField(label=_("Course"), queryset=None)
    due_days = forms.IntegerField(label=_("Due after (days)"), min_value=0, max_value=365, initial=30)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from frontoffice.org.models import Role

        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.all()
        self.fields["course"].queryset = Course.objects.filter(current_version__isnull=False).select_related(
            "current_version"
        )


class GateForm(forms.Form):
    capability = forms.ChoiceField(label=_("Capability"), choices=list(CAPABILITIES.items()))
    course = forms.ModelChoiceField(
        label=_("Required certificate"), queryset=None, required=False, help_text=_("Empty: no requirement.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(current_version__isnull=False).select_related(
            "current_version"
        )
