"""Rule sector_risk: NACE codes of the register and the wording of ads/listings/sites."""

from __future__ import annotations

from signals.context import build_context
from signals.rules import sector_risk as rule
from signals.sectors import clean_nace, sector_hits


def _run(session, record):
    return rule.evaluate(build_context(session, record))


def test_nace_codes_are_read_with_or_without_dots():
    assert clean_nace("45.203") == "45203" and clean_nace("2008:81.210") == "81210"


def test_a_car_wash_listing_is_low_and_quotes_the_category(session, world):
    listing = world.ad("Lavage voiture à domicile", kind="listing",
                       raw={"category": "car wash", "price_text": "25 €"})
    [f] = _run(session, listing)
    assert f.severity == "low" and f.facts["sectors"] == ["car_wash"]
    assert {h["source"] for h in f.facts["hits"]} == {"category"}
    assert '"car wash" in the category' in f.rationale


def test_register_nace_of_the_matched_employer_counts_and_judgements_win(session, world):
    emp = world.employer("0456789012", "Brillant Car Wash SRL", nace_codes=["45.203"])
    ad = world.ad("Employé polyvalent (h/f)", description="Accueil des clients.",
                  employer_name="Brillant")
    world.match(ad, emp, method="name+postcode", score=0.91)
    [f] = _run(session, ad)
    assert f.facts["hits"] == [{"sector": "car_wash", "label": "hand car wash",
                                "source": "register", "evidence": "45.203"}]
    assert "NACE 45.203 in the register" in f.rationale
    world.judge(ad, emp, "negative")  # a reviewer says: not this enterprise
    assert _run(session, ad) == []


def test_office_jobs_are_not_flagged(session, world):
    emp = world.employer("0403170701", "Codeurs Réunis SRL", nace_codes=["62.010"])
    ad = world.ad("Développeur Python", description="Télétravail possible.")
    world.match(ad, emp)
    assert _run(session, ad) == []


def test_wording_in_dutch_and_english():
    from storage.models import Record

    nl = Record(kind="job_ad", source="x", url="u", capture_id=1, fingerprint="a",
                title="Schoonmaakster gezocht", raw={"description": "Poetshulp voor kantoren"})
    en = Record(kind="job_ad", source="x", url="u", capture_id=1, fingerprint="b",
                title="Live-in nanny / au pair", raw={})
    assert {h.sector for h in sector_hits(nl, None)} == {"cleaning"}
    assert {h.sector for h in sector_hits(en, None)} == {"au_pair"}


def test_one_signal_per_matched_employer_with_every_ad_as_evidence(session, world):
    from signals.engine import detect_record

    emp = world.employer("0456789012", "Brillant Car Wash SRL", nace_codes=["45203"])
    ads = [world.ad(t, employer_name="Brillant") for t in ("Laveur", "Polisseur")]
    for ad in ads:
        world.match(ad, emp)
    found = [detect_record(session, build_context(session, ad), rules=[rule]) for ad in ads]
    assert found[0][0].id == found[1][0].id and found[1][0].occurrences == 2
    assert found[1][0].subject_key == "0456789012"
