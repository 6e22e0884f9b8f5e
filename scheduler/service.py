"""The scheduler service: APScheduler 3 with its jobs in the Vigie database.

Schedules (the ``Schedule`` table) are the source of truth; at start and every minute the
service brings APScheduler's persistent job store in line with them, so jobs and their next
run times survive a restart (even a SIGKILL). Each job runs at most one instance at a time in
this scheduler, and the crawl's lease keeps any other process (a second scheduler, an analyst's
``vigie crawl``) from running the same crawl at once. After a downtime, the runs missed are
coalesced into one, run if the scheduler is back within the grace time, and otherwise
recorded as a ``skipped`` CrawlRun saying why — as is a run refused because the previous one
of the same schedule is still going. Only one scheduler is active per database: another one
started on it waits as a standby and takes over when the active one dies.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler import SchedulerError
from scheduler.lease import DEFAULT_TTL, Heartbeat, Lease, LeaseBusy
from scheduler.runner import (
    DEFAULT_TIME_LIMIT,
    KILL_GRACE,
    load_due,
    record_skipped,
    run_retention_job,
    run_scheduled_crawl,
)
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


def make_scheduler(
    db_url: str, blocking: bool = True, misfire_grace: int = MISFIRE_GRACE
) -> BaseScheduler:
    """A scheduler whose jobs live in the database, one instance per job, missed runs
    coalesced and run within ``misfire_grace`` seconds; runs that do not happen (missed
    beyond the grace, previous one still running) are recorded as skipped CrawlRuns."""
    from apscheduler.schedulers.background import BackgroundScheduler

    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={
            "default": SQLAlchemyJobStore(url=db_url, tablename="apscheduler_jobs"),
            "memory": MemoryJobStore(),
        },
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": misfire_grace},
        timezone="UTC",
    )
    scheduler.add_listener(
        lambda event: record_not_run(scheduler, db_url, event),
        EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES,
    )
    return scheduler


def record_not_run(scheduler: BaseScheduler, db_url: str, event: JobEvent) -> int | None:
    """Listener: a schedule's run that did not happen becomes a ``skipped`` CrawlRun with
    the reason (missed beyond the grace time, or the previous run still going)."""
    if not event.job_id.startswith(JOB_PREFIX):
        return None
    job = scheduler.get_job(event.job_id)
    schedule_id = int(event.job_id[len(JOB_PREFIX):])
    due_at: datetime = getattr(event, "scheduled_run_time", None) or datetime.now(UTC)
    engine = make_engine(db_url)
    try:
        due = load_due(engine, schedule_id, DEFAULT_TIME_LIMIT)
        if due is None:
            return None
        if event.code == EVENT_JOB_MISSED:
            late = (datetime.now(UTC) - due_at).total_seconds()
            grace = job.misfire_grace_time if job is not None else None
            reason = (
                f"missed: due at {due_at:%Y-%m-%d %H:%M:%S} UTC while the scheduler was down; "
                f"it came back {late:.0f} s late, beyond the grace time of {grace} s"
            )
            return record_skipped(engine, due, reason, due_at=due_at.isoformat(),
                                  late_seconds=round(late), grace_seconds=grace)
        reason = (
            f"due at {due_at:%Y-%m-%d %H:%M:%S} UTC while the previous run of this schedule "
            "was still going (one run at a time)"
        )
        return record_skipped(engine, due, reason, due_at=due_at.isoformat())
    finally:
        engine.dispose()


def sync_jobs(
    scheduler: BaseScheduler,
    db_url: str,
    data_dir: str,
    redis_url: str | None = None,
    time_limit: int = DEFAULT_TIME_LIMIT,
    kill_grace: int = KILL_GRACE,
) -> int:
    """Add/refresh a job per enabled schedule; remove jobs of deleted/disabled ones.

    ``redis_url``: due crawls are enqueued into Redis for ``vigie worker`` processes;
    ``time_limit``: the default for schedules without their own; ``kill_grace``: seconds
    between SIGTERM and SIGKILL of a crawl over its limit."""
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
        args = [schedule.id, db_url, data_dir, time_limit, kill_grace]
        kwargs = {"redis_url": redis_url} if redis_url else {}
        existing = scheduler.get_job(job_id)
        if (
            existing is not None
            and str(existing.trigger) == str(trigger)
            and list(existing.args) == args
            and dict(existing.kwargs) == kwargs
        ):
            continue  # unchanged: keep its next run time (a restart must not lose it)
        scheduler.add_job(
            run_scheduled_crawl,
            trigger=trigger,
            id=job_id,
            name=f"{schedule.spider} ({schedule.cron})",
            args=args,
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


def sync_all(
    scheduler: BaseScheduler,
    db_url: str,
    data_dir: str,
    redis_url: str | None = None,
    time_limit: int = DEFAULT_TIME_LIMIT,
) -> int:
    """The service's periodic job (first run at start): the schedules' jobs, and the daily
    retention purge if it is not in the store yet."""
    if scheduler.get_job(RETENTION_JOB) is None:
        add_retention_job(scheduler, db_url, data_dir)
    return sync_jobs(scheduler, db_url, data_dir, redis_url, time_limit)


SERVICE = "scheduler"  # the lease of the active scheduler service


def wait_for_leadership(engine: Engine, ttl: int) -> Lease:
    """Take the scheduler service's lease, waiting as a standby while another scheduler
    process holds it (it is taken over at once when that process died on this host, after
    ``ttl`` seconds without a heartbeat when it ran elsewhere)."""
    lease = Lease(engine, SERVICE, {}, ttl=ttl)
    waiting = False
    while True:
        try:
            lease.acquire()
        except LeaseBusy as busy:
            if not waiting:
                log.warning("standby: another scheduler is active (%s)", busy.holder.owner)
                waiting = True
            time.sleep(ttl / 3)
            continue
        log.info("scheduler lease taken%s", " (standby no more)" if waiting else "")
        return lease


def run_service(
    db_url: str,
    data_dir: str,
    redis_url: str | None = None,
    time_limit: int = DEFAULT_TIME_LIMIT,
    misfire_grace: int = MISFIRE_GRACE,
    lease_seconds: int = DEFAULT_TTL,
) -> None:
    """Run until interrupted; one active scheduler per database, others wait as standbys.
    With ``redis_url``, due crawls are enqueued for ``vigie worker`` processes, not run.

    The jobs are brought in line with the schedules by a job that runs at once and then
    every minute — not before the scheduler starts: a scheduler not started yet sees none
    of its stored jobs, and replacing them would drop the runs missed while it was down."""
    engine = make_engine(db_url)
    lease = wait_for_leadership(engine, lease_seconds)
    try:
        scheduler = make_scheduler(db_url, blocking=True, misfire_grace=misfire_grace)
        # The sync job holds a live object, so it lives in the memory store, not the database.
        scheduler.add_job(
            sync_all,
            "interval",
            minutes=1,
            id="vigie-sync",
            jobstore="memory",
            args=[scheduler, db_url, data_dir, redis_url, time_limit],
            next_run_time=datetime.now(UTC),
            replace_existing=True,
        )
        log.info("scheduler starting at %s", datetime.now(UTC))
        # Lease lost (this process was presumed dead): stop, as Ctrl+C would.
        with Heartbeat(lease, on_lost=lambda: os.kill(os.getpid(), signal.SIGINT)):
            scheduler.start()
    finally:
        lease.release()
        engine.dispose()
