"""Rule (d) carousel: directors of bankrupt enterprises who run an active one."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from signals.engine import detect_network
from signals.rules import carousel
from storage.models import Record, Signal, SignalEvidence


def _bankrupt(world, number, name, since, **kw):
    return world.employer(number, name, juridical_situation="050",
                          juridical_situation_label="Ouverture de faillite",
                          juridical_situation_date=since, **kw)


def test_three_company_chain_is_high_and_names_everything(session, world):
    first = _bankrupt(world, "0456789012", "Bouw Alpha BV", date(2022, 3, 1), status="ST")
    second = _bankrupt(world, "0403170701", "Bouw Beta BV", date(2023, 9, 15))
    active = world.employer("0200065765", "Bouw Gamma BV", start_date=date(2023, 10, 2),
                            district="antwerp")
    boss = world.person("Jan Peeters")
    world.role(boss, first, "Gérant", start=date(2019, 1, 1), end=date(2022, 2, 1))
    world.role(boss, second, "Bestuurder", start=date(2021, 6, 1))
    world.role(boss, active, "Administrateur", start=date(2023, 10, 2))

    [s] = detect_network(session, rules=[carousel])
    assert (s.rule, s.severity, s.subject_type, s.subject_key) == (
        "carousel", "high", "person", "jan-peeters")
    assert s.employer_id == active.id and s.district == "antwerp"
    for fact in ("Jan Peeters", "Bouw Alpha BV", "0456.789.012", "since 2022-03-01",
                 "struck off", "Bouw Beta BV", "0403.170.701", "since 2023-09-15",
                 "Bouw Gamma BV", "0200.065.765", "started 2023-10-02",
                 "chain of 2 bankruptcies", '"Ouverture de faillite" (code 050)'):
        assert fact in s.rationale, fact
    assert s.facts["bankruptcies"] == 2 and s.facts["chain"] is True
    assert [b["enterprise_number"] for b in s.facts["bankrupt_enterprises"]] == [
        "0456789012", "0403170701"]  # oldest bankruptcy first
    # evidence: the register page of each of the three enterprises
    links = session.exec(select(SignalEvidence).where(SignalEvidence.signal_id == s.id)).all()
    pages = {r.id: r for r in session.exec(select(Record)).all()}
    assert sorted(pages[e.record_id].enterprise_number for e in links) == sorted(
        ["0456789012", "0403170701", "0200065765"])
    assert {e.capture_id for e in links} == {first.capture_id, second.capture_id,
                                             active.capture_id}


def test_single_bankruptcy_severity_depends_on_timing(session, world):
    failed = _bankrupt(world, "0456789012", "Nettoyage Ancien SRL", date(2024, 5, 6))
    successor = world.employer("0403170701", "Nettoyage Nouveau SRL", start_date=date(2024, 4, 1))
    old_firm = world.employer("0200065765", "Holding Stable SA", start_date=date(2001, 1, 1))
    p = world.person("Marie Dubois")
    world.role(p, failed, "Gérant")
    world.role(p, successor, "Gérant")
    world.role(p, old_firm, "Administrateur")
    signals = {s.facts["active_enterprise"]["name"]: s
               for s in detect_network(session, rules=[carousel])}
    assert set(signals) == {"Nettoyage Nouveau SRL", "Holding Stable SA"}
    assert signals["Nettoyage Nouveau SRL"].severity == "high"
    assert "phoenix pattern" in signals["Nettoyage Nouveau SRL"].rationale
    assert signals["Holding Stable SA"].severity == "medium"
    assert signals["Holding Stable SA"].key != signals["Nettoyage Nouveau SRL"].key


def test_no_signal_for_directors_of_active_companies_only(session, world):
    a = world.employer("0456789012", "Alpha SA")
    b = world.employer("0403170701", "Beta SA")
    p = world.person("Piet Janssens")
    world.role(p, a, "Administrateur")
    world.role(p, b, "Administrateur")
    assert detect_network(session, rules=[carousel]) == []
    assert session.exec(select(Signal)).all() == []


def test_liquidators_auditors_and_old_or_ended_roles_do_not_count(session, world):
    failed = _bankrupt(world, "0456789012", "Failed SRL", date(2024, 5, 6))
    active = world.employer("0403170701", "Active SRL")
    curator = world.person("Maître Curateur")
    world.role(curator, failed, "Curateur")
    world.role(curator, active, "Administrateur")
    auditor = world.person("Rev Iseur")
    world.role(auditor, failed, "Commissaire")
    world.role(auditor, active, "Commissaire")
    left_early = world.person("Left Early")
    world.role(left_early, failed, "Gérant", end=date(2019, 1, 1))  # years before bankruptcy
    world.role(left_early, active, "Gérant")
    gone = world.person("Gone Away")
    world.role(gone, failed, "Gérant")
    world.role(gone, active, "Gérant", end=date(2020, 1, 1))  # no longer at the active firm
    assert detect_network(session, rules=[carousel]) == []


def test_bankrupt_only_by_label_and_liquidation_is_not_bankruptcy(session, world):
    by_label = world.employer("0456789012", "Label Only BV", juridical_situation=None,
                              juridical_situation_label="Opening faillissement")
    liquidated = world.employer("0200065765", "Vereffend BV", juridical_situation="012",
                                juridical_situation_label="Vrijwillige ontbinding – vereffening")
    active = world.employer("0403170701", "Actief BV")
    p = world.person("Els Maes")
    world.role(p, by_label, "Bestuurder")
    world.role(p, liquidated, "Bestuurder")
    world.role(p, active, "Bestuurder")
    [s] = detect_network(session, rules=[carousel])
    assert s.facts["bankruptcies"] == 1
    assert "Label Only BV" in s.rationale and "Vereffend BV" not in s.rationale
