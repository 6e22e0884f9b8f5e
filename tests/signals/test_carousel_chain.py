"""Carousel rule v2: chains through shared directors and resources, scored and explained."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from signals.engine import detect_network, signal_key
from signals.rules import carousel
from storage.models import Record, Signal, SignalEvidence
from tests.storage.carousel_world import PHONE, build_carousel


def _bankrupt(world, number, name, since, **kw):  # noqa: ANN001, ANN003, ANN201
    return world.employer(number, name, juridical_situation="050",
                          juridical_situation_label="Ouverture de faillite",
                          juridical_situation_date=since, **kw)


def test_carousel_is_scored_and_names_chain_dates_and_sources(session) -> None:  # noqa: ANN001
    c = build_carousel(session)
    [s] = detect_network(session, rules=[carousel])
    assert s.key == signal_key("carousel", "person", "peeters jan", "0200065765")  # as in v1
    assert (s.severity, s.employer_id, s.rule_version) == ("high", c.gamma, "3")
    facts = s.facts
    assert facts["score"] == 100 and facts["chain_length"] == 3 and facts["bankruptcies"] == 2
    assert [p["points"] for p in facts["score_parts"]] == [50, 10, 20, 15, 5, 10]
    assert facts["shared_resources"] == ["phone"]
    assert [m["name"] for m in facts["chain_members"]] == ["Bouw Alpha BV", "Bouw Beta BV"]
    assert {link["kind"] for link in facts["chain_members"][0]["links"]} == {"person", "phone"}
    assert facts["active_enterprise"]["recruiting_records"] == [c.ad]
    for text in (
        "Jan Peeters holds a function in 2 bankrupt enterprises of the chain",
        "is Administrateur since 2023-10-02 of Bouw Gamma BV (0200.065.765)",
        "1. Bouw Alpha BV (0456.789.012;", "since 2022-03-01, struck off",
        "director Jan Peeters (Gérant from 2018-05-01 to 2022-02-01; register page, capture #",
        f"shared phone {PHONE} (register page, capture #",
        "2. Bouw Beta BV (0403.170.701; \"Ouverture de faillite\" (code 050) since 2023-09-15)",
        f"(Administrateur since 2021-06-01; Gazette publication record #{c.gazette}, capture #",
        "chain of 2 bankruptcies (3 enterprises)",
        "started 17 days after the bankruptcy of Bouw Beta BV",
        f"it is recruiting (1 matched ad(s) or listing(s), e.g. record #{c.ad})",
        "Score 100/100: +50 2 bankrupt enterprise(s) in the chain;", "phoenix pattern",
    ):
        assert text in s.rationale, text
    links = session.exec(select(SignalEvidence).where(SignalEvidence.signal_id == s.id)).all()
    records = {r.id: r for r in session.exec(select(Record)).all()}
    kinds = sorted(records[e.record_id].kind for e in links if e.record_id)
    assert kinds == ["gazette", "job_ad", "register_entry", "register_entry", "register_entry"]
    # idempotent: a second run changes nothing
    again = detect_network(session, rules=[carousel])
    assert [x.id for x in again] == [s.id] and again[0].occurrences == 1
    assert len(session.exec(select(Signal)).all()) == 1


def test_resource_only_chain_is_an_employer_signal(session, world) -> None:  # noqa: ANN001
    failed = _bankrupt(world, "0456789012", "Schoon Oud BV", date(2024, 1, 10), phone=PHONE)
    new = world.employer("0403170701", "Schoon Nieuw BV", start_date=date(2024, 2, 1))
    ad = world.ad("Poetshulp gezocht", phone=PHONE, normalized={"phone_e164": PHONE})
    world.match(ad, new)
    quiet = world.employer("0200065765", "Oud Bedrijf BV", start_date=date(1990, 1, 1),
                           phone=PHONE)  # old, not recruiting: 25 + 5 points, below the bar
    [s] = detect_network(session, rules=[carousel])
    assert (s.subject_type, s.subject_key, s.employer_id) == ("employer", "0403170701", new.id)
    assert s.key == signal_key("carousel", "employer", "0403170701", "resource-chain")
    assert s.severity == "high" and s.facts["score"] == 60
    assert "Schoon Nieuw BV (0403.170.701) is active" in s.rationale
    assert f"shared phone {PHONE} (register page, capture #{failed.capture_id})" in s.rationale
    assert "person" not in s.facts and quiet.id != s.employer_id


def test_chain_runs_through_a_struck_off_link(session, world) -> None:  # noqa: ANN001
    bankrupt = _bankrupt(world, "0456789012", "Eerste BV", date(2020, 6, 1),
                         email="boss@eerste.be")
    struck = world.employer("0403170701", "Tweede BV", status="ST", email="Boss@Eerste.be")
    active = world.employer("0200065765", "Derde BV", start_date=date(2023, 1, 1))
    p = world.person("Karel Claes")
    world.role(p, struck, "Gérant")
    world.role(p, active, "Gérant")
    [s] = detect_network(session, rules=[carousel])
    assert s.subject_key == "karel-claes" and s.facts["bankruptcies"] == 1
    assert [m["name"] for m in s.facts["chain_members"]] == ["Eerste BV", "Tweede BV"]
    assert s.facts["shared_resources"] == ["email"]
    assert "shared e-mail boss@eerste.be" in s.rationale and bankrupt.id != active.id
    # 25 bankruptcy + 5 struck off + 10 chain of 3 + 10 started (long) after the bankruptcy
    # + 15 director + 5 e-mail = 70
    assert s.facts["score"] == 70 and s.severity == "high"
    assert "started 944 days after the bankruptcy of Eerste BV" in s.rationale


def test_a_crowded_seat_links_nothing(session, world) -> None:  # noqa: ANN001
    seat = {"street": "Avenue Louise 54", "postcode": "1050"}
    _bankrupt(world, "0456789012", "Failli SRL", date(2024, 1, 1), **seat)
    world.employer("0403170701", "Nouveau SRL", start_date=date(2024, 2, 1), **seat)
    # 25 bankruptcy + 20 started a month after it + 5 shared seat
    assert [s.facts["score"] for s in detect_network(session, rules=[carousel])] == [50]
    for n in range(5):  # a business centre: seven enterprises at one seat
        world.employer(f"020006576{n}", f"Tenant {n} SRL", page=False, **seat)
    session.flush()
    assert detect_network(session, rules=[carousel]) == []
