"""Rule (e) foreign_firm: foreign VAT (or foreign seat) + work place in Belgium."""

from __future__ import annotations

from signals.context import build_context
from signals.engine import detect_record
from signals.rules import foreign_firm
from signals.rules.foreign_firm import vat_country


def _run(session, record):
    return detect_record(session, build_context(session, record), rules=[foreign_firm])


def test_polish_vat_recruiting_for_brussels_is_medium(session, world):
    ad = world.ad(
        "Ouvriers construction – chantier Bruxelles", employer_name="Budmax Sp. z o.o.",
        raw={"employer_number": "VAT PL5261040828"},
        normalized={"vat": "PL5261040828", "vat_country": "PL"}, vat_number="PL5261040828",
    )
    [s] = _run(session, ad)
    assert (s.rule, s.severity, s.subject_type, s.subject_key) == (
        "foreign_firm", "medium", "employer", "PL5261040828")
    assert '"Budmax Sp. z o.o."' in s.rationale
    assert "a PL VAT number (PL5261040828)" in s.rationale
    assert "1000, Bruxelles (BE)" in s.rationale
    assert "Limosa" in s.rationale and ad.url in s.rationale
    assert s.facts["vat_country"] == "PL" and s.district == "brussels"


def test_listing_by_foreign_firm_and_postcode_only_work_place(session, world):
    listing = world.ad(
        "Rénovation toitures", kind="listing", employer_name="Dach-Profi GmbH",
        normalized={"vat": "DE136695976", "vat_country": "DE", "country": None,
                    "postcode": "4700", "municipality": "Eupen", "district": "eupen"},
    )
    [s] = _run(session, listing)
    assert "offering services in Belgium" in s.rationale
    assert "judicial district eupen (Belgian postcode)" in s.rationale
    assert s.subject_key == "DE136695976"


def test_foreign_seat_of_matched_employer(session, world):
    emp = world.employer("0403170701", "Transports Lux SA", country="LU", page=False,
                         origin="csv")
    ad = world.ad("Chauffeur C/E", employer_name="Transports Lux",
                  normalized={"vat": "BE0403170701", "vat_country": "BE"})
    world.match(ad, emp)
    [s] = _run(session, ad)
    assert "a seat in LU according to the register" in s.rationale
    assert s.subject_key == "0403170701"


def test_belgian_vat_or_foreign_work_place_raise_nothing(session, world):
    be = world.ad("Magasinier", employer_name="Logistics BV",
                  normalized={"vat": "BE0403170701", "vat_country": "BE"})
    assert _run(session, be) == []
    abroad = world.ad("Warehouse worker Warsaw", employer_name="Budmax",
                      normalized={"vat": "PL5261040828", "vat_country": "PL", "country": "PL",
                                  "district": None, "postcode": None})
    assert _run(session, abroad) == []
    unknown_place = world.ad("Remote job", employer_name="Budmax",
                             normalized={"vat": "PL5261040828", "vat_country": "PL",
                                         "country": None, "district": None, "postcode": None})
    assert _run(session, unknown_place) == []


def test_vat_country_fallback_validates_the_number(session, world):
    assert vat_country("VAT PL5261040828") == "PL"
    assert vat_country("el 094014201") == "EL"
    assert vat_country("PL1234567890") is None  # fails the Polish check digit
    assert vat_country(None) is None
    # a record whose pipeline left no normalised VAT still fires on its vat_number column
    ad = world.ad("Bricklayers for Liège", employer_name="Budmax",
                  normalized={"vat": None, "vat_country": None}, vat_number="PL5261040828")
    [s] = _run(session, ad)
    assert s.subject_key == "PL5261040828" and s.facts["vat_country"] == "PL"
