"""Forms of the leads app. Validation of contact data lives in the services (one place for
every channel); forms collect input and show the services' errors next to the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.leads.models import Lead, LeadSource, QualificationQuestion, RoutingRule


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[("", _("Any stage")), ("open", _("Open")), *Lead.Stage.choices],
    )
    source = forms.ModelChoiceField(label=_("Source"), required=False, queryset=LeadSource.objects.none())
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=None)
    region = forms.ModelChoiceField(label=_("Region"), required=False, queryset=None)
    overdue = forms.BooleanField(label=_("First contact overdue"), required=False)
    # Drill-down filters of the managers' report (sales.manager_reports), kept as hidden fields.
    created_from = forms.DateField(required=False, widget=forms.HiddenInput)
    created_to = forms.DateField(required=False, widget=forms.HiddenInput)
    contacted = forms.BooleanField(required=False, widget=forms.HiddenInput)
    within_target = forms.ChoiceField(
        required=False, choices=[("", ""), ("yes", "yes"), ("no", "no")], widget=forms.HiddenInput
    )
    reached = forms.ChoiceField(
        required=False,
        choices=[
            ("", ""),
            ("contacted", "contacted"),
            ("qualified", "qualified"),
            ("converted", "converted"),
        ],
        widget=forms.HiddenInput,
    )
    unassigned = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from frontoffice.core.scoping import user_scope, visible_to
        from frontoffice.org.models import Region, User

        self.fields["source"].queryset = visible_to(LeadSource.objects.all(), user)
        self.fields["region"].queryset = visible_to(Region.objects.all(), user)
        from django.db.models import Exists, OuterRef

        from frontoffice.org.models import Staff
        from frontoffice.sales.selectors import owner_label

        # People who left stay choosable (after the others, marked): a link to their leads must
        # not drop the owner and widen to everyone's.
        self.fields["owner"].queryset = (
            User.objects.filter(
                staff__role__permissions__content_type__app_label="leads",
                staff__role__permissions__codename="change_lead",
            )
            .annotate(staff_active=Exists(Staff.objects.filter(user=OuterRef("pk"), active=True)))
            .distinct()
            .order_by("-staff_active", "first_name", "last_name")
        )
        # Never another company's people (an administrator over every company sees all).
        entity_id = user_scope(user).legal_entity_id
        if entity_id:
            self.fields["owner"].queryset = self.fields["owner"].queryset.filter(
                staff__legal_entity_id=entity_id
            )
        self.fields["owner"].label_from_instance = owner_label

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid value (an owner out of the list, a bad date) is left
        out on its own, so the other filters still narrow the list (a drill-down link never
        widens to every lead)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "stage": data.get("stage") or "",
            "source": data.get("source"),
            "owner": data.get("owner"),
            "region": data.get("region"),
            "overdue": bool(data.get("overdue")),
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
            "contacted": bool(data.get("contacted")),
            "within_target": data.get("within_target") or "",
            "reached": data.get("reached") or "",
            "unassigned": bool(data.get("unassigned")),
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values()) if self.is_bound else False


CONTACT_WIDGETS = {
    "message": forms.Textarea(attrs={"rows": 4}),
}


class ContactForm(forms.Form):
    contact_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False, widget=forms.EmailInput)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, required=False, initial="SE")
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    company_size = forms.CharField(label=_("Company size"), max_length=40, required=False)
    message = forms.CharField(
        label=_("Message"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def contact_data(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in ContactForm.base_fields}


class LeadForm(ContactForm):
    source = forms.ModelChoiceField(label=_("Source"), required=False, queryset=LeadSource.objects.none())
    estimated_amount = forms.DecimalField(
        label=_("Estimated value"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_(
            "What the lead may be worth. Above the high-value threshold only certified reps may take it."
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from frontoffice.leads import selectors

        self.fields["source"].queryset = selectors.sources(user=user).filter(active=True)


class LeadEditForm(forms.Form):
    """The lead's editable details (its contact data is kept as submitted)."""

    estimated_amount = forms.DecimalField(
        label=_("Estimated value"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_(
            "What the lead may be worth; empty: not known. Above the high-value threshold only "
            "certified reps may own it."
        ),
    )


class WebLeadForm(ContactForm):
    """The public form. ``website`` is a honeypot: hidden from people, filled in by bots."""

    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    consent = forms.BooleanField(
        label=_("I agree that my details are stored to answer my request."),
        required=True,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("country", "industry", "company_size"):
            self.fields[name].widget = forms.HiddenInput() if name == "country" else self.fields[name].widget

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip())


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("New owner"), queryset=None, required=False, empty_label=_("Unassigned")
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, user: Any, lead: Lead, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from frontoffice.leads import selectors

        self.fields["owner"].queryset = selectors.assignable_reps(
            user=user, legal_entity=lead.legal_entity_id
        )


class DisqualifyForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ConvertForm(forms.Form):
    name = forms.CharField(label=_("Opportunity name"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    expected_close_on = forms.DateField(
        label=_("Expected close"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def qualification_form(
    questions: list[QualificationQuestion], data: Any = None, initial: Any = None
) -> forms.Form:
    fields: dict[str, forms.Field] = {
        f"q_{q.key}": forms.BooleanField(label=q.label, help_text=q.help_text, required=False)
        for q in questions
    }
    fields["qualified"] = forms.BooleanField(label=_("Mark the lead as qualified"), required=False)
    fields["note"] = forms.CharField(label=_("Note"), max_length=500, required=False)
    form_class = type("QualificationForm", (forms.Form,), fields)
    return form_class(data=data, initial={f"q_{k}": v for k, v in (initial or {}).items()})


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel file"))
    source = forms.ModelChoiceField(label=_("Source"), required=False, queryset=LeadSource.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from frontoffice.leads import selectors

        self.fields["source"].queryset = selectors.sources(user=user).filter(active=True)


def mapping_form(
    headers: list[str], targets: dict[str, Any], data: Any = None, initial: Any = None
) -> forms.Form:
    choices = [("", _("— not imported —")), *[(h, h) for h in headers]]
    fields = {
        f"map_{target}": forms.ChoiceField(label=label, choices=choices, required=False)
        for target, label in targets.items()
    }
    form_class = type("MappingForm", (forms.Form,), fields)
    return form_class(data=data, initial={f"map_{k}": v for k, v in (initial or {}).items()})


class LeadSourceForm(forms.ModelForm):
    class Meta:
        model = LeadSource
        fields = ["name", "first_contact_target", "first_contact_unit", "web_form_key", "active"]


class HighValueThresholdForm(forms.Form):
    high_value_threshold_amount = forms.DecimalField(
        label=_("High-value threshold"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_(
            "Leads worth more than this may only be taken by reps holding the certificate the "
            "administrator requires for high-value leads (training settings). Empty: no threshold."
        ),
    )


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = [
            "priority",
            "name",
            "postcode_prefix",
            "postcode_from",
            "postcode_to",
            "country",
            "industry",
            "region",
            "active",
        ]

    def __init__(self, *args: Any, user: Any, legal_entity: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from frontoffice.core.scoping import visible_to
        from frontoffice.org.models import Region

        self.fields["region"].queryset = visible_to(Region.objects.filter(legal_entity=legal_entity), user)


class QuestionForm(forms.ModelForm):
    class Meta:
        model = QualificationQuestion
        fields = ["key", "label", "help_text", "weight", "order", "active"]
