"""Rule below_minimum_wage: salaries as real boards write them, against the RMMMG in force on
the posting date (signals/data/minimum_wage.json)."""

from __future__ import annotations

from datetime import date

from signals.context import build_context
from signals.engine import detect_record
from signals.minimum_wage import minimum_on, periods
from signals.rules import below_minimum_wage as rule


def _run(session, record):
    return rule.evaluate(build_context(session, record))


def test_the_minimum_table_has_dates_and_sources():
    listed = periods()
    assert [p.valid_from for p in listed] == [date(2024, 5, 1), date(2025, 2, 1)]
    current = minimum_on(date(2026, 11, 27))
    assert current.monthly_eur == 2111.89 and current.hourly_eur == 12.8252
    assert "salairesminimums.be" in current.source
    assert minimum_on(date(2024, 9, 1)).monthly_eur == 2070.48


def test_cash_six_euros_an_hour_is_high(session, world):
    ad = world.ad("Laveur de voitures", description="Travail 6 jours sur 7.",
                  raw={"salary_text": "cash 6€/h", "date_posted": "2025-03-03"})
    [f] = _run(session, ad)
    assert f.severity == "high"
    assert f.facts["hourly_max_eur"] == 6.0
    assert f.facts["minimum_hourly_eur"] == 12.8252
    assert f.facts["minimum_valid_from"] == "2025-02-01"
    assert f.facts["cash_wording"] == ["cash 6€/h"]
    assert "EUR 12.8252 per hour" in f.rationale and "posted 2025-03-03" in f.rationale
    assert f'capture #{ad.capture_id}' in f.rationale


def test_monthly_dutch_salary_under_the_minimum_is_medium(session, world):
    ad = world.ad("Magazijnier (m/v/x)", description="Voltijds, onmiddellijke indiensttreding.",
                  raw={"salary_text": "1.800 EUR bruto per maand", "date_posted": "2025-04-10"})
    [f] = _run(session, ad)
    assert f.severity == "medium"
    assert f.facts["wage"]["unit"] == "MONTH"
    assert round(f.facts["hourly_max_eur"], 2) == 10.93
    assert 0.85 < f.facts["ratio_to_minimum"] < 0.86


def test_pay_at_or_above_the_minimum_is_silent(session, world):
    ad = world.ad("Magasinier", raw={"salary_text": "€ 14,50 / heure",
                                     "date_posted": "2025-03-01"})
    assert _run(session, ad) == []
    structured = world.ad("Order picker", raw={"salary_min": 2300, "salary_max": 2600,
                                               "salary_unit": "MONTH", "salary_currency": "EUR"})
    assert _run(session, structured) == []


def test_the_minimum_in_force_on_the_posting_date_is_used(session, world):
    old = world.ad("Magasinier", raw={"salary_text": "12,70 € de l'heure",
                                      "date_posted": "2024-06-01"})
    new = world.ad("Magasinier", raw={"salary_text": "12,70 € de l'heure",
                                      "date_posted": "2025-03-01"})
    assert _run(session, old) == []  # above the EUR 12.5738 of May 2024
    [f] = _run(session, new)
    assert f.facts["minimum_valid_from"] == "2025-02-01"


def test_student_wording_lowers_and_sector_raises(session, world):
    student = world.ad("Job étudiant magasin", description="Pour étudiants, week-ends.",
                       raw={"salary_text": "9 €/h", "date_posted": "2025-03-01"})
    [f] = _run(session, student)
    assert f.facts["youth_wording"] == "etudiant" and f.severity == "medium"  # high - 1
    mason = world.ad("Maçon", description="Chantier à Anderlecht.",
                     raw={"salary_text": "11 euros par heure", "date_posted": "2025-03-01"})
    [g] = _run(session, mason)
    assert g.severity == "high"  # medium + construction
    assert {s["sector"] for s in g.facts["sectors"]} == {"construction"}


def test_listings_and_foreign_currency_are_not_compared(session, world):
    listing = world.ad("Nettoyage bureaux", kind="listing", raw={"price_text": "8 €/h"})
    assert _run(session, listing) == []
    pounds = world.ad("Kitchen porter", raw={"salary_text": "£9 per hour"})
    assert _run(session, pounds) == []


def test_detection_is_idempotent(session, world):
    ad = world.ad("Plongeur", raw={"salary_text": "cash 6€/h"})
    first = detect_record(session, build_context(session, ad), rules=[rule])
    again = detect_record(session, build_context(session, ad), rules=[rule])
    assert [s.id for s in first] == [s.id for s in again] and again[0].occurrences == 1
