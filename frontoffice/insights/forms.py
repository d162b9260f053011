"""Forms of insights: a manager's digest and alert settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.insights.measures import Measure
from frontoffice.insights.models import WEEKDAYS


class ManagerSettingsForm(forms.Form):
    """On/off, the digest day, which measures to follow and a threshold per measure (blank:
    the measure's target)."""

    digest_enabled = forms.BooleanField(label=_("Send me a weekly digest"), required=False)
    digest_weekday = forms.TypedChoiceField(label=_("Digest day"), choices=WEEKDAYS, coerce=int)
    alerts_enabled = forms.BooleanField(
        label=_("Alert me when a figure crosses its threshold"), required=False
    )
    measures = forms.MultipleChoiceField(
        label=_("Measures to follow (none ticked: all of your desk's)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, measures: list[Measure], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.measure_list = measures
        self.fields["measures"].choices = [(m.key, m.name) for m in measures]
        for m in measures:
            target = "—" if m.target is None else m.target
            self.fields[f"threshold_{m.key}"] = forms.DecimalField(
                label=_("Threshold: %(measure)s (%(unit)s; target %(target)s)")
                % {"measure": m.name, "unit": m.unit, "target": target},
                required=False,
                max_digits=14,
                decimal_places=2,
            )

    def thresholds(self) -> dict[str, Any]:
        return {m.key: self.cleaned_data.get(f"threshold_{m.key}") for m in self.measure_list}
