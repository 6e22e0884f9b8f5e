"""Rule website_enterprise_number: the numbers a company site shows, against the register."""

from __future__ import annotations

from datetime import date

from signals.context import build_context
from signals.engine import detect_record
from signals.rules import website_enterprise_number as rule


def _run(session, record):
    return rule.evaluate(build_context(session, record))


def test_a_site_without_number_is_low_and_with_only_a_foreign_vat_medium(session, world):
    site = world.website("schoonmaak-vandamme.be", "Schoonmaak Vandamme",
                         {"has_enterprise_number": False, "postcode": "9000"})
    [f] = _run(session, site)
    assert f.severity == "low" and f.facts["problems"] == ["no_number"]
    assert "CDE art. III.15" in f.rationale
    foreign = world.website("budowlani.be", "Budowlani", {
        "has_enterprise_number": False, "vat": "PL5261040828", "vat_country": "PL",
        "vats": ["PL5261040828"], "foreign_vats": ["PL5261040828"]})
    [g] = _run(session, foreign)
    assert g.severity == "medium" and "PL5261040828" in g.rationale


def test_the_number_of_a_bankrupt_other_enterprise_is_high(session, world):
    world.employer("0456789012", "Garage Dubois SRL", status="AC", juridical_situation="050",
                   juridical_situation_label="Ouverture de faillite",
                   juridical_situation_date=date(2024, 5, 14))
    site = world.website("carwash-express.be", "Carwash Express", {
        "has_enterprise_number": True, "enterprise_number": "0456789012",
        "enterprise_numbers": ["0456789012"], "vat": "BE0456789012", "vat_country": "BE"})
    [f] = _run(session, site)
    assert f.severity == "high"
    assert f.facts["problems"] == ["inactive_number", "other_enterprise"]
    assert "Garage Dubois SRL (enterprise 0456.789.012)" in f.rationale
    assert '"Ouverture de faillite" (code 050) since 2024-05-14' in f.rationale
    shown = f.facts["numbers_shown"][0]
    assert shown["inactive"] and shown["other_enterprise"]


def test_a_site_showing_its_own_active_number_is_silent(session, world):
    emp = world.employer("0403170701", "Boulangerie Dupont SRL")
    site = world.website("boulangerie-dupont.be", "Boulangerie Dupont", {
        "has_enterprise_number": True, "enterprise_number": "0403170701",
        "enterprise_numbers": ["0403170701"]})
    world.match(site, emp)
    assert _run(session, site) == []


def test_a_site_matched_to_one_firm_but_showing_another_number(session, world):
    own = world.employer("0403170701", "Boulangerie Dupont SRL")
    world.employer("0456789012", "Boulangerie Dupont Frères SRL")
    site = world.website("boulangerie-dupont.be", "Boulangerie Dupont", {
        "has_enterprise_number": True, "enterprise_number": "0456789012",
        "enterprise_numbers": ["0456789012"], "phone_e164": "+3223151351"})
    world.match(site, own, method="phone", score=0.95)
    [f] = _run(session, site)
    assert f.facts["problems"] == ["other_enterprise"]
    assert "(by phone)" in f.rationale
    world.judge(site, own, "negative")  # a human: the site is not Dupont's after all
    assert _run(session, site) == []  # similar names, no other match: nothing to say


def test_idempotent_through_the_engine(session, world):
    site = world.website("x-clean.be", "X Clean", {"has_enterprise_number": False})
    one = detect_record(session, build_context(session, site), rules=[rule])
    two = detect_record(session, build_context(session, site), rules=[rule])
    assert [s.id for s in one] == [s.id for s in two] and two[0].occurrences == 1


def test_a_match_made_through_the_shown_number_does_not_vouch_for_it(session, world):
    dead = world.employer("0456789012", "Net Services Saint-Gilles", juridical_situation="050",
                          juridical_situation_label="Ouverture de faillite")
    site = world.website("nachtwinkel-retie.be", "Nachtwinkel Retie", {
        "has_enterprise_number": True, "enterprise_number": "0456789012",
        "enterprise_numbers": ["0456789012"]})
    world.match(site, dead, method="enterprise_number", score=1.0)
    [f] = _run(session, site)
    assert f.facts["problems"] == ["inactive_number", "other_enterprise"]
    assert 'the site\'s name "Nachtwinkel Retie" does not resemble' in f.rationale
    world.judge(site, dead, "positive")  # a reviewer: yes, it is that enterprise's site
    [g] = _run(session, site)
    assert g.facts["problems"] == ["inactive_number"]


def test_without_a_site_name_the_domain_is_compared(session, world):
    from signals.rules.website_enterprise_number import domain_label

    assert domain_label("www.boulangerie-dupont.be") == "boulangeriedupont"
    assert domain_label("127.0.0.1:39673/sites/transportvanacker/") == "transportvanacker"
    world.employer("0456789012", "Construction Thiry SRL")
    world.employer("0403170701", "Lavage Centre SRL")
    other = world.website("transportvanacker.be", None, {
        "has_enterprise_number": True, "enterprise_numbers": ["0456789012"]})
    own = world.website("lavagecentre.be", None, {
        "has_enterprise_number": True, "enterprise_numbers": ["0403170701"]})
    [f] = _run(session, other)
    assert f.facts["problems"] == ["other_enterprise"]
    assert 'domain "transportvanacker.be" does not resemble' in f.rationale
    assert _run(session, own) == []
