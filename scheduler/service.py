"""The scheduler service: APScheduler 3 with its jobs in the Vigie database.

Schedules (the ``Schedule`` table) are the source of truth; at start and every minute the
service brings APScheduler's persistent job store in line with them. Each job runs at most one
instance at a time, coalesces missed runs into one, and is still run after a downtime shorter
than its grace time.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session, select

from scheduler import SchedulerError
from scheduler.runner import run_retention_job, run_scheduled_crawl
from storage.db import make_engine
from storage.models import Schedule

log = logging.getLogger(__name__)

MISFIRE_GRACE = 3600
JOB_PREFIX = "schedule-"


def parse_cron(expression: str) -> CronTrigger:
    """Validate a standard five-field cron expression (UTC)."""
    try:
        return CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise SchedulerError(f"invalid cron expression {expression!r}: {exc}") from exc


def make_scheduler(db_url: str, blocking: bool = True) -> BaseScheduler:
    from apscheduler.schedulers.background import BackgroundScheduler

    cls = BlockingScheduler if blocking else BackgroundScheduler
    return cls(
        jobstores={
            "default": SQLAlchemyJobStore(url=db_url, tablename="apscheduler_jobs"),
            "memory": MemoryJobStore(),
        },
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
        timezone="UTC",
    )


def sync_jobs(
    scheduler: BaseScheduler, db_url: str, data_dir: str, redis_url: str | None = None
) -> int:
    """Add/refresh a job per enabled schedule; remove jobs of deleted/disabled ones.

    ``redis_url``: due crawls are enqueued into Redis for ``vigie worker`` processes."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            schedules = session.exec(select(Schedule)).all()
    finally:
        engine.dispose()
    wanted = {f"{JOB_PREFIX}{s.id}": s for s in schedules if s.enabled}
    for job in scheduler.get_jobs(jobstore="default"):
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            job.remove()
    for job_id, schedule in wanted.items():
        trigger = parse_cron(schedule.cron)
        existing = scheduler.get_job(job_id)
        kwargs = {"redis_url": redis_url} if redis_url else {}
        if (existing is not None and str(existing.trigger) == str(trigger)
                and dict(existing.kwargs) == kwargs):
            continue
        scheduler.add_job(
            run_scheduled_crawl,
            trigger=trigger,
            id=job_id,
            name=f"{schedule.spider} ({schedule.cron})",
            args=[schedule.id, db_url, data_dir],
            kwargs=kwargs,
            replace_existing=True,
        )
    return len(wanted)


RETENTION_JOB = "vigie-retention"
RETENTION_CRON = "30 2 * * *"  # daily, 02:30 UTC


def add_retention_job(scheduler: BaseScheduler, db_url: str, data_dir: str) -> None:
    """The daily retention purge, in the persistent store (a missed run after downtime runs
    once, coalesced, within a 6-hour grace time)."""
    scheduler.add_job(
        run_retention_job,
        trigger=parse_cron(RETENTION_CRON),
        id=RETENTION_JOB,
        name="retention purge",
        args=[db_url, data_dir],
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=6 * 3600,
    )


def run_service(db_url: str, data_dir: str, redis_url: str | None = None) -> None:
    """Run until interrupted (with ``redis_url``, due crawls are enqueued, not run)."""
    scheduler = make_scheduler(db_url, blocking=True)
    count = sync_jobs(scheduler, db_url, data_dir, redis_url)
    # The sync job holds a live object, so it lives in the memory store, not the database.
    scheduler.add_job(
        sync_jobs,
        "interval",
        minutes=1,
        id="vigie-sync",
        jobstore="memory",
        args=[scheduler, db_url, data_dir, redis_url],
        replace_existing=True,
    )
    add_retention_job(scheduler, db_url, data_dir)
    log.info("scheduler started with %d schedules at %s", count, datetime.now(UTC))
    scheduler.start()
