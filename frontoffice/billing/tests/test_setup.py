from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.billing.models import BillingSettings, InvoiceSeries, VatCode
from frontoffice.billing.services.setup import billing_setup

pytestmark = pytest.mark.django_db


def test_setup_creates_vat_codes_with_bas_accounts(billing):
    codes = {
        c.code: c
        for c in VatCode.objects.filter(legal_entity=billing).select_related("revenue_account", "vat_account")
    }
    assert set(codes) == {"SE25", "SE12", "SE06", "SE00", "OMV", "EUTJ", "EXP", "EXPTJ"}
    assert (codes["SE25"].rate, codes["SE25"].revenue_account.number, codes["SE25"].vat_account.number) == (
        Decimal("25.00"),
        "3001",
        "2611",
    )
    assert codes["SE12"].vat_account.number == "2621"
    assert codes["SE06"].vat_account.number == "2631"
    assert codes["OMV"].vat_account is None and codes["OMV"].exemption_reason
    settings = BillingSettings.objects.get(legal_entity=billing)
    assert settings.receivables_account.number == "1510"
    assert settings.rounding_account.number == "3740"
    assert set(InvoiceSeries.objects.filter(legal_entity=billing).values_list("code", flat=True)) == {
        "F",
        "K",
    }


def test_setup_twice_changes_nothing(billing, org):
    before = VatCode.objects.count(), InvoiceSeries.objects.count(), BillingSettings.objects.count()
    billing_setup(actor=org.user("finance_manager"), legal_entity=org.company)
    assert (VatCode.objects.count(), InvoiceSeries.objects.count(), BillingSettings.objects.count()) == before


def test_setup_needs_a_chart(org):
    with pytest.raises(ValidationError) as error:
        billing_setup(actor=org.user("finance_manager"), legal_entity=org.company)
    assert error.value.code == "no_chart"
    assert not VatCode.objects.exists()


def test_setup_needs_manage_billing(ledger, org):
    with pytest.raises(PermissionDenied):
        billing_setup(actor=org.user("clerk"), legal_entity=org.company)
    assert not VatCode.objects.exists()
