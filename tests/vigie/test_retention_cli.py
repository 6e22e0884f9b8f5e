"""``vigie retention purge`` uses every source's YAML retention period; the scheduler adds the
daily job to its persistent store."""

from __future__ import annotations

import os
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.service import RETENTION_JOB, add_retention_job
from spiders.source import list_sources, load_source
from tests.vigie_cli import run_vigie
from vigie.retention import policies


def test_policies_come_from_the_sources() -> None:
    found = policies()
    assert set(found) == set(list_sources())
    assert found["jobs"] == load_source("jobs").retention_days >= 1


def test_cli_dry_run_and_purge(tmp_path: Path, databases) -> None:  # noqa: ANN001
    env = {**os.environ, "VIGIE_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "200",
           "VIGIE_DATABASE_URL": databases.url(tmp_path / "var", migrate=False)}
    for args in (["--dry-run"], ["--user", "ops"]):
        done = run_vigie(["retention", "purge", *args], env)
        assert done.returncode == 0, done.stderr
        assert "jobs" in done.stdout and "kept because cited: 0 records" in done.stdout


def test_scheduler_registers_the_daily_purge() -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    add_retention_job(scheduler, "sqlite:///unused.sqlite3", "/tmp/unused")
    job = scheduler.get_job(RETENTION_JOB)
    assert job is not None and job.coalesce is True and job.misfire_grace_time == 6 * 3600
    assert "hour='2'" in str(job.trigger) and "minute='30'" in str(job.trigger)
