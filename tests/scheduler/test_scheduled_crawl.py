"""A due schedule really crawls (own process) and is recorded as a CrawlRun."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlmodel import Session, select

from demo.server import DemoServer
from demo.world import build_world
from scheduler.service import make_scheduler, sync_jobs
from storage.db import session_scope
from storage.models import CrawlRun, Record, Schedule


def test_due_schedule_runs_a_recorded_crawl(settings, engine, zygote_children):
    world = build_world(seed=3, size=30)
    numbers = ",".join(e.enterprise_number for e in world.employers[:3])
    with DemoServer(world) as server:
        with session_scope(engine) as session:
            session.add(Schedule(spider="registry", cron="0 3 * * *",
                                 purpose="weekly register refresh",
                                 args={"base_url": server.url, "numbers": numbers}))
        scheduler = make_scheduler(settings.db_url, blocking=False)
        scheduler.start()
        try:
            sync_jobs(scheduler, settings.db_url, str(settings.data_dir.resolve()))
            scheduler.modify_job("schedule-1", next_run_time=datetime.now(UTC))
            deadline = time.monotonic() + 120
            run = None
            while time.monotonic() < deadline:
                with Session(engine) as session:
                    run = session.exec(select(CrawlRun)).first()
                    if run is not None and run.status != "running":
                        break
                time.sleep(0.5)
        finally:
            scheduler.shutdown(wait=True)
    assert run is not None, "the due crawl never started"
    assert run.status == "finished", run.report
    assert run.launched_by == "schedule"
    assert run.purpose == "weekly register refresh"
    assert run.args["numbers"] == numbers
    assert run.items_scraped == 3
    with Session(engine) as session:
        records = session.exec(select(Record).where(Record.kind == "register_entry")).all()
    assert sorted(r.enterprise_number for r in records) == sorted(numbers.split(","))
