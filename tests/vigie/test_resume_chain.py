"""Which runs a ``--resume`` continues: every interrupted run back to the last one that ended
normally — also one killed before it could link itself — but never a skipped launch, nor a run
still running in another process (its lease is live)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from scheduler.lease import Lease
from storage.db import session_scope
from storage.models import CrawlRun
from vigie.crawl import find_resume


def _add(engine, **fields) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        run = CrawlRun(spider="jobs", **fields)
        session.add(run)
        session.flush()
        return int(run.id)  # type: ignore[arg-type]


def test_chain_runs_back_to_the_last_normal_end(engine):
    _add(engine, status="finished", report={"close_reason": "finished"})
    started = "2026-11-20T03:00:00+00:00"
    first = _add(engine, status="failed", report={"crawl_started_at": started})
    # Killed during its start, before it wrote resumed_from: still part of the crawl.
    unlinked = _add(engine, status="running")
    skipped = _add(engine, status="skipped", report={"skipped": {"reason": "busy"}})
    last = _add(engine, status="running", report={"resumed_from": [first]})
    with Session(engine) as session:
        resume = find_resume(session, "jobs", last + 1)
    assert resume is not None
    assert resume.runs == (first, unlinked, last)
    assert skipped not in resume.runs
    assert resume.started_at == datetime(2026, 11, 20, 3, tzinfo=UTC)


def test_a_run_alive_in_another_process_is_not_resumed(engine):
    interrupted = _add(engine, status="failed")
    alive = _add(engine, status="running", args={"numbers": "0123456789"})
    lease = Lease(engine, "jobs", {"numbers": "0123456789"}, ttl=60)  # this process: alive
    lease.acquire()
    lease.attach(alive)
    with Session(engine) as session:
        resume = find_resume(session, "jobs", alive + 1)
    assert resume is not None and resume.runs == (interrupted,)
    lease.release()
    with Session(engine) as session:
        assert find_resume(session, "jobs", alive + 1).runs == (interrupted, alive)  # type: ignore[union-attr]


def test_nothing_to_resume_after_a_normal_end(engine):
    _add(engine, status="failed")
    done = _add(engine, status="finished", report={"close_reason": "finished"})
    _add(engine, status="skipped")
    with Session(engine) as session:
        assert find_resume(session, "jobs", done + 5) is None
