"""The scheduler keeps its jobs in the database and runs due crawls as CrawlRuns."""

from __future__ import annotations

import pytest

from scheduler import SchedulerError
from scheduler.runner import crawl_command
from scheduler.service import make_scheduler, parse_cron, sync_jobs
from storage.db import session_scope
from storage.models import Schedule


def test_parse_cron_rejects_nonsense():
    assert parse_cron("0 3 * * *") is not None
    with pytest.raises(SchedulerError, match="invalid cron"):
        parse_cron("every day at three")


def test_crawl_command_is_an_argv_without_shell():
    cmd = crawl_command("jobs", "weekly sweep; rm -rf /", {"base_url": "http://127.0.0.1:1"})
    assert cmd[1:5] == ["-m", "vigie", "crawl", "jobs"]
    assert "weekly sweep; rm -rf /" in cmd  # one argument, never interpreted by a shell
    assert cmd[-2:] == ["-a", "base_url=http://127.0.0.1:1"]
    assert "--launched-by" in cmd and "schedule" in cmd


def test_jobs_persist_across_scheduler_restarts(settings, engine):
    with session_scope(engine) as session:
        session.add(Schedule(spider="jobs", cron="0 3 * * *", purpose="nightly sweep"))
        session.add(Schedule(spider="registry", cron="0 4 * * 1", purpose="weekly", enabled=False))
    first = make_scheduler(settings.db_url, blocking=False)
    first.start(paused=True)
    assert sync_jobs(first, settings.db_url, str(settings.data_dir)) == 1
    first.shutdown(wait=False)

    second = make_scheduler(settings.db_url, blocking=False)
    second.start(paused=True)
    jobs = second.get_jobs(jobstore="default")
    second.shutdown(wait=False)
    assert [j.id for j in jobs] == ["schedule-1"]
    job = jobs[0]
    assert job.max_instances == 1 and job.coalesce is True
    assert job.misfire_grace_time == 3600
    assert "hour='3'" in str(job.trigger)
