"""Forms of the SIE export and import pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontoffice.finance.models import FiscalYear, LedgerAccount

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class FiscalYearChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FiscalYear) -> str:
        return f"{obj.legal_entity.name}: {obj}"


class SieExportForm(forms.Form):
    fiscal_year = FiscalYearChoiceField(label=_("Fiscal year"), queryset=FiscalYear.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].queryset = (  # type: ignore[attr-defined]
            FiscalYear.objects.visible_to(user)
            .select_related("legal_entity")
            .order_by("legal_entity__name", "-start_on")
        )


class SieUploadForm(forms.Form):
    file = forms.FileField(
        label=_("SIE 4 file"), help_text=_("A .se or .si file exported by an accounting program.")
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."), code="too_large")
        return upload.read()


class SieConfirmForm(forms.Form):
    target = forms.ChoiceField(
        label=_("Import into"),
        widget=forms.RadioSelect,
        choices=[("new", _("A new legal entity")), ("existing", _("An existing empty legal entity"))],
        initial="new",
    )
    name = forms.CharField(label=_("Name of the new legal entity"), max_length=200, required=False)
    organisation_number = forms.CharField(label=_("Organisation number"), max_length=13, required=False)
    legal_entity = forms.ModelChoiceField(
        label=_("Empty legal entity"), queryset=LedgerAccount.objects.none(), required=False
    )
    accept_inconsistent_balances = forms.BooleanField(
        label=_("I have read the warnings above and want to import the file anyway"), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        from frontoffice.org.models import LegalEntity

        super().__init__(*args, **kwargs)
        self.fields["legal_entity"].queryset = LegalEntity.objects.visible_to(user).exclude(  # type: ignore[attr-defined]
            pk__in=LedgerAccount.objects.values("legal_entity")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("target") == "existing" and not data.get("legal_entity"):
            self.add_error("legal_entity", _("Choose the legal entity to import into."))
        if data.get("target") == "new" and not data.get("organisation_number"):
            self.add_error("organisation_number", _("Enter the organisation number of the new legal entity."))
        return data
