"""The engine: idempotent upserts, occurrences counted per new sighting, human status kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from signals import SignalsError
from signals.base import Finding, RecordContext
from signals.context import build_context
from signals.engine import (
    NETWORK_RULES,
    RECORD_RULES,
    detect_network,
    detect_record,
    detect_record_id,
    detect_records,
    signal_key,
    upsert_signal,
)
from storage.models import Signal, SignalEvidence


def _counts(session):
    signals = session.exec(select(func.count()).select_from(Signal)).one()
    links = session.exec(select(func.count()).select_from(SignalEvidence)).one()
    occurrences = session.exec(select(func.sum(Signal.occurrences))).one()
    return signals, links, occurrences


def _dirty_world(world):
    """One ad triggering three record rules, and a carousel."""
    emp = world.employer("0456789012", "Car Wash Express SRL", onss_employer=False,
                         status="ST", juridical_situation="050",
                         juridical_situation_label="Ouverture de faillite",
                         juridical_situation_date=date(2024, 2, 1))
    ad = world.ad("Laveur", description="Logement fourni, payé en cash.",
                  employer_name="Car Wash Express")
    world.match(ad, emp)
    active = world.employer("0403170701", "Car Wash Nouveau SRL", start_date=date(2024, 3, 1))
    boss = world.person("Ali Demir")
    world.role(boss, emp, "Gérant")
    world.role(boss, active, "Gérant")
    return emp, ad


def test_detection_twice_changes_nothing(session, world):
    _, ad = _dirty_world(world)
    first = detect_record(session, build_context(session, ad))
    first_net = detect_network(session)
    assert {s.rule for s in first} == {"unregistered_employer", "inactive_enterprise",
                                       "exploitation_wording"}
    assert [s.rule for s in first_net] == ["carousel"]
    before = _counts(session)
    assert before[0] == 4 and before[2] == 4
    again = detect_record(session, build_context(session, ad))
    again_net = detect_network(session)
    detect_records(session)
    assert sorted(s.id for s in again) == sorted(s.id for s in first)
    assert [s.id for s in again_net] == [s.id for s in first_net]
    assert _counts(session) == before


def test_a_second_record_of_the_same_finding_adds_an_occurrence_and_a_link(session, world):
    emp = world.employer("0456789012", "Car Wash Express SRL", onss_employer=False)
    ad1 = world.ad("Laveur", employer_name="Car Wash Express")
    world.match(ad1, emp)
    [s1] = detect_record(session, build_context(session, ad1))
    ad2 = world.ad("Polisseur", employer_name="Car Wash Express",
                   raw={"date_posted": "2025-03-02"})
    world.match(ad2, emp)
    [s2] = detect_record(session, build_context(session, ad2))
    assert s2.id == s1.id and s2.occurrences == 2
    assert '"Polisseur"' in s2.rationale  # rationale refreshed with the latest sighting
    linked = {(e.record_id, e.capture_id) for e in session.exec(
        select(SignalEvidence).where(SignalEvidence.signal_id == s1.id))}
    assert (ad1.id, ad1.capture_id) in linked and (ad2.id, ad2.capture_id) in linked
    assert len(linked) == 3  # + the register page, linked once


def test_a_new_capture_of_the_same_record_counts_once(session, world):
    ad = world.ad("Magasinier", description="Payé en cash.")
    [s] = detect_record(session, build_context(session, ad))
    assert s.occurrences == 1
    first_seen = s.first_seen
    cap = world.recapture(ad)
    cap.fetched_at = datetime(2025, 4, 2, 8, 0, tzinfo=UTC)
    session.add(cap)
    session.flush()
    [s] = detect_record(session, build_context(session, ad))
    assert s.occurrences == 2
    assert s.last_seen == datetime(2025, 4, 2, 8, 0, tzinfo=UTC)
    assert s.first_seen == first_seen
    [s] = detect_record(session, build_context(session, ad))  # same capture again
    assert s.occurrences == 2


def test_human_status_survives_and_dismissed_stays_dismissed(session, world):
    _, ad = _dirty_world(world)
    signals = detect_record(session, build_context(session, ad))
    by_rule = {s.rule: s for s in signals}
    by_rule["unregistered_employer"].status = "dismissed"
    by_rule["inactive_enterprise"].status = "confirmed"
    session.add_all(signals)
    session.flush()
    world.recapture(ad)  # seen again: new evidence, new occurrence
    again = {s.rule: s for s in detect_record(session, build_context(session, ad))}
    assert again["unregistered_employer"].status == "dismissed"
    assert again["unregistered_employer"].occurrences == 2
    assert again["inactive_enterprise"].status == "confirmed"
    assert again["exploitation_wording"].status == "new"


def test_key_is_stable_and_discriminated():
    k = signal_key("carousel", "person", "jan-peeters", "0403170701")
    assert len(k) == 32 and k == signal_key("carousel", "person", "jan-peeters", "0403170701")
    assert k != signal_key("carousel", "person", "jan-peeters", "0200065765")
    assert k != signal_key("carousel", "person", "jan-peeters")


def test_upsert_on_a_fresh_session_finds_the_committed_row(engine: Engine, world):
    finding = Finding(rule="foreign_firm", severity="medium", title="t", rationale="r",
                      subject_type="employer", subject_key="PL5261040828")
    with Session(engine) as one:
        upsert_signal(one, finding)
        one.commit()
    with Session(engine) as two:
        again = upsert_signal(two, finding)
        two.commit()
        assert again.occurrences == 1
        assert two.exec(select(func.count()).select_from(Signal)).one() == 1


def test_concurrent_insert_of_the_same_key_is_absorbed(engine: Engine, monkeypatch):
    """Two writers race: the second one's insert hits the unique key inside a savepoint and
    falls back to updating the first one's row."""
    finding = Finding(rule="foreign_firm", severity="medium", title="t", rationale="r",
                      subject_type="employer", subject_key="DE136695976")
    with Session(engine) as slow:
        # the slow writer looked before the fast one committed: it saw nothing
        assert slow.exec(select(Signal)).first() is None
        slow.rollback()
        with Session(engine) as fast:
            upsert_signal(fast, finding)
            fast.commit()
        from signals import engine as signal_engine

        original = signal_engine._existing
        calls = {"n": 0}

        def stale_then_fresh(session, key):
            calls["n"] += 1
            return None if calls["n"] == 1 else original(session, key)

        monkeypatch.setattr(signal_engine, "_existing", stale_then_fresh)
        signal = upsert_signal(slow, finding)
        slow.commit()
        assert signal.id is not None and calls["n"] == 2
        assert slow.exec(select(func.count()).select_from(Signal)).one() == 1


def test_findings_are_validated():
    with pytest.raises(SignalsError):
        Finding(rule="x", severity="critical", title="t", rationale="r",
                subject_type="employer", subject_key="k")
    with pytest.raises(SignalsError):
        Finding(rule="x", severity="low", title="t", rationale="r",
                subject_type="company", subject_key="k")
    with pytest.raises(SignalsError):
        Finding(rule="x", severity="low", title="t", rationale="r",
                subject_type="record", subject_key="k", facts={"bad": object()})
    f = Finding(rule="x", severity="low", title="t", rationale="r", subject_type="record",
                subject_key="k", facts={"when": date(2025, 1, 2)})
    assert f.facts == {"when": "2025-01-02"}


def test_detect_record_needs_a_stored_record_and_detect_record_id_loads_it(session, world):
    from storage.models import Record

    with pytest.raises(SignalsError):
        detect_record(session, RecordContext(record=Record(kind="job_ad", source="x", url="u",
                                                           capture_id=1, fingerprint="f")))
    ad = world.ad("Magasinier", description="Cash in hand.")
    [s] = detect_record_id(session, ad.id)
    assert s.rule == "exploitation_wording"
    with pytest.raises(SignalsError):
        detect_record_id(session, 999_999)


def test_pipeline_style_context_without_register_capture_is_completed(session, world):
    emp = world.employer("0456789012", "Car Wash Express SRL", onss_employer=False)
    ad = world.ad("Laveur", employer_name="Car Wash Express")
    match = world.match(ad, emp)
    ctx = RecordContext(record=ad, employer=emp, match=match, capture=None)
    [s] = detect_record(session, ctx, rules=[RECORD_RULES[0]])
    assert f"capture #{emp.capture_id}" in s.rationale
    assert f"capture #{ad.capture_id}" in s.rationale


def test_pipeline_style_context_still_obeys_a_negative_judgement(session, world):
    from storage.models import Judgement

    emp = world.employer("0456789012", "Car Wash Express SRL", onss_employer=False)
    ad = world.ad("Laveur", employer_name="Car Wash Express")
    match = world.match(ad, emp)
    session.add(Judgement(record_fingerprint=ad.fingerprint, employer_id=emp.id,
                          verdict="negative", user="reviewer1"))
    session.flush()
    ctx = RecordContext(record=ad, employer=emp, match=match)
    assert detect_record(session, ctx, rules=[RECORD_RULES[0]]) == []


def test_catalogue_lists_every_rule_with_its_risk():
    from signals.catalogue import catalogue

    entries = {e["rule"]: e for e in catalogue()}
    assert set(entries) == {"unregistered_employer", "inactive_enterprise",
                            "exploitation_wording", "foreign_firm", "carousel",
                            "below_minimum_wage", "sector_risk", "foreign_no_establishment",
                            "website_enterprise_number", "shared_contact_bankrupt",
                            "recent_enterprise_many_ads", "domiciliation", "reposted_ad"}
    assert entries["carousel"]["kind"] == "network"
    assert entries["reposted_ad"]["kind"] == "network"
    assert entries["sector_risk"]["severity"] == "low"
    assert entries["foreign_firm"]["severity"] == "medium"
    for entry in entries.values():
        assert entry["risk"][0] in "12345" and entry["description"]
        assert "Known false positives" in entry["documentation"]


def test_the_room_imports_neither_scrapy_nor_fastapi():
    import subprocess
    import sys

    code = (
        "import sys, signals.engine, signals.catalogue, signals.wages;"
        "bad = [m for m in ('scrapy', 'fastapi') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_registries():
    assert [m.RULE for m in RECORD_RULES] == [
        "unregistered_employer", "inactive_enterprise", "exploitation_wording", "foreign_firm",
        "below_minimum_wage", "sector_risk", "foreign_no_establishment",
        "website_enterprise_number"]
    assert [m.RULE for m in NETWORK_RULES] == [
        "carousel", "shared_contact_bankrupt", "recent_enterprise_many_ads", "domiciliation",
        "reposted_ad"]
