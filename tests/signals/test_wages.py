"""Wage parsing: amounts, units and currencies as Belgian, French, Dutch and English ads write
them, and the comparison with the legal minimum."""

from __future__ import annotations

import pytest

from signals.wages import (
    MINIMUM_HOURLY_EUR,
    MINIMUM_MONTHLY_EUR,
    THRESHOLD_HOURLY_EUR,
    far_below_minimum,
    parse_amount,
    parse_salary_text,
    wage_from_fields,
)

# text, amount_min, amount_max, unit, currency, hourly_max_eur (None when not EUR)
SALARY_TEXTS = [
    ("€ 14,50 / heure", 14.5, 14.5, "HOUR", "EUR", 14.5),
    ("2.300 EUR bruto per maand", 2300, 2300, "MONTH", "EUR", 13.9676),
    ("£9 per hour", 9, 9, "HOUR", "GBP", None),
    ("cash 6€/h", 6, 6, "HOUR", "EUR", 6.0),
    ("€ 6/h", 6, 6, "HOUR", "EUR", 6.0),
    ("900 EUR par mois", 900, 900, "MONTH", "EUR", 5.4656),
    ("6,50 euro per uur", 6.5, 6.5, "HOUR", "EUR", 6.5),
    ("€30k per year", 30000, 30000, "YEAR", "EUR", 15.1822),
    ("45.000 € bruto per jaar", 45000, 45000, "YEAR", "EUR", 22.7733),
    ("12 - 14 €/h", 12, 14, "HOUR", "EUR", 14.0),
    ("€12–€14 per hour", 12, 14, "HOUR", "EUR", 14.0),
    ("entre 1.800 et 2.100 euros brut par mois", 1800, 2100, "MONTH", "EUR", 12.753),
    ("de 12 à 14 euros/heure", 12, 14, "HOUR", "EUR", 14.0),
    ("Salaire: 1.900 €/mois pour 38h/semaine", 1900, 1900, "MONTH", "EUR", 11.5385),
    ("120 € par jour", 120, 120, "DAY", "EUR", 15.7895),
    ("9,50€ netto p/u", 9.5, 9.5, "HOUR", "EUR", 9.5),
    ("Stundenlohn 11 Euro", 11, 11, "HOUR", "EUR", 11.0),
    ("$2,300.00 monthly", 2300, 2300, "MONTH", "USD", None),
    ("vanaf 18 jaar, €10/uur", 10, 10, "HOUR", "EUR", 10.0),
    ("2 postes, 1.900 €/mois", 1900, 1900, "MONTH", "EUR", 11.5385),
]


@pytest.mark.parametrize("text,low,high,unit,currency,hourly", SALARY_TEXTS)
def test_salary_text_table(text, low, high, unit, currency, hourly):
    wage = parse_salary_text(text)
    assert wage is not None, text
    assert (wage.amount_min, wage.amount_max) == (pytest.approx(low), pytest.approx(high))
    assert wage.unit == unit
    assert wage.currency == currency
    if hourly is None:
        assert wage.hourly_max_eur is None
    else:
        assert wage.hourly_max_eur == pytest.approx(hourly, abs=1e-3)


@pytest.mark.parametrize(
    "text,value",
    [
        ("2.300,00", 2300.0), ("2,300.00", 2300.0), ("6,50", 6.5), ("14.50", 14.5),
        ("2.300", 2300.0), ("2 300", 2300.0), ("30k", 30000.0), ("1.234.567", 1234567.0),
        ("2300.0", 2300.0), ("abc", None),
    ],
)
def test_parse_amount(text, value):
    assert parse_amount(text) == value


def test_amount_with_euro_sign_and_thousands_and_cents_infers_month():
    wage = parse_salary_text("€ 2.300,00")
    assert wage is not None and wage.amount_max == 2300.0
    assert wage.unit == "MONTH" and wage.unit_inferred
    assert wage.currency == "EUR" and not wage.currency_assumed


def test_net_and_gross_are_reported():
    assert parse_salary_text("9,50€ netto p/u").basis == "net"
    assert parse_salary_text("2.300 EUR bruto per maand").basis == "gross"
    assert parse_salary_text("€ 14,50 / heure").basis == "unspecified"


def test_text_without_amount_is_none():
    assert parse_salary_text("Salaire attractif selon expérience") is None
    assert parse_salary_text("") is None
    assert parse_salary_text("Disponible 7/7, 38h par semaine") is None


def test_structured_fields_win_and_borrow_unit_from_text():
    wage = wage_from_fields(
        {"salary_min": "1800", "salary_max": "2100", "salary_unit": "MONTH",
         "salary_currency": "EUR", "salary_text": "whatever"}
    )
    assert wage is not None and wage.unit == "MONTH"
    assert wage.hourly_min_eur == pytest.approx(1800 / (38 * 52 / 12), abs=1e-3)
    only_value = wage_from_fields({"salary_max": 6, "salary_text": "cash 6€/h"})
    assert only_value is not None and only_value.unit == "HOUR" and only_value.currency == "EUR"
    assert wage_from_fields({"salary_text": "900 EUR par mois"}).amount_max == 900
    assert wage_from_fields({}) is None


def test_minimum_constants_and_threshold():
    assert MINIMUM_MONTHLY_EUR == 2111.89
    assert MINIMUM_HOURLY_EUR * 38 * 52 / 12 == pytest.approx(MINIMUM_MONTHLY_EUR, abs=0.5)
    assert THRESHOLD_HOURLY_EUR == pytest.approx(9.6189, abs=1e-3)
    assert far_below_minimum(parse_salary_text("cash 6€/h"))
    assert far_below_minimum(parse_salary_text("900 EUR par mois"))
    assert not far_below_minimum(parse_salary_text("€ 14,50 / heure"))
    assert not far_below_minimum(parse_salary_text("£5 per hour"))  # not EUR: never compared
    assert not far_below_minimum(parse_salary_text("8 - 12 €/h"))  # best offer above threshold
    assert not far_below_minimum(None)
