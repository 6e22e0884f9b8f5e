"""Rules (a) unregistered_employer and (b) inactive_enterprise, on a real migrated SQLite."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from signals.context import build_context
from signals.engine import detect_record
from signals.rules import inactive_enterprise, unregistered_employer
from storage.models import Judgement, Record, Signal, SignalEvidence


def _run(session, record, rules):
    return detect_record(session, build_context(session, record), rules=rules)


def test_unregistered_employer_fires_high_on_number_match_with_register_page(session, world):
    emp = world.employer("0403170701", "Car Wash Express SRL", onss_employer=False)
    ad = world.ad("Laveur de voitures (H/F)", employer_name="Car Wash Express",
                  raw={"date_posted": "2025-02-27"})
    world.match(ad, emp, method="enterprise_number")
    signals = _run(session, ad, [unregistered_employer])
    assert len(signals) == 1
    s = signals[0]
    assert (s.rule, s.severity, s.subject_type) == ("unregistered_employer", "high", "employer")
    assert s.subject_key == "0403170701" and s.employer_id == emp.id
    assert "Car Wash Express SRL" in s.rationale
    assert "0403.170.701" in s.rationale
    assert '"Laveur de voitures (H/F)"' in s.rationale
    assert "posted 2025-02-27" in s.rationale
    assert ad.url in s.rationale and "2025-03-01" in s.rationale  # where and when seen
    assert "not registered as an employer with the ONSS" in s.rationale
    assert s.facts["date_posted"] == "2025-02-27" and s.facts["onss_employer"] is False
    links = session.exec(select(SignalEvidence).where(SignalEvidence.signal_id == s.id)).all()
    register_page = session.exec(
        select(Record).where(Record.kind == "register_entry",
                             Record.enterprise_number == "0403170701")
    ).one()
    # the ad and its capture (sighting), the register page and its capture (support)
    assert {(e.record_id, e.capture_id) for e in links} == {
        (ad.id, ad.capture_id),
        (register_page.id, emp.capture_id),
    }
    assert s.facts["register_capture_id"] == emp.capture_id
    assert f"capture #{emp.capture_id}" in s.rationale


def test_unregistered_employer_is_medium_on_a_name_match(session, world):
    emp = world.employer("0403170701", "Car Wash Express SRL", onss_employer=False)
    ad = world.ad("Laveur", employer_name="Car Wash Express")
    world.match(ad, emp, method="name+postcode", score=0.91)
    [s] = _run(session, ad, [unregistered_employer])
    assert s.severity == "medium"
    assert "without an enterprise or VAT number" in s.rationale


def test_unregistered_employer_clean_counterparts(session, world):
    onss = world.employer("0200065765", "Registered Employer SA", onss_employer=True)
    ad1 = world.ad("Magasinier", employer_name="Registered Employer")
    world.match(ad1, onss)
    assert _run(session, ad1, [unregistered_employer]) == []
    # not an ONSS employer but only a "possible" match: no firm link, no signal
    other = world.employer("0403170701", "Car Wash Express SRL", onss_employer=False)
    ad2 = world.ad("Laveur", employer_name="Car Wash")
    world.match(ad2, other, method="name", score=0.7, outcome="possible")
    assert _run(session, ad2, [unregistered_employer]) == []
    # a service listing is not a job offer
    listing = world.ad("Nettoyage de voitures", kind="listing", employer_name="Car Wash Express")
    world.match(listing, other)
    assert _run(session, listing, [unregistered_employer]) == []
    assert session.exec(select(Signal)).all() == []


def test_a_negative_judgement_beats_the_machine_match(session, world):
    emp = world.employer("0403170701", "Car Wash Express SRL", onss_employer=False)
    ad = world.ad("Laveur", employer_name="Car Wash Express")
    world.match(ad, emp)
    session.add(Judgement(record_fingerprint=ad.fingerprint, employer_id=emp.id,
                          employer_number="0403170701", verdict="negative", user="analyst1"))
    session.flush()
    assert _run(session, ad, [unregistered_employer]) == []


def test_a_positive_judgement_turns_a_possible_match_into_a_firm_one(session, world):
    emp = world.employer("0403170701", "Car Wash Express SRL", onss_employer=False)
    ad = world.ad("Laveur", employer_name="Car Wash Xpress")
    world.match(ad, emp, method="name", score=0.6, outcome="possible")
    session.add(Judgement(record_fingerprint=ad.fingerprint, employer_number="0403170701",
                          verdict="positive", user="analyst1"))
    session.flush()
    [s] = _run(session, ad, [unregistered_employer])
    assert "name+judgement" in s.rationale


def test_inactive_enterprise_fires_high_on_bankruptcy(session, world):
    emp = world.employer(
        "0456789012", "Bouw Janssens BV", juridical_situation="050",
        juridical_situation_label="Ouverture de faillite",
        juridical_situation_date=date(2024, 11, 5),
    )
    ad = world.ad("Metselaar gezocht", employer_name="Bouw Janssens")
    world.match(ad, emp, method="vat")
    [s] = _run(session, ad, [inactive_enterprise])
    assert (s.rule, s.severity, s.subject_key) == ("inactive_enterprise", "high", "0456789012")
    assert '"Ouverture de faillite" (code 050)' in s.rationale
    assert "since 2024-11-05" in s.rationale and "bankruptcy" in s.rationale
    assert "Bouw Janssens BV" in s.rationale and "0456.789.012" in s.rationale
    assert s.facts["situation_class"] == "bankruptcy"


def test_inactive_enterprise_struck_off_listing_and_other_situation(session, world):
    struck = world.employer("0456789012", "Clean Stars SRL", status="ST",
                            juridical_situation="000")
    listing = world.ad("Nettoyage bureaux", kind="listing", employer_name="Clean Stars")
    world.match(listing, struck)
    [s] = _run(session, listing, [inactive_enterprise])
    assert s.severity == "high" and "struck off (ST)" in s.rationale
    assert "service listing" in s.rationale
    merged = world.employer("0403170701", "Absorbed SA", juridical_situation=None,
                            juridical_situation_label="Fusion par absorption")
    ad = world.ad("Comptable", employer_name="Absorbed")
    world.match(ad, merged)
    [m] = _run(session, ad, [inactive_enterprise])
    assert m.severity == "medium" and "Fusion par absorption" in m.rationale


def test_inactive_enterprise_does_not_fire_on_an_active_normal_company(session, world):
    emp = world.employer("0456789012", "Bouw Janssens BV")  # AC, 000
    ad = world.ad("Metselaar gezocht", employer_name="Bouw Janssens")
    world.match(ad, emp)
    assert _run(session, ad, [inactive_enterprise]) == []
