import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from frontoffice.core.models import AuditEntry
from frontoffice.receivables.models import ReceivablesSettings
from frontoffice.receivables.services.common import receivables_settings_for, receivables_settings_update
from frontoffice.receivables.services.payments import payment_register

pytestmark = pytest.mark.django_db


def test_the_defaults_are_the_bas_bank_and_prepayment_accounts(billing, org):
    settings = receivables_settings_for(org.company)
    assert (settings.bank_account.number, settings.prepayment_account.number) == ("1930", "2420")
    assert settings.reminder_interval_days == 14


def test_the_finance_manager_changes_the_bank_account_and_payments_follow(billing, org):
    receivables_settings_update(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        bank_account="1940",
        prepayment_account="",
        reminder_interval_days=10,
    )
    settings = ReceivablesSettings.objects.get(legal_entity=org.company)
    assert (settings.bank_account.number, settings.prepayment_account, settings.reminder_interval_days) == (
        "1940",
        None,
        10,
    )
    assert AuditEntry.objects.filter(action="receivables.settings.changed").exists()
    payment = payment_register(
        actor=org.user("clerk"), legal_entity=org.company, paid_on=datetime.date(2026, 3, 20), amount="10.00"
    )
    lines = {(line.account.number, line.side, line.amount) for line in payment.voucher.lines.all()}
    assert lines == {("1940", "D", Decimal("10.00")), ("1510", "C", Decimal("10.00"))}


@pytest.mark.parametrize(
    ("bank", "prepayment", "days", "field", "code"),
    [
        ("1510", "2420", 14, "bank_account", "control_account"),
        ("9999", "2420", 14, "bank_account", "unknown_account"),
        ("1930", "2611", 14, "prepayment_account", "control_account"),
        ("1930", "2420", 0, "reminder_interval_days", "invalid"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(billing, org, bank, prepayment, days, field, code):
    with pytest.raises(ValidationError) as error:
        receivables_settings_update(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            bank_account=bank,
            prepayment_account=prepayment,
            reminder_interval_days=days,
        )
    assert error.value.error_dict[field][0].code == code
    assert receivables_settings_for(org.company).bank_account.number == "1930"


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north"])
def test_only_the_finance_manager_and_administrator_change_settings(billing, org, persona):
    with pytest.raises(PermissionDenied):
        receivables_settings_update(
            actor=org.user(persona),
            legal_entity=org.company,
            bank_account="1940",
            prepayment_account="2420",
            reminder_interval_days=14,
        )


def test_the_settings_page(billing, org, client_for):
    client = client_for("finance_manager")
    assert client.get(reverse("receivables:settings")).status_code == 200
    response = client.post(
        reverse("receivables:settings"),
        {"bank_account": "1940", "prepayment_account": "2420", "reminder_interval_days": "7"},
    )
    assert response.status_code == 302
    assert receivables_settings_for(org.company).reminder_interval_days == 7
    assert client_for("clerk").get(reverse("receivables:settings")).status_code == 403
