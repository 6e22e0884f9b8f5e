"""Runs one scheduled crawl in its own process and records the outcome.

A subprocess per crawl: Twisted's reactor cannot restart in one process, a crashed crawl cannot
take the scheduler down, and a crawl over its time limit can be killed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from sqlmodel import Session

from storage.db import make_engine, session_scope
from storage.models import CrawlRun, Schedule, utcnow

log = logging.getLogger(__name__)


def crawl_command(
    spider: str,
    purpose: str,
    args: dict[str, str],
    launched_by: str = "schedule",
    case_ref: str | None = None,
    progress: bool = False,
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
    if case_ref:
        cmd += ["--case", case_ref]
    if enqueue:
        cmd.append("--enqueue")
    for key, value in sorted(args.items()):
        cmd += ["-a", f"{key}={value}"]
    return cmd


def run_scheduled_crawl(
    schedule_id: int, db_url: str, data_dir: str, time_limit: int = 6 * 3600,
    redis_url: str | None = None,
) -> int:
    """Job function called by APScheduler (by reference, so it survives restarts).

    With ``redis_url`` (``VIGIE_REDIS_URL``) the due crawl is enqueued for the workers
    (``vigie crawl --enqueue``, which returns at once) instead of run here."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            schedule = session.get(Schedule, schedule_id)
            if schedule is None or not schedule.enabled:
                log.warning("schedule %s is gone or disabled; nothing run", schedule_id)
                return 0
            cmd = crawl_command(
                schedule.spider, schedule.purpose or "scheduled crawl", dict(schedule.args or {}),
                enqueue=bool(redis_url),
            )
            spider = schedule.spider
        env = {**os.environ, "VIGIE_DATA_DIR": data_dir, "VIGIE_DATABASE_URL": db_url}
        if redis_url:
            env["VIGIE_REDIS_URL"] = redis_url
        log.info("schedule %s: starting %s", schedule_id, spider)
        try:
            done = subprocess.run(
                cmd, env=env, timeout=time_limit, check=False, capture_output=True, text=True
            )
        except subprocess.TimeoutExpired:
            _record_killed(engine, spider, time_limit)
            return -1
        if done.returncode != 0:
            log.error(
                "schedule %s: crawl %s exited %s: %s",
                schedule_id,
                spider,
                done.returncode,
                done.stderr[-2000:],
            )
        return done.returncode
    finally:
        engine.dispose()


def _record_killed(engine, spider: str, time_limit: int) -> None:  # type: ignore[no-untyped-def]
    """Mark the newest running run of ``spider`` as killed for exceeding its time limit."""
    from sqlmodel import select

    with session_scope(engine) as session:
        run = session.exec(
            select(CrawlRun)
            .where(CrawlRun.spider == spider, CrawlRun.status == "running")
            .order_by(CrawlRun.id.desc())  # type: ignore[union-attr]
        ).first()
        if run is not None:
            run.status = "failed"
            run.finished_at = utcnow()
            run.report = {
                **(run.report or {}),
                "notes": [f"killed: exceeded the time limit of {time_limit} s"],
            }
            session.add(run)


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
