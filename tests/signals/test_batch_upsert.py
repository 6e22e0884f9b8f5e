"""``upsert_signals`` (a write batch's findings at once) leaves exactly the rows that
``upsert_signal`` leaves when called on each finding in turn: same signals, same ids in the
same order, same evidence links, occurrences, dates and human status; repeated findings inside
one batch and findings whose signals are already stored included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from signals.base import Finding
from signals.engine import finding_key, upsert_signal, upsert_signals
from storage.models import Signal, SignalEvidence, SignalSector

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
COMPARED = ("key", "rule", "severity", "title", "rationale", "subject_type", "subject_key",
            "employer_id", "district", "status", "facts", "rule_version", "occurrences",
            "assignee")


def _finding(rule: str, subject: str, evidence: list[tuple[int | None, int | None]],
             minutes: int, **kw: Any) -> Finding:
    return Finding(rule=rule, severity=kw.pop("severity", "medium"), title=f"{rule} {subject}",
                   rationale=kw.pop("rationale", f"{rule} on {subject}"),
                   subject_type=kw.pop("subject_type", "employer"), subject_key=subject,
                   evidence=evidence, seen_at=T0 + timedelta(minutes=minutes), **kw)


def _snapshot(session: Session) -> dict[str, Any]:
    """Every signal (by key, with the rank of its id), its links (in id order) and sectors."""
    signals = session.exec(select(Signal).order_by(col(Signal.id))).all()
    key_of = {s.id: s.key for s in signals}
    links = session.exec(select(SignalEvidence).order_by(col(SignalEvidence.id))).all()
    sectors = session.exec(select(SignalSector)).all()
    return {
        "signals": [
            {**{c: getattr(s, c) for c in COMPARED},
             "first_seen": s.first_seen.replace(tzinfo=None),
             "last_seen": s.last_seen.replace(tzinfo=None)}
            for s in signals
        ],
        "links": [(key_of[x.signal_id], x.record_id, x.capture_id) for x in links],
        "sectors": sorted((key_of[x.signal_id], x.section) for x in sectors),
    }


def _stored_before(world) -> tuple[dict[str, int], list[Finding]]:  # type: ignore[no-untyped-def]
    """A register with two employers and four ads; two signals already stored (one confirmed
    by a human, with a link), as an earlier crawl leaves them. Returns ids and the findings
    of the new batch."""
    emp = world.employer("0456789012", "Car Wash Express SRL", nace_codes=["45203"])
    other = world.employer("0403170701", "Nettoyage Plus SRL", nace_codes=["81210"])
    ads = [world.ad(f"Laveur {i}", employer_name="Car Wash Express") for i in range(4)]
    r = [(a.id, a.capture_id) for a in ads]
    earlier = [
        _finding("unregistered_employer", emp.enterprise_number, [r[0]], 0,
                 employer_id=emp.id, district="brussels"),
        _finding("exploitation_wording", f"record:{ads[1].id}", [r[1]], 5,
                 subject_type="record", severity="high"),
    ]
    for finding in earlier:
        upsert_signal(world.session, finding)
    confirmed = world.session.exec(
        select(Signal).where(Signal.key == finding_key(earlier[1]))).one()
    confirmed.status = "confirmed"
    world.session.add(confirmed)
    world.session.commit()
    support = (None, emp.capture_id)
    batch = [
        # already stored: a new sighting (+1), the old one again (nothing), a support link
        _finding("unregistered_employer", emp.enterprise_number, [r[1]], 20,
                 employer_id=emp.id, district="brussels", support=[support]),
        _finding("unregistered_employer", emp.enterprise_number, [r[0]], 1,
                 employer_id=emp.id, district="brussels", support=[support]),
        # already stored and confirmed: refreshed, status kept, earlier first_seen
        _finding("exploitation_wording", f"record:{ads[1].id}", [r[1]], -30,
                 subject_type="record", severity="low", rationale="reworded"),
        # new, then found again in the same batch with new and old evidence
        _finding("sector_risk", other.enterprise_number, [r[2]], 10, employer_id=other.id,
                 severity="low"),
        _finding("sector_risk", other.enterprise_number, [r[2], r[3]], 12,
                 employer_id=other.id, severity="high", facts={"n": 2}),
        _finding("sector_risk", other.enterprise_number, [r[3]], 11, employer_id=emp.id,
                 district="liege"),
        # new with no evidence but the (None, None) placeholder, and a new one without employer
        _finding("foreign_firm", "PL5261040828", [(None, None)], 3),
        _finding("carousel", "person:ali-demir", [r[0], r[0]], 4, subject_type="person",
                 discriminator=emp.enterprise_number),
        # the very first finding once more, at the end of the batch
        _finding("unregistered_employer", emp.enterprise_number, [r[2]], 30,
                 employer_id=emp.id, district="brussels"),
    ]
    return {"ads": len(ads)}, batch


def test_a_batch_leaves_the_rows_of_one_by_one_upserts(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _, batch = _stored_before(world)
    session = world.session
    before = _snapshot(session)

    one_by_one = [upsert_signal(session, f) for f in batch]
    expected = _snapshot(session)
    expected_ids = [s.id for s in one_by_one]
    session.rollback()
    assert _snapshot(session) == before  # back to the stored state

    together = upsert_signals(session, batch)
    got = _snapshot(session)
    assert got == expected
    # the same signal per finding, and the new signals got ids in the same order
    assert [s.key for s in together] == [finding_key(f) for f in batch]
    rank = {i: n for n, i in enumerate(sorted(set(expected_ids)))}
    rank_got = {i: n for n, i in enumerate(sorted({s.id for s in together}))}
    assert [rank[i] for i in expected_ids] == [rank_got[s.id] for s in together]
    # concrete values, so that both paths being wrong the same way would show
    by_key = {s["key"]: s for s in got["signals"]}
    unreg = by_key[finding_key(batch[0])]
    assert unreg["occurrences"] == 3 and unreg["last_seen"] == (T0 + timedelta(minutes=30)
                                                                 ).replace(tzinfo=None)
    wording = by_key[finding_key(batch[2])]
    assert (wording["status"], wording["severity"], wording["occurrences"]) == (
        "confirmed", "low", 1)
    assert wording["first_seen"] == (T0 - timedelta(minutes=30)).replace(tzinfo=None)
    sector = by_key[finding_key(batch[3])]
    assert (sector["occurrences"], sector["severity"], sector["district"]) == (2, "medium", "liege")
    assert sector["first_seen"] == (T0 + timedelta(minutes=10)).replace(tzinfo=None)
    assert len(got["links"]) == len(set(got["links"]))
    assert sum(1 for k, *_ in got["links"] if k == finding_key(batch[6])) == 0
    assert (finding_key(batch[3]), "G") in got["sectors"]  # employer changed to the car wash


def test_a_conflicting_insert_falls_back_to_one_by_one(engine: Engine, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Another writer stored one of the batch's new keys after the batch looked: the batch
    rolls back to its savepoint and goes finding by finding, absorbing the conflict."""
    _, batch = _stored_before(world)
    session = world.session
    with Session(engine) as other:  # the other writer
        upsert_signal(other, batch[6])
        other.commit()
    from signals import engine as signal_engine

    real_select = signal_engine.select
    calls = {"n": 0}

    def blind_first_lookup(*args: Any) -> Any:  # the batch's look-up misses the new row
        query = real_select(*args)
        calls["n"] += 1
        return query.where(col(Signal.id) < 0) if calls["n"] == 1 else query

    monkeypatch.setattr(signal_engine, "select", blind_first_lookup)
    out = upsert_signals(session, batch)
    monkeypatch.undo()
    session.commit()
    assert calls["n"] > 1
    assert [s.key for s in out] == [finding_key(f) for f in batch]
    assert session.exec(select(func.count()).select_from(Signal)).one() == 5
    foreign = session.exec(select(Signal).where(Signal.key == finding_key(batch[6]))).one()
    assert foreign.occurrences == 1


def test_a_flush_of_many_signals_reserves_its_change_sequence_at_once(engine: Engine) -> None:
    """The change feed's counter is taken once per flush, not per signal; values stay unique
    and increasing across flushes, and an update moves a signal past every earlier one."""
    from sqlalchemy import event

    counter_updates: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE CHANGESEQUENCE"):
            counter_updates.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as session:
            first = [_finding("foreign_firm", f"F{i}", [], i) for i in range(40)]
            upsert_signals(session, first)
            session.commit()
            assert len(counter_updates) == 1
            seqs = [s.changed_seq for s in session.exec(select(Signal).order_by(col(Signal.id)))]
            assert seqs == list(range(seqs[0], seqs[0] + 40))
            counter_updates.clear()
            upsert_signals(session, [_finding("foreign_firm", f"G{i}", [], 50 + i)
                                     for i in range(5)])
            session.commit()
            moved = session.exec(select(Signal).order_by(col(Signal.id))).first()
            assert moved is not None
            moved.assignee = "rita"
            session.add(moved)
            session.commit()
            assert len(counter_updates) == 2
            after = [s.changed_seq for s in session.exec(select(Signal).order_by(col(Signal.id)))]
            assert len(set(after)) == 45 and after[0] == max(after)
            assert after[40:] == list(range(seqs[-1] + 1, seqs[-1] + 6))
    finally:
        event.remove(engine, "before_cursor_execute", count)
