"""The scheduler under faults, with real processes, a real APScheduler and the demo web:

- a second ``vigie scheduler`` on the same database waits as a standby and takes over at once
  when the active one is SIGKILLed;
- the ``vigie scheduler`` process SIGKILLed and started again keeps its job, and the runs it
  missed meanwhile are coalesced into one run (within the grace time);
- a run missed beyond the grace time is recorded as a skipped CrawlRun saying why;
- a crawl over its time limit (the demo's slow page) is stopped (SIGTERM, then SIGKILL) and
  marked with the reason; the next run resumes it;
- the same crawl never runs twice at once: not in one scheduler (the second due run is
  recorded as skipped), not from another process (an analyst's ``vigie crawl`` with the same
  arguments is refused by the lease and recorded as skipped, naming the run that holds it).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import inspect, text
from sqlmodel import Session, col, select

from demo.server import DemoServer
from demo.world import build_world
from scheduler.lease import crawl_key, read_holder
from scheduler.service import make_scheduler, sync_jobs
from storage.db import session_scope
from storage.models import Capture, CrawlRun, Schedule
from tests import vigie_zygote as zygote
from tests.vigie_cli import run_vigie
from vigie.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VIGIE_DATA_DIR=str(settings.data_dir.resolve()),
        VIGIE_DATABASE_URL=settings.db_url,
        VIGIE_DOWNLOAD_DELAY="0",
        VIGIE_AUTOTHROTTLE="false",
        VIGIE_CONCURRENT_PER_DOMAIN="4",
        VIGIE_SECRET_KEY="test-secret-key-0123456789abcdef",
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    env.update(extra)
    return env


def _wait(what: str, check: Callable[[], Any], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _runs(engine: Any) -> list[CrawlRun]:
    with Session(engine) as session:
        return list(session.exec(select(CrawlRun).order_by(col(CrawlRun.id))).all())


def _stored_job(engine: Any, job_id: str) -> tuple[str, float] | None:
    if not inspect(engine).has_table("apscheduler_jobs"):  # created by the scheduler
        return None
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs WHERE id = :id"),
                           {"id": job_id}).first()
    return (row[0], float(row[1])) if row else None


def _scheduler(env: dict[str, str], stderr: Path | None = None) -> zygote.Child:
    """A ``vigie scheduler`` process in a session of its own (``os.killpg`` reaches it and
    the crawls it starts), forked by the test process's zygote (tests/vigie_zygote.py: the
    imports done once); its standard error to ``stderr`` (default: nowhere)."""
    return zygote.popen(["scheduler"], env, ROOT, stderr=stderr, start_new_session=True)


def _daily_at(moment: datetime) -> str:
    return f"{moment.minute} {moment.hour} * * *"


def test_scheduler_process_killed_and_restarted_runs_the_missed_crawl_once(settings, engine):
    world = build_world(seed=3, size=20)
    number = world.employers[0].enterprise_number
    due = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
    with DemoServer(world) as server:
        with session_scope(engine) as session:
            session.add(Schedule(spider="registry", cron=_daily_at(due), purpose="daily refresh",
                                 args={"base_url": server.url, "numbers": number}))
        env = _env(settings)
        first = _scheduler(env)
        try:
            registered = _wait("the job in the database", lambda: _stored_job(engine,
                                                                               "schedule-1"))
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
        # It was first due tomorrow; pretend the scheduler stayed down over four due times.
        assert registered[1] > time.time()
        # (Written straight into the job store: a scheduler in this process would run it.)
        store = SQLAlchemyJobStore(url=settings.db_url, tablename="apscheduler_jobs")
        store.start(None, "default")  # type: ignore[arg-type]
        job = store.lookup_job("schedule-1")
        assert job is not None
        job.next_run_time = due - timedelta(days=3)
        store.update_job(job)
        store.shutdown()
        assert _runs(engine) == []

        second = _scheduler(env)
        try:
            _wait("the missed run to finish",
                  lambda: [r for r in _runs(engine) if r.status not in ("running",)])
            time.sleep(2)  # room for a second run, which must not come
            after = _stored_job(engine, "schedule-1")
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(timeout=30)
    runs = _runs(engine)
    assert [(r.status, r.launched_by, r.purpose) for r in runs] == [
        ("finished", "schedule", "daily refresh")]  # four due times, one run
    assert runs[0].items_scraped == 1
    assert after is not None and after[0] == "schedule-1"
    assert after[1] > time.time() + 22 * 3600  # next: tomorrow at the scheduled minute


def test_run_missed_beyond_the_grace_time_is_recorded_as_skipped(settings, engine):
    due = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
    with session_scope(engine) as session:
        session.add(Schedule(spider="jobs", cron=_daily_at(due), purpose="nightly sweep",
                             args={"base_url": "http://127.0.0.1:9"}))
    scheduler = make_scheduler(settings.db_url, blocking=False, misfire_grace=60)
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, settings.db_url, str(settings.data_dir.resolve()))
        scheduler.modify_job("schedule-1", next_run_time=due)  # down since two hours
        scheduler.resume()
        (run,) = _wait("the skipped run", lambda: _runs(engine), timeout=30)
        next_run = scheduler.get_job("schedule-1").next_run_time
    finally:
        scheduler.shutdown(wait=True)
    assert run.status == "skipped" and run.launched_by == "schedule"
    assert run.args == {"base_url": "http://127.0.0.1:9"} and run.purpose == "nightly sweep"
    skipped = run.report["skipped"]
    assert skipped["grace_seconds"] == 60 and 7000 < skipped["late_seconds"] < 7400
    assert datetime.fromisoformat(skipped["due_at"]) == due
    assert "beyond the grace time of 60 s" in run.report["notes"][0]
    assert next_run > datetime.now(UTC) + timedelta(hours=21)  # tomorrow, not now
    with Session(engine) as session:
        assert session.exec(select(Capture)).first() is None  # nothing was fetched


def _refused_by_hand(settings: Settings, args: dict[str, str]) -> Any:
    """``vigie crawl jobs`` with the scheduled crawl's arguments, launched by hand while the
    scheduler's child holds the crawl's lease: through the CLI's entry point in this process
    (a process other than the child; no Python start-up to wait for). Refused before any
    fetch, so no reactor starts here; were it not refused, the crawl fails this test instead
    of running in the test process."""

    def not_refused(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the lease let a second instance of the running crawl start")

    with mock.patch("vigie.crawl._crawl", not_refused):
        return run_vigie(["crawl", "jobs", "--purpose", "by hand", "--no-progress",
                          *[f"-a{k}={v}" for k, v in args.items()]],
                         _env(settings, COLUMNS="400"))


def test_slow_crawl_runs_once_is_killed_at_its_time_limit_and_resumed(settings, engine,
                                                                     monkeypatch,
                                                                     zygote_children):
    # The first limit leaves time for the child's start-up, its four pages and the launch by
    # hand; the second for the next child's start-up and its resume (the slow page then
    # holds both until they are killed). A child forked by the zygote has its four pages
    # about a second after it starts (idle machine): both limits are several times that.
    limit, next_limit = 12, 8
    # The scheduler's crawl children inherit this: no delay, and the slow page must not
    # hold the only connection to the board.
    for name, value in (("VIGIE_DOWNLOAD_DELAY", "0"), ("VIGIE_AUTOTHROTTLE", "false"),
                        ("VIGIE_CONCURRENT_PER_DOMAIN", "4")):
        monkeypatch.setenv(name, value)
    with DemoServer(build_world(seed=3, size=10)) as server:
        args = {
            "base_url": server.url,
            "start_url": f"{server.url}/trap/search?t=ad:one&t=ad:two",
            "sitemap_url": f"{server.url}/trap/slow?s=50",  # answers after 50 s
        }
        with session_scope(engine) as session:
            session.add(Schedule(spider="jobs", cron="0 3 * * *", purpose="slow board",
                                 args=args, time_limit=limit))
        scheduler = make_scheduler(settings.db_url, blocking=False)
        scheduler.start()
        key = crawl_key("jobs", args)
        try:
            sync_jobs(scheduler, settings.db_url, str(settings.data_dir.resolve()), kill_grace=2)
            scheduler.modify_job("schedule-1", next_run_time=datetime.now(UTC))
            holder = _wait("the crawl's lease", lambda: (h := read_holder(engine, key))
                           and h.run_id is not None and h)
            first_id = holder.run_id
            # The same crawl launched by hand while it runs: refused, recorded as skipped.
            manual = _refused_by_hand(settings, args)
            # Due again in this scheduler while it runs: one instance only, recorded.
            scheduler.modify_job("schedule-1", next_run_time=datetime.now(UTC))
            killed = _wait("the time limit", lambda: [
                r for r in _runs(engine) if r.id == first_id and r.status != "running"
            ], timeout=limit + 60)[0]
            lease_after_kill = read_holder(engine, key)
            with Session(engine) as session:
                archived = session.exec(select(Capture.url).where(
                    Capture.run_id == first_id)).all()
            # The next run continues the killed crawl (and meets the slow page again).
            with session_scope(engine) as session:
                session.get(Schedule, 1).time_limit = next_limit  # type: ignore[union-attr]
            scheduler.modify_job("schedule-1", next_run_time=datetime.now(UTC))
            second = _wait("the next run", lambda: [
                r for r in _runs(engine)
                if r.id > first_id and r.launched_by == "schedule" and r.status == "failed"
                and "killed" in (r.report or {})
            ], timeout=next_limit + 90)[0]
        finally:
            scheduler.shutdown(wait=True)
    assert manual.returncode == 75, manual.stdout + manual.stderr
    assert f"run {first_id} by" in manual.stdout
    runs = {r.id: r for r in _runs(engine)}
    refused = [r for r in runs.values() if r.status == "skipped"]
    by_hand = [r for r in refused if r.launched_by == "cli"]
    by_scheduler = [r for r in refused if r.launched_by == "schedule"]
    assert len(by_hand) == 1 and by_hand[0].report["skipped"]["held_by_run"] == first_id
    assert len(by_scheduler) == 1
    assert "previous run of this schedule was still going" in by_scheduler[0].report["notes"][0]

    assert killed.status == "failed"
    assert killed.report["notes"][0] == f"killed: exceeded time limit of {limit} s"
    assert killed.report["killed"]["time_limit"] == limit
    assert killed.report["killed"]["signal"] in ("SIGTERM", "SIGKILL")
    assert lease_after_kill is None  # released: the next run need not wait for its expiry
    assert sorted(u.split("/", 3)[-1] for u in archived) == [
        "robots.txt", "trap/ad/one", "trap/ad/two", "trap/search?t=ad:one&t=ad:two"]

    assert second.report["resumed_from"] == [first_id]
    assert second.report["notes"][0] == f"killed: exceeded time limit of {next_limit} s"
    with Session(engine) as session:
        again = session.exec(select(Capture).where(Capture.run_id == second.id)).all()
    assert again == []  # the four pages were replayed from the evidence, not fetched again


def _pid_of(holder: Any) -> int | None:
    return int(holder.owner.split(":")[1]) if holder is not None else None


def test_second_scheduler_waits_as_standby_and_takes_over_when_the_first_dies(
    settings, engine, tmp_path
):
    env = _env(settings, VIGIE_CRAWL_LEASE_SECONDS="3")
    key = crawl_key("scheduler", {})
    logs = tmp_path / "second.log"

    first = _scheduler(env)
    logs.touch()  # read before the second scheduler opens it: empty
    second = None
    try:
        _wait("the first scheduler's lease",
              lambda: _pid_of(read_holder(engine, key)) == first.pid)
        second = _scheduler(env, stderr=logs)
        _wait("the second scheduler to stand by",
              lambda: "standby: another scheduler is active" in logs.read_text())
        time.sleep(2)  # several of its attempts, each refused
        assert _pid_of(read_holder(engine, key)) == first.pid
        _wait("the first scheduler's jobs", lambda: _stored_job(engine, "vigie-retention"))
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        _wait("the standby to take over",
              lambda: _pid_of(read_holder(engine, key)) == second.pid, timeout=30)
        assert second.poll() is None
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
