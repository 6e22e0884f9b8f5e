"""Rule foreign_no_establishment: a foreign VAT at a Belgian work place, no Belgian seat."""

from __future__ import annotations

from signals.context import build_context
from signals.engine import detect_record
from signals.rules import foreign_firm
from signals.rules import foreign_no_establishment as rule
from storage.models import Address

PL = {"vat": "PL5261040828", "vat_country": "PL", "country": "BE", "postcode": "1070",
      "municipality": "Anderlecht", "district": "brussels"}


def _run(session, record):
    return rule.evaluate(build_context(session, record))


def test_a_polish_firm_recruiting_in_anderlecht_without_belgian_establishment(session, world):
    ad = world.ad("Murarz / Maçon — chantier Anderlecht", employer_name="Budimex Serwis Sp. z o.o.",
                  raw={"employer_number": "VAT PL5261040828"}, normalized=PL)
    [f] = _run(session, ad)
    assert f.severity == "high" and f.subject_key == "PL5261040828"
    assert "the work place is in Belgium (1070, Anderlecht)" in f.rationale
    assert "Limosa" in f.rationale and f.facts["register_checked"] == []
    signals = detect_record(session, build_context(session, ad), rules=[foreign_firm, rule])
    assert {s.rule for s in signals} == {"foreign_firm", "foreign_no_establishment"}


def test_a_registered_belgian_establishment_silences_it(session, world):
    emp = world.employer("0456789012", "Budimex Serwis", country="PL", postcode=None,
                         street=None)
    session.add(Address(employer_id=emp.id, kind="establishment", street="Rue de la Gare 12",
                        postcode="1070", municipality="Anderlecht"))
    session.flush()
    ad = world.ad("Murarz", employer_name="Budimex Serwis Sp. z o.o.", normalized=PL)
    assert _run(session, ad) == []


def test_a_namesake_without_belgian_address_does_not_silence_it(session, world):
    world.employer("0456789012", "Budimex Serwis", country="PL", postcode=None, street=None)
    ad = world.ad("Murarz", employer_name="Budimex Serwis Sp. z o.o.", normalized=PL)
    [f] = _run(session, ad)
    assert f.facts["register_checked"] == ["0456789012"]


def test_a_work_place_abroad_or_a_belgian_vat_is_silent(session, world):
    abroad = world.ad("Kierowca", employer_name="Trans PL",
                      normalized={**PL, "country": "PL", "district": None, "postcode": None})
    assert _run(session, abroad) == []
    belgian = world.ad("Chauffeur", normalized={"vat": "BE0403170701", "vat_country": "BE"})
    assert _run(session, belgian) == []


def test_a_listing_in_construction_is_raised_to_high(session, world):
    listing = world.ad("Rénovation complète, carreleur", kind="listing",
                       employer_name="Nowak Bud", normalized=PL)
    [f] = _run(session, listing)
    assert f.severity == "high"  # medium for a listing + construction
    plain = world.ad("Déménagement", kind="listing", employer_name="Nowak Move", normalized=PL)
    [g] = _run(session, plain)
    assert g.severity == "medium"


def test_a_website_with_only_a_foreign_vat_and_a_belgian_address(session, world):
    site = world.website("nowak-bud.be", "Nowak Bud", {
        "has_enterprise_number": False, "foreign_vats": ["PL5261040828"],
        "country": "BE", "postcode": "1070", "district": "brussels"})
    [f] = _run(session, site)
    assert f.facts["record_kind"] == "website" and f.facts["vat_country"] == "PL"
