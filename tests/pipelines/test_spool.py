"""The outage tools on real SQLite: what counts as "unavailable", retries with back-off, the
spool file, and a resumed crawl replaying what an interrupted run spooled (idempotently)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from pipelines.items import NormalizePipeline, PersistPipeline, ValidatePipeline
from pipelines.outage import (
    DatabaseUnavailable,
    RetryPolicy,
    Spool,
    is_unavailable,
    retry_unavailable,
)
from storage.db import make_engine, session_scope
from storage.models import Match, Record, Signal, SignalEvidence
from tests.pipelines.test_persist import REGISTER, _capture, _item


def _db_file(settings) -> Path:  # type: ignore[no-untyped-def]
    return Path(settings.db_url.split("///", 1)[1])


def _insert_one(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        session.execute(text("INSERT INTO probe (k) VALUES ('one')"))


@pytest.mark.sqlite_only("holds SQLite's file lock (BEGIN EXCLUSIVE); PostgreSQL's outage is "
                        "a restart: tests/pipelines/test_write_faults.py")
def test_locked_database_is_unavailable_and_retried_until_it_answers(settings) -> None:
    engine = make_engine(settings.db_url, busy_timeout=0.05)
    with session_scope(engine) as session:
        session.execute(text("CREATE TABLE probe (k TEXT PRIMARY KEY)"))
    locker = sqlite3.connect(_db_file(settings), isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseUnavailable, match="database is locked"):
            retry_unavailable(lambda: _insert_one(engine), RetryPolicy(0.05, 0.1, limit=0.2))
        waits: list[float] = []
        threading.Timer(0.4, lambda: locker.execute("COMMIT")).start()
        _, retries = retry_unavailable(
            lambda: _insert_one(engine), RetryPolicy(0.05, 0.2, limit=10), waits.append
        )
    finally:
        if locker.in_transaction:
            locker.execute("COMMIT")
        locker.close()
    assert retries >= 2 and waits[:2] == [0.05, 0.1]  # back-off doubles
    with Session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM probe")).scalar() == 1
    # A constraint violation is a bug, not an outage: never retried.
    try:
        _insert_one(engine)
    except IntegrityError as exc:
        assert not is_unavailable(exc)
    else:  # pragma: no cover - the primary key must refuse the second row
        raise AssertionError("duplicate key was accepted")
    engine.dispose()


def test_spool_keeps_order_and_leaves_out_a_torn_last_line(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool" / "run-3.jsonl")
    spool.append([{"n": 1, "url": "http://x/1"}, {"n": 2, "url": "http://x/2"}])
    spool.append([{"n": 3, "url": "http://x/3"}])
    with open(spool.path, "a", encoding="utf-8") as fh:
        fh.write('{"n": 4, "url": "htt')  # killed while spooling: never acknowledged
    assert [e["n"] for e in spool.load()] == [1, 2, 3]
    spool.clear()
    assert spool.load() == [] and not spool.path.exists()


def _counts(engine) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            int(session.exec(select(func.count()).select_from(model)).one())
            for model in (Record, Match, Signal, SignalEvidence)
        )


def test_resumed_crawl_replays_the_spool_of_the_interrupted_run(settings, engine) -> None:
    from pipelines.register_sync import import_entries

    with Session(engine) as session:
        import_entries(session, REGISTER)
        session.commit()
    capture_id = _capture(settings, engine, "http://127.0.0.1:9/jobs/ad/7")
    item = NormalizePipeline().process_item(
        ValidatePipeline().process_item(
            _item(capture_id, employer_name="Logistiek Vorst", description="Cash, logement fourni")
        )
    )
    spool = Spool(settings.data_dir / "spool" / "run-1.jsonl")
    spool.append([item, item])  # the same item twice: stored once
    pipeline = PersistPipeline(engine, replay=[spool])
    pipeline.open_spider()
    assert not spool.path.exists()
    first = _counts(engine)
    assert first[0] == 1 and first[1] == 1 and first[2] >= 1
    with Session(engine) as session:
        record = session.exec(select(Record)).one()
        assert record.title == "Chauffeur C/CE" and record.capture_id == capture_id
    # Replaying the same spool again (killed after the replay, before the file was removed)
    # writes nothing new.
    spool.append([item])
    PersistPipeline(engine, replay=[spool]).open_spider()
    assert _counts(engine) == first
