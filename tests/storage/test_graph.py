"""The neighbourhood graph on a real migrated SQLite database holding a carousel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from signals.engine import detect_network
from signals.rules import carousel
from storage.graph import GraphError, build_graph, canonical, seat_key
from storage.queries import NotFoundError
from tests.storage.carousel_world import PHONE, Carousel, build_carousel


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s
        s.rollback()


@pytest.fixture
def world(session: Session) -> Carousel:
    return build_carousel(session)


def _edges(graph, kind):  # noqa: ANN001, ANN202
    return {(e.source, e.target): e for e in graph.edges if e.kind == kind}


def test_graph_around_the_active_enterprise(session: Session, world: Carousel) -> None:
    detect_network(session, rules=[carousel])
    g = build_graph(session, employer_id=world.gamma, depth=2, describe=carousel.employer_flags)
    assert g.center == f"employer:{world.gamma}" and not g.truncated and g.notes == []
    kinds = {n.id: n.kind for n in g.nodes.values()}
    assert {f"employer:{i}" for i in (world.alpha, world.beta, world.gamma, world.delta)} <= set(
        kinds)
    assert kinds[f"person:{world.boss}"] == "person"
    assert kinds[f"phone:{PHONE}"] == "phone" and kinds[f"record:{world.ad}"] == "record"
    alpha = g.nodes[f"employer:{world.alpha}"]
    assert alpha.label == "Bouw Alpha BV" and alpha.level == 1
    assert (alpha.attrs["bankrupt"], alpha.attrs["struck_off"]) == (True, True)
    assert g.nodes[f"employer:{world.beta}"].attrs["bankrupt"] is True
    gamma = g.nodes[f"employer:{world.gamma}"]
    assert (gamma.attrs["bankrupt"], gamma.attrs["active"], gamma.level) == (False, True, 0)
    assert gamma.attrs["signal_count"] == 1  # the carousel signal on the active enterprise
    assert g.nodes[f"person:{world.boss}"].attrs["signal_count"] == 1
    assert alpha.attrs["signal_count"] == 0

    directors = _edges(g, "director_of")
    boss = f"person:{world.boss}"
    to_alpha = directors[(boss, f"employer:{world.alpha}")]
    assert (str(to_alpha.start), str(to_alpha.end)) == ("2018-05-01", "2022-02-01")
    assert to_alpha.origin["type"] == "register_page"
    to_beta = directors[(boss, f"employer:{world.beta}")]
    assert to_beta.origin == {"type": "gazette", "record_id": world.gazette,
                              "capture_id": to_beta.origin["capture_id"],
                              "function": "Administrateur"}
    phones = _edges(g, "uses_phone")
    assert phones[(f"employer:{world.alpha}", f"phone:{PHONE}")].origin["type"] == "register_page"
    via_ad = phones[(f"employer:{world.gamma}", f"phone:{PHONE}")].origin
    assert via_ad == {"type": "ad", "record_id": world.ad, "capture_id": world.ad_capture}
    ad = _edges(g, "advertised_by")[(f"record:{world.ad}", f"employer:{world.gamma}")]
    assert (str(ad.start), str(ad.end)) == ("2024-01-05", "2024-02-05")
    seats = _edges(g, "seat_at")  # "Rue de la Loi 16" and "rue de la loi, 16" are one seat
    assert {s for s, _ in seats} == {f"employer:{world.gamma}", f"employer:{world.delta}"}

    data = g.to_dict()
    assert data["center"] == g.center and len(data["nodes"]) == len(g.nodes)
    assert {"source", "target", "kind", "start", "end", "origin"} == set(data["edges"][0])
    assert next(n for n in data["nodes"] if n["id"] == alpha.id)["attrs"][
        "juridical_situation_date"] == "2022-03-01"


def test_depth_counts_enterprise_steps(session: Session, world: Carousel) -> None:
    one = build_graph(session, employer_id=world.alpha, depth=1)
    # Alpha → (boss, phone) → Beta, Gamma at level 1; Delta shares only Gamma's seat: level 2
    assert f"employer:{world.gamma}" in one.nodes and f"employer:{world.delta}" not in one.nodes
    assert f"address:{seat_key('Rue de la Loi 16', '1000')}" not in one.nodes
    two = build_graph(session, employer_id=world.alpha, depth=2)
    assert two.nodes[f"employer:{world.delta}"].level == 2


def test_person_centre_and_truncation(session: Session, world: Carousel) -> None:
    g = build_graph(session, person_id=world.boss, depth=1)
    assert g.center == f"person:{world.boss}"
    assert {g.nodes[f"employer:{i}"].level for i in (world.alpha, world.beta, world.gamma)} == {0}
    small = build_graph(session, employer_id=world.gamma, depth=3, max_nodes=4)
    assert small.truncated and len(small.nodes) == 4 and small.dropped > 0
    assert small.notes and "cap of 4 nodes" in small.notes[0]
    assert all(e.source in small.nodes and e.target in small.nodes for e in small.edges)


def test_bad_requests(session: Session, world: Carousel) -> None:
    with pytest.raises(GraphError):
        build_graph(session)
    with pytest.raises(GraphError):
        build_graph(session, employer_id=world.gamma, depth=4)
    with pytest.raises(NotFoundError):
        build_graph(session, employer_id=999_999)
    with pytest.raises(NotFoundError):
        build_graph(session, person_id=999_999)


def test_canonical_forms() -> None:
    assert canonical("phone", "02 123 45 67") == PHONE
    assert canonical("phone", "0032 2 123 45 67") == PHONE
    assert canonical("phone", "12") is None
    assert canonical("email", "mailto:Info@Bouw.BE") == "info@bouw.be"
    assert canonical("email", "not an email") is None
    assert canonical("website", "https://www.Bouw-Gamma.be/jobs?x=1") == "bouw-gamma.be"
    with pytest.raises(GraphError):
        canonical("fax", "02")


def test_matched_records_limit_and_negative_judgements_in_sql(session: Session,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """``matched_records`` (newest first, ``limit`` per employer, minus the pairs a human
    judged negative) gives what reading every match and filtering them in Python gives — with
    ties on the time, possible matches, and a negative verdict on another employer."""
    from datetime import UTC, datetime, timedelta

    import storage.graph as graph
    from storage.models import Capture, Employer, Judgement, Match, Record

    cap = Capture(url="http://x/", final_url="http://x/", sha256="0" * 64, warc_file="w",
                  warc_offset=0, warc_length=1,
                  status=200, content_type="text/html", fetched_at=datetime(2024, 1, 1, tzinfo=UTC))
    session.add(cap)
    session.flush()
    employers = [Employer(name=f"E{i}") for i in range(4)]
    session.add_all(employers)
    session.flush()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    records = [Record(kind="job_ad", source="jobs", url=f"http://x/{i}", capture_id=cap.id,
                      fingerprint=f"fp{i}", last_seen=start + timedelta(hours=i % 7))
               for i in range(40)]
    session.add_all(records)
    session.flush()
    for i, record in enumerate(records):
        for e in employers[: 1 + i % 4]:
            session.add(Match(record_id=record.id, employer_id=e.id, score=0.9, method="name",
                              outcome="possible" if (i + e.id) % 5 == 0 else "match"))
    for i in range(0, 40, 6):  # negative verdicts on employer 0; one unsure, one on another
        session.add(Judgement(record_fingerprint=f"fp{i}", employer_id=employers[0].id,
                              verdict="negative", user="rita"))
    session.add(Judgement(record_fingerprint="fp1", employer_id=employers[0].id,
                          verdict="unsure", user="rita"))
    session.add(Judgement(record_fingerprint="fp3", employer_id=employers[1].id,
                          verdict="negative", user="rita"))
    session.flush()

    def reference(limit: int | None) -> dict[int, list[int]]:
        negatives = {(j.record_fingerprint, j.employer_id) for j in session.exec(
            select(Judgement).where(Judgement.verdict == "negative"))}
        out: dict[int, list[int]] = {}
        for m, r in session.exec(select(Match, Record).join(Record, Record.id == Match.record_id)
                                 .where(Match.outcome == "match")):
            if (r.fingerprint, m.employer_id) not in negatives:
                out.setdefault(m.employer_id, []).append((r.last_seen, r.id))
        return {e: [i for _, i in sorted(v, key=lambda p: (-p[0].timestamp(), p[1]))][:limit]
                for e, v in out.items()}

    ids = [e.id for e in employers]
    for chunk in (graph.CHUNK, 1):
        monkeypatch.setattr(graph, "CHUNK", chunk)
        for limit in (None, 1, 3, 8):
            got = graph.matched_records(session, ids, limit=limit)
            assert {e: [r.id for r in v] for e, v in got.items()} == reference(limit)
    # employer 0: 40 records, 8 only possible, 7 judged negative, one (fp24) both
    assert len(graph.matched_records(session, ids, limit=None)[employers[0].id]) == 40 - 8 - 7 + 1
