"""The ``money`` and ``format_phone`` template filters, in English and Swedish."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils.translation import override

from frontoffice.core.templatetags.frontoffice import format_phone, money

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("value", "currency", "english", "swedish"),
    [
        (Decimal("1234.5"), None, "SEK 1,234.50", "1 234,50 kr"),
        (Decimal("0"), None, "SEK 0.00", "0,00 kr"),
        (Decimal("-1234567.891"), "SEK", "SEK -1,234,567.89", "-1 234 567,89 kr"),
        (Decimal("999.995"), "eur", "EUR 1,000.00", "1 000,00 EUR"),
        (Decimal("0.005"), "NOK", "NOK 0.01", "0,01 NOK"),
        (Decimal("999999999999.99"), None, "SEK 999,999,999,999.99", "999 999 999 999,99 kr"),
        (12, None, "SEK 12.00", "12,00 kr"),
        ("12.345", None, "SEK 12.35", "12,35 kr"),
    ],
)
def test_money_formats_for_each_language(
    value: object, currency: str | None, english: str, swedish: str
) -> None:
    """Two decimals rounded half up, grouped digits, non-breaking spaces, currency by language."""
    with override("en"):
        assert money(value, currency) == english.replace(" ", NBSP)
    with override("sv"):
        assert money(value, currency) == swedish.replace(" ", NBSP)


def test_money_keeps_every_digit_of_large_amounts() -> None:
    """No float on the way: 14 significant digits come out exactly."""
    with override("en"):
        assert money(Decimal("123456789012.34")) == f"SEK{NBSP}123,456,789,012.34"


def test_money_refuses_floats() -> None:
    with pytest.raises(TypeError, match="must not be a float"):
        money(1.1)


@pytest.mark.parametrize("value", [None, ""])
def test_money_of_nothing_is_empty(value: object) -> None:
    assert money(value) == ""


def test_money_takes_the_currency_of_an_amount_object() -> None:
    @dataclass
    class Amount:
        amount: Decimal
        currency: str

    with override("sv"):
        assert money(Amount(Decimal("10"), "EUR")) == f"10,00{NBSP}EUR"
        assert money(Amount(Decimal("10"), "EUR"), "SEK") == f"10,00{NBSP}kr"


def test_money_filter_in_a_template() -> None:
    template = Template("{% load frontoffice %}{{ amount|money }}|{{ amount|money:currency }}")
    context = Context({"amount": Decimal("2500"), "currency": "EUR"})
    with override("en"):
        assert template.render(context) == f"SEK{NBSP}2,500.00|EUR{NBSP}2,500.00"
    with override("sv"):
        assert template.render(context) == f"2{NBSP}500,00{NBSP}kr|2{NBSP}500,00{NBSP}EUR"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+46701234567", "+46 70 123 45 67"),
        ("+4686789000", "+46 8 678 90 00"),
        ("+4792345678", "+47 92 34 56 78"),
        ("", ""),
        (None, ""),
        ("not a number", "not a number"),
    ],
)
def test_format_phone_shows_the_international_form(stored: str | None, shown: str) -> None:
    for language in ("en", "sv"):
        with override(language):
            assert format_phone(stored) == shown


def test_format_phone_filter_in_a_template() -> None:
    template = Template("{% load frontoffice %}{{ phone|format_phone }}")
    assert template.render(Context({"phone": "+46701234567"})) == "+46 70 123 45 67"


def test_fields_with_errors_are_announced_to_screen_readers() -> None:
    """An invalid field says so (aria-invalid) and points at its help text and errors."""
    from django import forms
    from django.template import Context, Template

    class Form(forms.Form):
        email = forms.EmailField(help_text="Work address")

    form = Form(data={"email": "not-an-address"})
    html = Template('{% include "components/form_field.html" with field=form.email %}').render(
        Context({"form": form})
    )
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_email_helptext id_email_error"' in html
    assert 'id="id_email_error"' in html
    assert html.count('id="id_email_error"') == 1
    valid = Form(data={"email": "a@example.com"})
    html = Template('{% include "components/form_field.html" with field=form.email %}').render(
        Context({"form": valid})
    )
    assert "aria-invalid" not in html
