"""The last worker out closes the crawl: totals, expectations and gone ads for the WHOLE crawl
on its launching run; a worker that died leaves the crawl incomplete (nothing marked gone)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from spiders import distributed as dist
from storage.db import make_engine, session_scope
from storage.models import Capture, CrawlRun, Record
from vigie.crawl import Launch, start_run
from vigie.distributed import close_crawl, enqueue_crawl
from vigie.settings import Settings

NOWHERE = "http://127.0.0.1:9"


def _crawl_with_workers(settings: Settings, redis_client: Any,
                        workers: list[dict[str, Any]]) -> tuple[int, list[int], dist.CrawlKeys]:
    """A launched crawl whose queue was drained by workers in the given end states, and one
    ad seen by an EARLIER crawl only (a candidate for "gone")."""
    launch = Launch("jobs", "weekly board check", {"base_url": NOWHERE})
    engine = make_engine(settings.db_url)
    enqueued = enqueue_crawl(settings, launch)
    keys = dist.CrawlKeys(enqueued.crawl_key)
    redis_client.delete(keys.requests)
    ids = []
    for state in workers:
        run_id = start_run(settings, Launch("jobs", "weekly board check", {}, None, "worker"))
        with session_scope(engine) as session:
            run = session.get(CrawlRun, run_id)
            assert run is not None
            run.status = state["status"]
            run.items_scraped = state["items"]
            run.pages_seen = state["items"] + 1
            if state["status"] != "running":
                run.report = {"close_reason": "finished", "limits": {}, "problems": []}
            session.add(run)
        redis_client.sadd(keys.runs, run_id)
        ids.append(run_id)
    with session_scope(engine) as session:
        launched = session.get(CrawlRun, enqueued.run_id)
        assert launched is not None
        before = launched.started_at - timedelta(days=1)
        capture = Capture(run_id=None, url=f"{NOWHERE}/jobs/old.html", final_url="x", status=200,
                          sha256="0" * 64, warc_file="w", warc_offset=0, warc_length=1)
        session.add(capture)
        session.flush()
        session.add(Record(kind="job_ad", source="jobs", url=f"{NOWHERE}/jobs/old.html",
                           capture_id=capture.id, fingerprint="old-ad", first_seen=before,
                           last_seen=before))
        for n in range(sum(state["items"] for state in workers)):  # what the workers saw
            session.add(Record(kind="job_ad", source="jobs", url=f"{NOWHERE}/jobs/{n}.html",
                               capture_id=capture.id, fingerprint=f"ad-{n}"))
    engine.dispose()
    return enqueued.run_id, ids, keys


def _old_ad_gone(settings: Settings) -> bool:
    engine = make_engine(settings.db_url)
    with Session(engine) as session:
        from sqlmodel import select

        record = session.exec(select(Record).where(Record.fingerprint == "old-ad")).one()
    engine.dispose()
    return record.gone_at is not None


def test_last_worker_closes_the_whole_crawl(settings: Settings, redis_url: str,
                                            redis_client: Any) -> None:
    s = settings.model_copy(update={"redis_url": redis_url})
    # 6 + 7 items: each worker alone is below the source's minimum of 10, the crawl is not.
    launch_id, workers, keys = _crawl_with_workers(
        s, redis_client, [{"status": "finished", "items": 6}, {"status": "finished", "items": 7}])
    assert close_crawl(s, redis_client, keys) is True
    engine = make_engine(s.db_url)
    with Session(engine) as session:
        launch = session.get(CrawlRun, launch_id)
    engine.dispose()
    assert launch is not None
    assert launch.status == "finished"
    assert launch.items_scraped == 13 and launch.pages_seen == 15
    assert launch.report["complete"] is True
    assert launch.report["gone"] == 1  # the ad this crawl did not see any more
    assert launch.report["distributed"]["worker_runs"] == workers
    assert _old_ad_gone(s)
    assert redis_client.get(dist.current_key("jobs")) is None  # no current crawl any more


def test_what_a_dead_worker_held_is_crawled_before_the_crawl_closes(
    settings: Settings, redis_url: str, redis_client: Any
) -> None:
    s = settings.model_copy(update={"redis_url": redis_url})
    launch_id, workers, keys = _crawl_with_workers(
        s, redis_client, [{"status": "finished", "items": 12}, {"status": "running", "items": 0}])
    redis_client.zadd(keys.workers, {"host:1:dead": 0})  # its last heartbeat is long stale
    redis_client.hset(keys.inflight("host:1:dead"), "7", b"0|held-request")
    assert close_crawl(s, redis_client, keys) is False  # its request is back in the queue
    assert redis_client.zrange(keys.requests, 0, -1) == [b"held-request"]
    assert not redis_client.exists(keys.inflight("host:1:dead"))
    assert redis_client.zcard(keys.workers) == 0

    redis_client.delete(keys.requests)  # as if a worker had crawled it
    assert close_crawl(s, redis_client, keys) is True
    engine = make_engine(s.db_url)
    with Session(engine) as session:
        launch = session.get(CrawlRun, launch_id)
        dead = session.get(CrawlRun, workers[1])
    engine.dispose()
    assert launch is not None and dead is not None
    assert dead.status == "failed" and "worker died before its end" in dead.report["notes"][0]
    assert any(f"worker run {workers[1]} died" in n for n in launch.report["notes"])
    assert launch.report["complete"] is True  # nothing it held was lost
    assert _old_ad_gone(s)


def test_a_crawl_is_not_closed_while_a_worker_is_alive(settings: Settings, redis_url: str,
                                                       redis_client: Any) -> None:
    s = settings.model_copy(update={"redis_url": redis_url})
    _, _, keys = _crawl_with_workers(s, redis_client, [{"status": "finished", "items": 12}])
    redis_client.zadd(keys.workers, {"host:2:alive": time.time()})
    assert close_crawl(s, redis_client, keys) is False
    assert not redis_client.exists(keys.closed)
