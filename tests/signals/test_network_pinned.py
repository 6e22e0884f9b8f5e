"""The close-time network pass, pinned: on a world where every network rule fires (with noise
around it, :mod:`tests.signals.network_world`), :func:`signals.engine.detect_network` stores
exactly the signals — rule, subject, severity, title, rationale, facts, employer, district,
evidence links in order — that the implementation reading the whole register and every record
through the ORM stored (``data/network_pinned.json``, written by that implementation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from signals.engine import detect_network
from storage.models import Signal, SignalEvidence
from tests.signals.network_world import build_network_world

PINNED = Path(__file__).parent / "data" / "network_pinned.json"


def stored_signals(session: Session) -> list[dict[str, Any]]:
    """Every stored signal as plain JSON data, in key order, with its evidence links."""
    out = []
    for s in session.exec(select(Signal).order_by(col(Signal.key))):
        links = session.exec(select(SignalEvidence.record_id, SignalEvidence.capture_id)
                             .where(SignalEvidence.signal_id == s.id)
                             .order_by(col(SignalEvidence.id))).all()
        out.append({
            "key": s.key, "rule": s.rule, "subject_type": s.subject_type,
            "subject_key": s.subject_key, "severity": s.severity, "title": s.title,
            "rationale": s.rationale, "facts": s.facts, "employer_id": s.employer_id,
            "district": s.district, "occurrences": s.occurrences, "rule_version": s.rule_version,
            "evidence": [list(link) for link in links],
        })
    return json.loads(json.dumps(out, default=str))


def test_the_close_pass_raises_the_pinned_signals(session: Session) -> None:
    build_network_world(session)
    first = detect_network(session)
    got = stored_signals(session)
    want = json.loads(PINNED.read_text(encoding="utf-8"))
    assert {s["rule"] for s in got} == {"carousel", "shared_contact_bankrupt", "domiciliation",
                                        "recent_enterprise_many_ads", "reposted_ad"}
    assert [(s["rule"], s["subject_key"]) for s in got] == [
        (s["rule"], s["subject_key"]) for s in want]
    for mine, pinned in zip(got, want, strict=True):
        assert mine == pinned, mine["rule"]
    assert len(first) == len(want)
    detect_network(session)  # a second pass finds the same, links nothing new
    assert stored_signals(session) == want


def test_one_pass_finds_the_records_each_address_look_up_finds(session: Session,
                                                               monkeypatch: Any) -> None:
    """``storage.graph.records_showing`` (one scan for every phone, e-mail and website, which
    the carousel rule uses) finds, for each, the records the look-up of that one resource
    finds — also when the scan is read in chunks smaller than the records."""
    import storage.graph as graph
    from storage.models import Record

    build_network_world(session)
    wanted = {(r.kind, r.key) for rec in session.exec(select(Record))
              for r in graph.record_resources(rec) if r.kind in ("phone", "email", "website")}
    assert {kind for kind, _ in wanted} == {"phone", "email", "website"}
    one_by_one = {k: sorted((r.id, e) for r, e in graph._records_with(session, *k, 25))
                  for k in wanted}
    assert sum(map(len, one_by_one.values())) >= 2  # some are shown by matched records
    assert any(one_by_one[k] for k in wanted if k[0] == "phone")
    for chunk in (graph.CHUNK, 1):
        monkeypatch.setattr(graph, "CHUNK", chunk)
        at_once = graph.records_showing(
            session, [*wanted, ("phone", "+3220000000"), ("address", "1000|rue x 1")], 25)
        assert set(at_once) == wanted | {("phone", "+3220000000")}  # addresses: not here
        assert at_once.pop(("phone", "+3220000000")) == []  # a phone no record shows
        assert {k: sorted((r.id, e) for r, e in v) for k, v in at_once.items()} == one_by_one


def test_one_pass_finds_the_employers_each_register_look_up_finds(session: Session,
                                                                  monkeypatch: Any) -> None:
    """``storage.graph.employers_showing`` (one scan of the register for every phone, e-mail
    and website, which the carousel rule uses) gives ``employers_sharing`` the register's
    employers its own query per resource finds — also when read in chunks of one."""
    import storage.graph as graph
    from storage.models import Employer, Record

    build_network_world(session)
    wanted = {(r.kind, r.key) for e in session.exec(select(Employer))
              for r in graph.employer_own_resources(e, []) if r.kind != "address"}
    wanted |= {(r.kind, r.key) for rec in session.exec(select(Record))
               for r in graph.record_resources(rec) if r.kind != "address"}
    assert {kind for kind, _ in wanted} == {"phone", "email", "website"}
    one_by_one = {k: graph.employers_sharing(session, *k, limit=25, records=[]) for k in wanted}
    assert any(len(v) >= 2 for v in one_by_one.values())  # one shared in the register
    for chunk in (graph.CHUNK, 1):
        monkeypatch.setattr(graph, "CHUNK", chunk)
        at_once = graph.employers_showing(
            session, [*wanted, ("phone", "+3220000000"), ("address", "1000|rue x 1")], 25)
        assert set(at_once) == wanted | {("phone", "+3220000000")}  # addresses: not here
        assert at_once.pop(("phone", "+3220000000")) == []
        assert {k: graph.employers_sharing(session, *k, limit=25, records=[], register=v)
                for k, v in at_once.items()} == one_by_one
