"""Sales forms: list filters, the opportunity form, moving and closing."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.sales import selectors

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _user_label(user: Any) -> str:
    return user.get_full_name() or user.get_username()


class OpportunityFilterForm(forms.Form):
    """Filters of the list, board and reports; invalid values are ignored rather than reported."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    owner = forms.TypedChoiceField(label=_("Rep"), required=False, coerce=int, empty_value=None)
    region = forms.TypedChoiceField(label=_("Region"), required=False, coerce=int, empty_value=None)
    stage = forms.TypedChoiceField(label=_("Stage"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", "—"), ("open", _("Open")), ("won", _("Won")), ("lost", _("Lost"))],
    )
    close_from = forms.DateField(label=_("Expected close from"), required=False, widget=DATE)
    close_to = forms.DateField(label=_("Expected close to"), required=False, widget=DATE)
    closed_from = forms.DateField(widget=forms.HiddenInput, required=False)
    closed_to = forms.DateField(widget=forms.HiddenInput, required=False)
    party = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Drill-down of the conversion figures (pipeline and managers' reports).
    opened_to = forms.DateField(widget=forms.HiddenInput, required=False)
    reached = forms.IntegerField(widget=forms.HiddenInput, required=False)
    passed = forms.IntegerField(widget=forms.HiddenInput, required=False)

    KEYS = (
        "q",
        "owner",
        "region",
        "stage",
        "status",
        "close_from",
        "close_to",
        "closed_from",
        "closed_to",
        "party",
        "opened_to",
        "reached",
        "passed",
    )

    def __init__(self, data: Any, *, user: Any, fields: tuple[str, ...] | None = None) -> None:
        super().__init__(data)
        # People who left stay choosable: a link to their rows must not widen to everyone's.
        self.fields["owner"].choices = [("", "—")] + [
            (u.pk, selectors.owner_label(u)) for u in selectors.owners_for(user, include_inactive=True)
        ]
        self.fields["region"].choices = [("", "—")] + [(r.pk, r.name) for r in selectors.regions_for(user)]
        self.fields["stage"].choices = [("", "—")] + [(s.pk, s.name) for s in selectors.stages_for(user)]
        if fields is not None:
            for name in list(self.fields):
                if name not in fields:
                    del self.fields[name]

    def filters(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in self.fields:
            field = self.fields[name]
            try:
                value = field.clean(
                    field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
                )
            except forms.ValidationError:
                value = None
            data[name] = value
        return {k: data.get(k) for k in self.KEYS if k in self.fields and data.get(k) not in (None, "")}

    @property
    def is_filtered(self) -> bool:
        return bool(self.filters())


class OpportunityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    amount = forms.CharField(label=_("Amount"), max_length=20, help_text=_("Excluding VAT."))
    expected_close_on = forms.DateField(label=_("Expected close"), widget=DATE)
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    competitors = forms.CharField(label=_("Competitors"), max_length=500, required=False)
    source = forms.CharField(label=_("Source"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stages = [s for s in selectors.stages_for(user) if s.kind == "open"]
        self.fields["stage"].choices = [(s.pk, f"{s.name} ({s.probability} %)") for s in stages]
        owners = selectors.owners_for(user)
        self.fields["owner"].choices = [(u.pk, _user_label(u)) for u in owners]
        if editing:
            del self.fields["stage"]
            del self.fields["owner"]
        else:
            self.fields["owner"].initial = user.pk
            self.fields["expected_close_on"].initial = datetime.date.today() + datetime.timedelta(days=30)


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
