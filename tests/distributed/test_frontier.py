"""The Redis side of distributed crawls, on a real Redis server: per-run keys and their expiry,
the dupefilter, the shared per-domain delay, the scheduler enqueueing, clear refusals."""

from __future__ import annotations

import time
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.utils.request import fingerprint
from sqlmodel import Session, select

from scheduler.runner import crawl_command, run_scheduled_crawl
from scheduler.service import make_scheduler, sync_jobs
from spiders import distributed as dist
from spiders.distributed_worker import SharedDomainDelayMiddleware
from storage.db import make_engine, session_scope, upgrade
from storage.models import CrawlRun, Schedule
from vigie.crawl import CrawlError, Launch
from vigie.distributed import close_crawl, enqueue_crawl, run_worker
from vigie.settings import Settings

NOWHERE = "http://127.0.0.1:9"  # nothing is fetched by these tests


def _settings(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(update={"redis_url": redis_url})


def test_each_crawl_has_its_own_keys_so_a_recrawl_is_not_blocked(
    settings: Settings, redis_url: str, redis_client: Any
) -> None:
    s = _settings(settings, redis_url)
    launch = Launch("jobs", "weekly board check", {"base_url": NOWHERE}, "CASE-1")
    first = enqueue_crawl(s, launch)
    assert first.crawl_key.startswith(f"jobs-{first.run_id}-")
    assert first.seeded == 1
    keys = dist.CrawlKeys(first.crawl_key)
    assert redis_client.get(dist.current_key("jobs")) == first.crawl_key.encode()
    assert 0 < redis_client.ttl(keys.requests) <= dist.KEY_TTL
    assert 0 < redis_client.ttl(keys.seen) <= dist.KEY_TTL
    meta = redis_client.hgetall(keys.meta)
    assert meta[b"purpose"] == b"weekly board check" and meta[b"case_ref"] == b"CASE-1"

    with pytest.raises(CrawlError, match="is not over .1 requests queued"):
        enqueue_crawl(s, launch)  # one crawl of a spider at a time

    redis_client.delete(keys.requests)  # as if workers had fetched everything
    assert close_crawl(s, redis_client, keys) is True
    assert close_crawl(s, redis_client, keys) is False  # closed once
    assert not redis_client.exists(keys.seen)  # fingerprints retired with their crawl

    second = enqueue_crawl(s, launch)
    assert second.crawl_key != first.crawl_key
    assert second.seeded == 1  # the same start page, not filtered by the first crawl

    engine = make_engine(s.db_url)
    with Session(engine) as session:
        run = session.get(CrawlRun, first.run_id)
        assert run is not None
        assert run.status == "failed"  # nobody crawled it: zero items is below the minimum
        assert "no worker joined this crawl" in run.report["notes"]
        assert run.report["distributed"]["role"] == "launch"
        waiting = session.get(CrawlRun, second.run_id)
        assert waiting is not None and waiting.status == "running"
    engine.dispose()


def test_dupefilter_uses_scrapy_fingerprints_and_outlives_one_worker(redis_client: Any) -> None:
    seen = dist.RedisDupeFilter(redis_client, "vigie:crawl:t-1:seen")
    request = Request("http://127.0.0.1:8800/jobs/ad-1.html")
    assert seen.request_fingerprint(request) == fingerprint(request).hex()
    assert seen.request_seen(request) is False
    assert seen.request_seen(Request("http://127.0.0.1:8800/jobs/ad-1.html")) is True
    seen.close("finished")  # one worker leaving keeps the crawl's fingerprints
    assert redis_client.sismember("vigie:crawl:t-1:seen", fingerprint(request).hex())


def test_shared_delay_spaces_one_domain_across_workers(redis_client: Any) -> None:
    keys = dist.CrawlKeys("jobs-7")
    worker_a = SharedDomainDelayMiddleware(redis_client, keys, 0.5)
    worker_b = SharedDomainDelayMiddleware(redis_client, keys, 0.5)
    assert worker_a.wait_for("board.example") == 0
    assert 0.4 < worker_b.wait_for("board.example") <= 0.5
    assert 0.9 < worker_a.wait_for("board.example") <= 1.0
    assert worker_b.wait_for("other.example") == 0  # another domain has its own slots


def test_refusals_are_clear(settings: Settings, redis_url: str, redis_client: Any) -> None:
    launch = Launch("jobs", "check", {"base_url": NOWHERE})
    with pytest.raises(CrawlError, match="needs VIGIE_REDIS_URL"):
        enqueue_crawl(settings, launch)
    with pytest.raises(CrawlError, match="not reachable"):
        enqueue_crawl(_settings(settings, "redis://127.0.0.1:9/0"), launch)
    with pytest.raises(CrawlError, match="no distributed crawl of jobs is enqueued"):
        run_worker(_settings(settings, redis_url), "jobs")
    started = time.monotonic()
    with pytest.raises(CrawlError, match="enqueued within 0.6 s"):
        run_worker(_settings(settings, redis_url), "jobs", wait=0.6)
    assert time.monotonic() - started >= 0.6


def test_redis_url_passwords_are_not_reported() -> None:
    assert dist.redact("redis://:s3cret@db.local:6380/2") == "redis://:***@db.local:6380/2"
    assert dist.redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_scheduler_enqueues_due_crawls_when_redis_is_configured(
    settings: Settings, redis_url: str, redis_client: Any, zygote_children: None
) -> None:
    assert "--enqueue" in crawl_command("jobs", "p", {}, enqueue=True)
    assert "--enqueue" not in crawl_command("jobs", "p", {})
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    with session_scope(engine) as session:
        schedule = Schedule(spider="jobs", cron="0 3 * * *", purpose="daily board crawl",
                            args={"base_url": NOWHERE})
        session.add(schedule)
        session.flush()
        schedule_id = schedule.id
    assert schedule_id is not None
    scheduler = make_scheduler(settings.db_url, blocking=False)
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, settings.db_url, str(settings.data_dir), redis_url)
        assert scheduler.get_job(f"schedule-{schedule_id}").kwargs == {"redis_url": redis_url}
    finally:
        scheduler.shutdown(wait=False)

    code = run_scheduled_crawl(schedule_id, settings.db_url, str(settings.data_dir.resolve()),
                               redis_url=redis_url)
    assert code == 0
    with Session(engine) as session:
        run = session.exec(select(CrawlRun)).one()
    engine.dispose()
    assert (run.launched_by, run.purpose, run.status) == ("schedule", "daily board crawl",
                                                          "running")
    key = run.report["distributed"]["crawl_key"]
    assert redis_client.get(dist.current_key("jobs")) == key.encode()
    assert redis_client.zcard(dist.CrawlKeys(key).requests) == 1  # queued, not crawled here


class _Board(Spider):
    name = "jobs"

    def parse_ad(self, response: Any) -> None:
        """A callback, to check requests keep theirs through Redis."""


def test_a_popped_request_is_held_until_done_and_never_lost(redis_client: Any) -> None:
    keys = dist.CrawlKeys("jobs-9")
    spider = _Board()
    frontier = dist.RedisFrontier(redis_client, keys, "host:1:a")
    frontier.open(spider)
    for n in range(3):
        assert frontier.enqueue_request(
            Request(f"http://127.0.0.1:8800/jobs/ad-{n}.html", callback=spider.parse_ad))
    assert not frontier.enqueue_request(Request("http://127.0.0.1:8800/jobs/ad-0.html"))
    first = frontier.next_request()
    second = frontier.next_request()
    assert first is not None and second is not None
    assert first.callback == spider.parse_ad
    held = keys.inflight("host:1:a")
    assert redis_client.hlen(held) == 2 and redis_client.zcard(keys.requests) == 1
    frontier.ack(first.meta[dist.INFLIGHT])  # its page was parsed
    assert redis_client.hlen(held) == 1
    retry = second.replace(dont_filter=True)  # a retry goes back to the queue: released
    assert frontier.enqueue_request(retry)
    assert redis_client.hlen(held) == 0 and redis_client.zcard(keys.requests) == 2

    third = frontier.next_request()
    assert third is not None and redis_client.hlen(held) == 1
    frontier.close("shutdown")  # stopped early: what it held goes back
    assert redis_client.zcard(keys.requests) == 2 and not redis_client.exists(held)
    frontier.next_request()
    frontier.close("finished")  # a normal end drops leftovers (errback'd, ignored)
    assert not redis_client.exists(held)


def test_a_silent_worker_is_recovered_by_the_others(redis_client: Any) -> None:
    keys = dist.CrawlKeys("jobs-10")
    spider = _Board()
    frontier = dist.RedisFrontier(redis_client, keys, "host:2:killed")
    frontier.open(spider)
    frontier.enqueue_request(Request("http://127.0.0.1:8800/jobs/ad-1.html"))
    assert frontier.next_request() is not None
    now = time.time()
    redis_client.zadd(keys.workers, {"host:2:killed": now - dist.STALE - 1, "host:3:ok": now})
    assert dist.recover_dead(redis_client, keys, now) == {"host:2:killed": 1}
    assert redis_client.zcard(keys.requests) == 1
    assert dist.live_workers(redis_client, keys, now) == {"host:3:ok": False}
    assert dist.recover_dead(redis_client, keys, now) == {}  # recovered once


def test_how_long_a_silent_worker_counts_as_alive_is_a_setting(redis_client: Any) -> None:
    keys = dist.CrawlKeys("jobs-11")
    now = time.time()
    redis_client.zadd(keys.workers, {"host:4:quiet": now - 5, "host:5:ok": now})
    redis_client.hset(keys.inflight("host:4:quiet"), "1", b"0|x")
    # 5 s of silence: alive by the default of 15 s, dead when 3 s is the limit
    assert set(dist.live_workers(redis_client, keys, now)) == {"host:4:quiet", "host:5:ok"}
    assert dist.recover_dead(redis_client, keys, now) == {}
    assert set(dist.live_workers(redis_client, keys, now, stale=3)) == {"host:5:ok"}
    assert dist.recover_dead(redis_client, keys, now, stale=3) == {"host:4:quiet": 1}
    assert Settings().worker_stale_seconds == dist.STALE == 15
    assert Settings(worker_stale_seconds=3).worker_stale_seconds == 3
    with pytest.raises(ValueError):
        Settings(worker_stale_seconds=1)  # a live worker beats every second
