"""Forms of the invoice-question pages (staff) and of the customer's invoice page.

Forms parse input only; the rules (who may do what, deadlines, link checks) are the services'.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.billing.models import InvoiceQuestion
from frontoffice.billing.services.questions import BODY_MAX, COMMENT_MAX

Category = InvoiceQuestion.Category
Channel = InvoiceQuestion.Channel
Status = InvoiceQuestion.Status
STAFF_CHANNELS = [(c.value, c.label) for c in Channel if c != Channel.CUSTOMER_PAGE]


def add_service_errors(form: forms.Form, exc: Any) -> None:
    """Put a service's ``ValidationError`` on the fields it names (others: non-field)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _body(label: Any, max_length: int = BODY_MAX, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.Textarea(attrs={"rows": 4})
    )


class QuestionFilterForm(forms.Form):
    """Filters of the question queue; unknown values are ignored, not errors."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("active", _("Waiting for us (open, answered, reopened)")),
            ("all", _("All")),
            *Status.choices,
        ],
    )
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any")), *Category.choices]
    )
    due = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[
            ("", _("Any")),
            ("at_risk", _("At risk (due within 2 working hours)")),
            ("overdue", _("Overdue")),
        ],
    )

    def __init__(self, data: Any = None, *, people: list[Any] = (), **kwargs: Any):
        super().__init__(data, **kwargs)
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Nobody yet")),
            *[(str(user.pk), user.get_full_name() or user.get_username()) for user in people],
        ]

    def filters(self) -> dict[str, Any]:
        if not self.is_bound:
            return {"status": "active"}
        data = {name: self.data.get(name, "") for name in self.fields}
        # Any user id is a valid assignee (the oversight page links to reps' questions too).
        valid = {
            name: value
            for name, value in data.items()
            if value in dict(self.fields[name].choices) or (name == "assignee" and value.isdigit())
        }
        valid["status"] = valid.get("status") or "active"
        return valid

    @property
    def is_filtered(self) -> bool:
        filters = self.filters()
        return (
            any(value for name, value in filters.items() if name != "status") or filters["status"] != "active"
        )


class AskForm(forms.Form):
    """The customer's question about one line (the form under "Ask about this line")."""

    line = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    category = forms.ChoiceField(label=_("What is it about?"), choices=Category.choices)
    body = _body(_("Your question"))
    customer_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    reply_email = forms.EmailField(label=_("Send the answer to"), required=False)


class LogForm(forms.Form):
    """A question the customer asked by phone, e-mail or in person, taken down by staff."""

    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    channel = forms.ChoiceField(label=_("Asked by"), choices=STAFF_CHANNELS, initial=Channel.PHONE)
    body = _body(_("The question"))
    customer_name = forms.CharField(label=_("Asked by (name)"), max_length=200, required=False)
    reply_email = forms.EmailField(
        label=_("Answer to e-mail"), required=False, help_text=_("Empty: the buyer e-mail on the invoice.")
    )


class MessageForm(forms.Form):
    body = _body(_("Message"))


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, data: Any = None, *, people: list[Any] = (), **kwargs: Any):
        super().__init__(data, **kwargs)
        self.people = {str(user.pk): user for user in people}
        self.fields["assignee"].choices = [
            (pk, user.get_full_name() or user.get_username()) for pk, user in self.people.items()
        ]

    def clean_assignee(self) -> Any:
        return self.people[self.cleaned_data["assignee"]]


class ResolveForm(forms.Form):
    explanation = _body(_("Explanation to the customer"))
    credit = forms.BooleanField(label=_("Credit the line"), required=False)
    credit_quantity = forms.DecimalField(
        label=_("Quantity to credit"),
        required=False,
        min_value=Decimal("0.001"),
        max_digits=12,
        decimal_places=3,
        help_text=_("Empty: all that is left of the line."),
    )
    corrected_quantity = forms.DecimalField(
        label=_("Corrected quantity"),
        required=False,
        min_value=Decimal("0.001"),
        max_digits=12,
        decimal_places=3,
    )
    corrected_unit_price = forms.DecimalField(
        label=_("Corrected unit price"),
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
    )

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "explanation": data["explanation"],
            "credit": data["credit"],
            "credit_quantity": data["credit_quantity"],
            "corrected_quantity": data["corrected_quantity"],
            "corrected_unit_price": data["corrected_unit_price"],
        }


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why is it reopened?"), max_length=BODY_MAX, required=False)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, 6)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=COMMENT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class QuestionSettingsForm(forms.Form):
    first_response_hours = forms.IntegerField(
        label=_("First response within (working hours)"), min_value=1, max_value=400
    )
    resolution_hours = forms.IntegerField(
        label=_("Resolution within (working hours)"), min_value=1, max_value=400
    )
