"""Runs one scheduled crawl in its own process and records the outcome.

A subprocess per crawl: Twisted's reactor cannot restart in one process, a crashed crawl cannot
take the scheduler down, and a crawl over its time limit can be killed. The child is an
ordinary ``vigie crawl … --resume``: it takes the crawl's lease (:mod:`scheduler.lease`) and
records itself as ``skipped`` when the same crawl already runs elsewhere; it continues the
schedule's previous crawl when that one was interrupted (killed, over its time limit).

:func:`run_scheduled_crawl` is the APScheduler job; :func:`launch_crawl` is the one place that
starts a due crawl (where a distributed set-up would enqueue it instead).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from scheduler.lease import crawl_key, release_for_pid
from storage.db import make_engine, session_scope
from storage.models import CrawlRun, Schedule, Source, utcnow

log = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT = 6 * 3600
KILL_GRACE = 30  # seconds between SIGTERM (graceful stop) and SIGKILL


def crawl_command(
    spider: str,
    purpose: str,
    args: dict[str, str],
    launched_by: str = "schedule",
    case_ref: str | None = None,
    progress: bool = False,
    resume: bool = False,
    enqueue: bool = False,
) -> list[str]:
    """The argument vector of a ``vigie crawl`` child process (no shell involved);
    ``enqueue``: launch a distributed crawl into Redis for ``vigie worker`` processes."""
    cmd = [
        sys.executable,
        "-m",
        "vigie",
        "crawl",
        spider,
        "--purpose",
        purpose,
        "--launched-by",
        launched_by,
        "--progress" if progress else "--no-progress",
    ]
    if resume:
        cmd.append("--resume")
    if case_ref:
        cmd += ["--case", case_ref]
    if enqueue:
        cmd.append("--enqueue")
    for key, value in sorted(args.items()):
        cmd += ["-a", f"{key}={value}"]
    return cmd


@dataclass(frozen=True)
class DueCrawl:
    """A schedule whose time has come: what to crawl, why, and for how long at most."""

    schedule_id: int
    spider: str
    purpose: str
    args: dict[str, str] = field(default_factory=dict)
    time_limit: int = DEFAULT_TIME_LIMIT

    def command(self, enqueue: bool = False) -> list[str]:
        """Run here (continuing the schedule's interrupted crawl, if any), or enqueue."""
        return crawl_command(self.spider, self.purpose, self.args, resume=not enqueue,
                             enqueue=enqueue)


def load_due(engine: Engine, schedule_id: int, default_limit: int) -> DueCrawl | None:
    """The schedule as a due crawl; ``None`` if it was deleted or disabled since."""
    with Session(engine) as session:
        schedule = session.get(Schedule, schedule_id)
        if schedule is None or not schedule.enabled:
            return None
        return DueCrawl(
            schedule_id=schedule_id,
            spider=schedule.spider,
            purpose=schedule.purpose or "scheduled crawl",
            args=dict(schedule.args or {}),
            time_limit=schedule.time_limit or default_limit,
        )


def run_scheduled_crawl(
    schedule_id: int,
    db_url: str,
    data_dir: str,
    time_limit: int = DEFAULT_TIME_LIMIT,
    kill_grace: int = KILL_GRACE,
    redis_url: str | None = None,
) -> int:
    """Job function called by APScheduler (by reference, so it survives restarts).
    ``time_limit`` is the installation default; a schedule's own limit wins.

    With ``redis_url`` (``VIGIE_REDIS_URL``) the due crawl is enqueued for the workers
    (``vigie crawl --enqueue``, which returns at once) instead of run here."""
    engine = make_engine(db_url)
    try:
        due = load_due(engine, schedule_id, time_limit)
        if due is None:
            log.warning("schedule %s is gone or disabled; nothing run", schedule_id)
            return 0
        return launch_crawl(engine, due, db_url, data_dir, kill_grace, redis_url)
    finally:
        engine.dispose()


def launch_crawl(
    engine: Engine,
    due: DueCrawl,
    db_url: str,
    data_dir: str,
    kill_grace: int = KILL_GRACE,
    redis_url: str | None = None,
) -> int:
    """Run ``due`` as a child process, at most ``due.time_limit`` seconds: then SIGTERM
    (Scrapy stops gracefully and writes its report), SIGKILL after ``kill_grace`` seconds,
    and the run is marked as killed with the reason. With ``redis_url`` the child only
    enqueues the crawl for the workers. Returns the child's exit code (-1 when killed)."""
    env = {**os.environ, "VIGIE_DATA_DIR": data_dir, "VIGIE_DATABASE_URL": db_url}
    if redis_url:
        env["VIGIE_REDIS_URL"] = redis_url
    before = _last_run_id(engine)
    log.info("schedule %s: starting %s", due.schedule_id, due.spider)
    child = subprocess.Popen(
        due.command(enqueue=bool(redis_url)),
        env=env,
        start_new_session=True,  # its own process group: signals reach it and only it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, err = child.communicate(timeout=due.time_limit)
    except subprocess.TimeoutExpired:
        used = _stop(child, kill_grace)
        mark_killed(engine, due, before, child.pid, used)
        return -1
    if child.returncode == 75:
        log.warning("schedule %s: %s skipped, already running: %s", due.schedule_id,
                    due.spider, _last_line(err))
    elif child.returncode not in (0, 3):
        log.error("schedule %s: crawl %s exited %s: %s", due.schedule_id, due.spider,
                  child.returncode, err[-2000:])
    return child.returncode


def _stop(child: subprocess.Popen[str], grace: int) -> str:
    """SIGTERM the child's process group, SIGKILL it if still there after ``grace``."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
    except ProcessLookupError:
        child.communicate()
        return "SIGTERM"
    try:
        child.communicate(timeout=grace)
        return "SIGTERM"
    except subprocess.TimeoutExpired:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it ended between the timeout and the kill
        child.communicate()
        return "SIGKILL"


def _last_run_id(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.max(CrawlRun.id))).one() or 0)


def mark_killed(engine: Engine, due: DueCrawl, before: int, pid: int, used: str) -> int:
    """Record that ``due``'s crawl was stopped for exceeding its time limit: its run (the
    newest one of this crawl launched after ``before``) becomes ``failed`` with the reason,
    and stays resumable; its lease is removed so the next run need not wait for it. A child
    killed before it recorded its run gets a run recording the kill. Returns the run id."""
    reason = f"killed: exceeded time limit of {due.time_limit} s"
    release_for_pid(engine, crawl_key(due.spider, due.args), pid)
    with session_scope(engine) as session:
        candidates = session.exec(
            select(CrawlRun)
            .where(
                CrawlRun.spider == due.spider,
                col(CrawlRun.id) > before,
                CrawlRun.status != "skipped",
            )
            .order_by(col(CrawlRun.id).desc())
        ).all()
        run = next((r for r in candidates if dict(r.args or {}) == due.args), None)
        if run is None:
            run = _new_run(session, due, "failed")
            run.report = {"notes": [f"{reason} (before the crawl recorded its run)"]}
        killed = {"reason": reason, "time_limit": due.time_limit, "signal": used,
                  "schedule_id": due.schedule_id}
        report: dict[str, Any] = dict(run.report or {})
        if report.get("close_reason") == "finished" and run.status != "running":
            report["notes"] = [*report.get("notes", []), f"{reason} while closing (its crawl "
                               "had ended)"]
        else:
            run.status = "failed"
            report["notes"] = [reason, *[n for n in report.get("notes", []) if n != reason]]
        report["killed"] = killed
        run.report = report
        run.finished_at = run.finished_at or utcnow()
        session.add(run)
        session.flush()
        log.error("schedule %s: run %s of %s %s (%s)", due.schedule_id, run.id, due.spider,
                  reason, used)
        return int(run.id or 0)


def record_skipped(engine: Engine, due: DueCrawl, reason: str, **details: Any) -> int:
    """A run of a schedule that did not happen (missed beyond its grace time, previous run
    still going), recorded as a ``skipped`` CrawlRun saying why. Returns its id."""
    with session_scope(engine) as session:
        run = _new_run(session, due, "skipped")
        run.report = {"skipped": {"reason": reason, **details}, "notes": [f"skipped: {reason}"]}
        session.add(run)
        session.flush()
        log.warning("schedule %s: %s run skipped: %s", due.schedule_id, due.spider, reason)
        return int(run.id or 0)


def _new_run(session: Session, due: DueCrawl, status: str) -> CrawlRun:
    source = session.exec(select(Source).where(Source.name == due.spider)).first()
    run = CrawlRun(
        spider=due.spider,
        source_id=source.id if source else None,
        launched_by="schedule",
        purpose=due.purpose,
        args=due.args,
        status=status,
        finished_at=utcnow(),
    )
    session.add(run)
    session.flush()
    return run


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def run_retention_job(db_url: str, data_dir: str, time_limit: int = 3600) -> int:
    """Daily job: ``vigie retention purge`` in its own process (audited there as
    ``retention.purge`` by ``scheduler``)."""
    env = {**os.environ, "VIGIE_DATA_DIR": data_dir, "VIGIE_DATABASE_URL": db_url}
    cmd = [sys.executable, "-m", "vigie", "retention", "purge", "--user", "scheduler"]
    try:
        done = subprocess.run(cmd, env=env, check=False, timeout=time_limit)
    except subprocess.TimeoutExpired:
        log.error("retention purge exceeded %d s and was stopped", time_limit)
        return -1
    if done.returncode != 0:
        log.error("retention purge failed with exit code %d", done.returncode)
    return done.returncode
