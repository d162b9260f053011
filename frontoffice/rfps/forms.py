"""Forms of the RFP desk: input shape only; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.core.scoping import user_scope, visible_to
from frontoffice.rfps.models import OUTCOME_CHOICES, AnswerLibraryEntry, RfpStatus

LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]


def colleagues(user: Any, legal_entity_id: int | None = None) -> Any:
    """Active staff of the user's legal entity (or the given one), for owner and contributors."""
    from frontoffice.org.models import User

    entity = legal_entity_id or user_scope(user).legal_entity_id
    qs = User.objects.filter(is_active=True, staff__active=True)
    if entity:
        qs = qs.filter(staff__legal_entity_id=entity)
    return qs.order_by("first_name", "last_name", "username")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class OpportunityChoiceField(forms.ModelChoiceField):
    """The RFP's opportunity on the edit page.

    It offers ``queryset`` (the RFP's customer's opportunities the user may see) but accepts
    any opportunity of ``lookup_queryset`` (every opportunity the user may see), so that a
    posted opportunity of another customer reaches ``services.rfp_update`` and its message
    shows on the field. An id outside the user's scope gets the message of one that does not
    exist, as in the service and the API."""

    default_error_messages = {"invalid_choice": _("Unknown opportunity.")}

    def __init__(self, *args: Any, lookup_queryset: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lookup_queryset = lookup_queryset

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.stage.name})"

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        lookup = self.lookup_queryset if self.lookup_queryset is not None else self.queryset
        try:
            return lookup.get(pk=value)
        except (ValueError, TypeError, lookup.model.DoesNotExist) as exc:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from exc


class RfpForm(forms.Form):
    party = forms.ModelChoiceField(label=_("Issuer"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    reference = forms.CharField(label=_("Issuer's reference"), max_length=100, required=False)
    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    due_at = forms.DateTimeField(
        label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    owner = UserChoiceField(label=_("Owner"), queryset=None, required=False)
    contributors = UserMultipleChoiceField(label=_("Contributors"), queryset=None, required=False)
    language = forms.ChoiceField(label=_("Response language"), choices=LANGUAGES)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    # Set from ``?opportunity=``; the view looks it up in the user's scope.
    opportunity = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, editing: bool = False, rfp: Any = None, **kwargs: Any) -> None:
        """``editing``: the edit page of ``rfp`` (no issuer; the opportunity is a choice of the
        RFP's customer's opportunities, empty to unlink). Else "Register RFP"."""
        super().__init__(*args, **kwargs)
        from frontoffice.parties.models import Party

        self.fields["party"].queryset = visible_to(
            Party.objects.filter(merged_into__isnull=True, erased_at__isnull=True), user
        ).order_by("display_name")
        people = colleagues(user)
        self.fields["owner"].queryset = people
        self.fields["owner"].help_text = _("Empty: you.")
        self.fields["contributors"].queryset = people
        if editing:
            del self.fields["party"]
            del self.fields["opportunity"]
        if editing and rfp is not None:
            from frontoffice.rfps.selectors import rfp_opportunity_choices

            self.fields["opportunity"] = OpportunityChoiceField(
                label=_("Opportunity"),
                queryset=rfp_opportunity_choices(user=user, rfp=rfp),
                lookup_queryset=rfp_opportunity_choices(user=user, rfp=rfp, any_customer=True),
                required=False,
                empty_label=_("— Not linked —"),
                help_text=_("The customer's sales opportunity this RFP answers. Empty: not linked."),
            )


class RequirementForm(forms.Form):
    number = forms.CharField(
        label=_("Number"), max_length=30, required=False, help_text=_("Empty: next number.")
    )
    text = forms.CharField(label=_("Requirement"), widget=forms.Textarea(attrs={"rows": 2}))
    mandatory = forms.BooleanField(label=_("Mandatory"), required=False, initial=True)


class RequirementImportForm(forms.Form):
    # Not "text": the single-requirement form on the same page has a field of that name, and
    # two inputs with one id would share one label.
    requirements = forms.CharField(
        label=_("Paste requirements"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One requirement per line, or CSV with the header number,text,mandatory."),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, status: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Won or lost only once the response is submitted; before that it can only be withdrawn
        # (the service's rule), so the page offers no choice the service would refuse.
        if status is not None and status != RfpStatus.SUBMITTED:
            self.fields["outcome"].choices = [(RfpStatus.WITHDRAWN.value, RfpStatus.WITHDRAWN.label)]


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("Document"))


class RfpFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), ("open", _("Open")), *RfpStatus.choices]
    )
    owner = UserChoiceField(label=_("Owner"), queryset=None, required=False)
    due_from = forms.DateField(
        label=_("Due from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    due_to = forms.DateField(
        label=_("Due to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = colleagues(user)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)}

    @property
    def is_filtered(self) -> bool:
        return bool(self.filters())


class LibraryEntryForm(forms.ModelForm):
    class Meta:
        model = AnswerLibraryEntry
        fields = ["question", "answer", "tags", "language"]
        widgets = {
            "question": forms.Textarea(attrs={"rows": 2}),
            "answer": forms.Textarea(attrs={"rows": 6}),
        }


class LibrarySearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", _("All")), *LANGUAGES])
    approved = forms.BooleanField(label=_("Approved only"), required=False)
