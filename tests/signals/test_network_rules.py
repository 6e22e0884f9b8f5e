"""The new network rules: shared contacts with bankrupt enterprises, recent enterprises with
many ads, letterbox seats, reposted ads."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import func, select

from signals.engine import detect_network
from signals.rules import (
    domiciliation,
    recent_enterprise_many_ads,
    reposted_ad,
    shared_contact_bankrupt,
)
from storage.models import Address, Signal, SignalEvidence

BANKRUPT = {"status": "AC", "juridical_situation": "050",
            "juridical_situation_label": "Ouverture de faillite",
            "juridical_situation_date": date(2024, 9, 3)}


# --------------------------------------------------------------- shared_contact_bankrupt


def test_an_ad_with_a_bankrupt_firms_phone(session, world):
    world.employer("0456789012", "Toiture Lambert SRL", phone="+3223151351", **BANKRUPT)
    ad = world.ad("Couvreur", employer_name="Lambert Toitures",
                  raw={"employer_phone": "02/315.13.51"})
    ad.phone = "+3223151351"
    session.add(ad)
    [f] = shared_contact_bankrupt.evaluate_network(session)
    assert f.severity == "medium" and f.discriminator == "0456789012"
    assert f.facts["shared_contacts"] == [{"kind": "phone", "value": "+3223151351"}]
    assert "Toiture Lambert SRL (0456.789.012), a bankrupt enterprise (bankruptcy since " \
        "2024-09-03)" in f.rationale


def test_a_successor_enterprise_is_high_and_the_bankrupt_itself_is_left_out(session, world):
    old = world.employer("0456789012", "Toiture Lambert SRL", phone="+3223151351",
                         email="info@lambert-toitures.be", **BANKRUPT)
    new = world.employer("0403170701", "Lambert Roofing SRL", start_date=date(2024, 10, 1))
    ad = world.ad("Couvreur", employer_name="Lambert Roofing",
                  normalized={"phone_e164": "+3223151351"})
    world.match(ad, new)
    own = world.ad("Couvreur (h/f)", employer_name="Toiture Lambert",
                   normalized={"emails": ["info@lambert-toitures.be"]})
    world.match(own, old)
    [f] = shared_contact_bankrupt.evaluate_network(session)
    assert f.subject_key == ad.fingerprint and f.severity == "high" and f.facts["successor"]
    assert "Lambert Roofing SRL (enterprise 0403.170.701)" in f.rationale


def test_a_gazette_bankruptcy_is_enough_and_the_run_is_idempotent(session, world):
    # The register page still says "normal" but the Gazette published the bankruptcy.
    world.employer("0456789012", "Nettoyage Rapide SRL", email="contact@nettoyage-rapide.be")
    gazette = world.gazette("0456789012", "Nettoyage Rapide", ["bankruptcy"], "2025-01-20")
    world.gazette("0403170701", "Autre SRL", ["appointment"], "2025-01-21")
    site = world.website("proprete-express.be", "Propreté Express", {
        "has_enterprise_number": False, "emails": ["contact@nettoyage-rapide.be"]})
    detect_network(session, rules=[shared_contact_bankrupt])
    detect_network(session, rules=[shared_contact_bankrupt])
    [signal] = session.exec(select(Signal)).all()
    assert signal.occurrences == 1 and "Gazette 2025-01-20" in signal.rationale
    links = {(e.record_id, e.capture_id) for e in session.exec(select(SignalEvidence))}
    assert (site.id, site.capture_id) in links and (gazette.id, gazette.capture_id) in links


def test_a_line_shared_by_many_bankrupt_firms_is_ignored(session, world):
    for i, number in enumerate(("0456789012", "0403170701", "0200065765", "0202239951")):
        world.employer(number, f"Client {i} SRL", phone="+3225551234", **BANKRUPT)
    ad = world.ad("Comptable", normalized={"phone_e164": "+3225551234"})
    assert ad.id and shared_contact_bankrupt.evaluate_network(session) == []


# ------------------------------------------------------------ recent_enterprise_many_ads


def _ads(world, employer, dates, **kw):
    ads = []
    for i, day in enumerate(dates):
        ad = world.ad(f"Ouvrier {i}", raw={"date_posted": day}, **kw)
        world.match(ad, employer)
        ads.append(ad)
    return ads


def test_a_new_enterprise_with_three_ads_in_its_first_year(session, world):
    emp = world.employer("0403170701", "Bati Neuf SRL", start_date=date(2025, 1, 10),
                         nace_codes=["43.341"])
    _ads(world, emp, ["2025-02-01", "2025-03-15", "2025-06-30", "2026-03-01"])
    [f] = recent_enterprise_many_ads.evaluate_network(session)
    assert f.facts["ads_in_first_year"] == 3 and f.facts["ads_matched_total"] == 4
    assert f.severity == "high"  # construction by NACE
    assert "started on 2025-01-10" in f.rationale


def test_the_same_ad_on_two_boards_counts_once_and_judgements_win(session, world):
    emp = world.employer("0403170701", "Bati Neuf SRL", start_date=date(2025, 1, 10))
    a, b, c = _ads(world, emp, ["2025-02-01", "2025-02-02", "2025-03-15"])
    assert recent_enterprise_many_ads.evaluate_network(session)[0].severity == "medium"
    world.cluster([a, b], "Ouvrier")
    assert recent_enterprise_many_ads.evaluate_network(session) == []
    d = _ads(world, emp, ["2025-04-01"])[0]
    assert len(recent_enterprise_many_ads.evaluate_network(session)) == 1
    world.judge(d, emp, "negative")
    assert recent_enterprise_many_ads.evaluate_network(session) == []
    assert c.id


def test_an_old_enterprise_is_silent(session, world):
    emp = world.employer("0403170701", "Bati Ancien SRL", start_date=date(2010, 1, 10))
    _ads(world, emp, ["2025-02-01", "2025-03-15", "2025-06-30"])
    assert recent_enterprise_many_ads.evaluate_network(session) == []


# ------------------------------------------------------------------------- domiciliation


def test_an_advertiser_at_a_letterbox_address(session, world):
    numbers = ["0456789012", "0403170701", "0200065765", "0202239951", "0207437468"]
    streets = ["Avenue Louise 54", "AVENUE LOUISE 54, bte 3", "Avenue Louise 54 boîte 12",
               "Avenue Louise, 54", "avenue louise 54"]
    firms = [world.employer(n, f"Firm {i} SRL", street=s, postcode="1050",
                            municipality="Ixelles", onss_employer=i != 0)
             for i, (n, s) in enumerate(zip(numbers, streets, strict=True))]
    ad = world.ad("Nettoyeur", employer_name="Firm 0")
    world.match(ad, firms[0])
    [f] = domiciliation.evaluate_network(session)
    assert f.subject_key == "0456789012" and f.facts["enterprises_at_address"] == 5
    assert f.severity == "medium"  # low (5) + not an ONSS employer
    assert f.facts["address_key"] == "1050|avenue louise 54"
    assert "Firm 4 SRL (enterprise 0207.437.468)" in f.rationale


def test_four_enterprises_or_no_advertiser_is_silent(session, world):
    numbers = ["0456789012", "0403170701", "0200065765", "0202239951"]
    firms = [world.employer(n, f"Firm {i} SRL", street="Rue Haute 1", postcode="1000")
             for i, n in enumerate(numbers)]
    ad = world.ad("Vendeur")
    world.match(ad, firms[0])
    assert domiciliation.evaluate_network(session) == []
    other = world.employer("0207437468", "Firm 9 SRL", street="Rue Haute 1", postcode="1000",
                           page=False)
    session.add(Address(employer_id=other.id, kind="seat", street="Rue Haute 1",
                        postcode="1000"))
    assert len(domiciliation.evaluate_network(session)) == 1


# --------------------------------------------------------------------------- reposted_ad


def test_an_ad_reposted_over_five_weeks(session, world):
    ads = [world.ad("Plongeur H/F", raw={"date_posted": d}, employer_name="Resto Kebab")
           for d in ("2025-01-05", "2025-01-20", "2025-02-10")]
    world.cluster(ads, "Plongeur H/F")
    [f] = reposted_ad.evaluate_network(session)
    assert f.severity == "low" and f.facts["span_days"] == 36
    assert f.subject_key == ads[0].fingerprint and len(f.evidence) == 3
    assert "same title and description" in f.rationale
    detect_network(session, rules=[reposted_ad])
    detect_network(session, rules=[reposted_ad])
    assert session.exec(select(func.count()).select_from(Signal)).one() == 1


def test_copies_on_three_boards_within_days_are_not_reposts(session, world):
    ads = [world.ad("Chauffeur C", raw={"date_posted": d})
           for d in ("2025-01-05", "2025-01-06", "2025-01-08")]
    world.cluster(ads, "Chauffeur C")
    assert reposted_ad.evaluate_network(session) == []


def test_first_seen_stands_in_for_a_missing_date(session, world):
    ads = [world.ad("Aide-ménagère", first_seen=datetime(2025, m, 1, tzinfo=UTC))
           for m in (1, 3, 5, 7, 9)]
    world.cluster(ads, "Aide-ménagère")
    [f] = reposted_ad.evaluate_network(session)
    assert f.severity == "medium" and f.facts["distinct_dates"] == 5
