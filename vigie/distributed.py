"""Distributed crawls: launch one into Redis, run workers on it, close it when the last leaves.

- :func:`enqueue_crawl` (``vigie crawl SPIDER --enqueue``, and the scheduler when
  ``VIGIE_REDIS_URL`` is set) records the launch as a CrawlRun (purpose, case, arguments,
  audit event — exactly as a local crawl), pushes the spider's start requests into a new
  crawl key (:mod:`spiders.distributed`) and makes it the spider's current crawl. That run
  stays ``running`` while workers crawl; it is the crawl's record.
- :func:`run_worker` (``vigie worker SPIDER``) joins the current crawl of a spider: its own
  CrawlRun (``launched_by="worker"``, the launch's purpose, case and arguments, its captures
  and stats), robots.txt, politeness and every Vigie middleware/pipeline as in ``vigie crawl``,
  requests popped from and pushed to Redis. It leaves when the shared queue stays empty.
- The last worker out (:func:`close_crawl`) checks the whole crawl against its source's
  expectations, marks ads not seen any more as gone (only after a complete crawl: a worker
  alone never does), writes the totals into the launching run and retires the crawl's keys.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError
from sqlmodel import Session, col, select

from pipelines.items import mark_gone
from pipelines.report import PARTIAL_LIMITS, RunReportExtension, check_expectations
from spiders import distributed as dist
from storage.db import make_engine, session_scope, upgrade
from storage.models import Capture, CrawlRun, Record, utcnow
from vigie import heap
from vigie.crawl import CrawlError, Launch, Resume, finished_run, scrapy_settings, start_run
from vigie.errors import VigieError
from vigie.scrapy_imports import import_tls_modules
from vigie.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_IDLE = 10.0


@dataclass(frozen=True)
class Enqueued:
    """A distributed crawl launched: its run, its key and how many start requests it got."""

    run_id: int
    crawl_key: str
    seeded: int


def _redis(settings: Settings) -> Any:
    if not settings.redis_url:
        raise CrawlError("distributed crawling needs VIGIE_REDIS_URL (redis://host:port/db)")
    try:
        return dist.connect(settings.redis_url)
    except dist.DistributedError as exc:
        raise CrawlError(str(exc)) from exc


def _spider_class(spider: str) -> type:
    from scrapy.settings import Settings as ScrapySettings
    from scrapy.spiderloader import SpiderLoader

    s = ScrapySettings()
    s.setmodule("spiders.settings", priority="project")
    try:
        return SpiderLoader.from_settings(s).load(spider)
    except KeyError as exc:
        raise CrawlError(f"no spider named {spider!r}") from exc


def in_progress(server: Any, spider: str,
                stale: float = dist.STALE) -> tuple[str, int, int] | None:
    """``(key, queued, live workers)`` of the spider's current crawl if it is not over (a
    worker is live with a heartbeat less than ``stale`` seconds old)."""
    raw = server.get(dist.current_key(spider))
    if raw is None:
        return None
    keys = dist.CrawlKeys(raw.decode())
    if server.exists(keys.closed):
        return None
    queued = int(server.zcard(keys.requests))
    workers = len(dist.live_workers(server, keys, stale=stale))
    if queued or workers:
        return keys.crawl, queued, workers
    return None


def enqueue_crawl(settings: Settings, launch: Launch) -> Enqueued:
    """Record the launch and push the spider's start requests into a new crawl in Redis."""
    server = _redis(settings)
    busy = in_progress(server, launch.spider, settings.worker_stale_seconds)
    if busy is not None:
        key, queued, workers = busy
        raise CrawlError(
            f"the distributed crawl {key} of {launch.spider} is not over ({queued} requests "
            f"queued, {workers} workers alive): run `vigie worker {launch.spider}` to finish it "
            "before launching another"
        )
    spider_cls = _spider_class(launch.spider)
    settings.ensure_dirs()
    upgrade(settings.db_url)
    run_id = start_run(settings, launch)
    keys = dist.CrawlKeys(dist.crawl_key(launch.spider, run_id))
    try:
        spider = spider_cls(**launch.args)
        seeded = dist.seed(server, keys, spider)
    except (VigieError, RedisError) as exc:  # recorded on the run, then raised
        _fail_run(settings, run_id, f"seeding failed: {type(exc).__name__}: {exc}")
        raise CrawlError(f"cannot seed {launch.spider}: {exc}") from exc
    server.hset(keys.meta, mapping={
        "spider": launch.spider,
        "run_id": run_id,
        "purpose": launch.purpose,
        "case_ref": launch.case_ref or "",
        "user": launch.user or "",
        "args": json.dumps(launch.args, sort_keys=True),
        "seeded": seeded,
        "enqueued_at": datetime.now(UTC).isoformat(),
    })
    dist.touch(server, keys)
    server.set(dist.current_key(launch.spider), keys.crawl, ex=dist.KEY_TTL)
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            run = session.get(CrawlRun, run_id)
            assert run is not None
            run.report = {**(run.report or {}), "distributed": {
                "crawl_key": keys.crawl,
                "redis": dist.redact(settings.redis_url or ""),
                "seeded": seeded,
                "role": "launch",
                "notes": "pages are fetched by `vigie worker` runs; this run is closed by the "
                         "last worker with the totals of the whole crawl",
            }}
            session.add(run)
    finally:
        engine.dispose()
    if seeded == 0:
        _fail_run(settings, run_id, "the spider produced no start request: nothing to crawl")
    return Enqueued(run_id, keys.crawl, seeded)


def _fail_run(settings: Settings, run_id: int, note: str) -> None:
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            run = session.get(CrawlRun, run_id)
            if run is not None:
                run.status = "failed"
                run.finished_at = utcnow()
                notes = [*(run.report or {}).get("notes", []), note]
                run.report = {**(run.report or {}), "notes": notes}
                session.add(run)
    finally:
        engine.dispose()


class WorkerReportExtension(RunReportExtension):
    """The run report of one worker: what it fetched, its problems and limits — but neither
    the source's item expectations nor gone-marking, which only make sense for the whole
    crawl (see :func:`close_crawl`)."""

    def spider_closed(self, spider: Any, reason: str) -> None:
        super().spider_closed(_PartView(spider), reason)
        key = self.crawler.settings.get(dist.CRAWL_KEY) if self.crawler else None
        with session_scope(self.engine) as session:
            run = session.get(CrawlRun, self.run_id)
            if run is None:
                return
            notes = list((run.report or {}).get("notes", []))
            notes.append(f"one worker of the distributed crawl {key}: expectations and gone "
                         "ads are checked for the whole crawl on its launching run")
            run.report = {**(run.report or {}), "notes": notes,
                          "distributed": {"crawl_key": key, "role": "worker",
                                          "worker": self.crawler.settings.get(dist.WORKER_ID)
                                          if self.crawler else None}}
            session.add(run)
        self.engine.dispose()


class _PartView:
    """The spider as the run report sees it for one worker: a part of a crawl (``limit`` set,
    so no per-worker expectations and no gone-marking); everything else is the spider's."""

    limit = "part of a distributed crawl"

    def __init__(self, spider: Any) -> None:
        self._spider = spider

    def __getattr__(self, name: str) -> Any:
        return getattr(self._spider, name)


def scrapy_worker_settings(
    settings: Settings, spider: str, run_id: int, keys: dist.CrawlKeys, worker_id: str,
    idle_timeout: float, started: datetime, progress: bool,
) -> Any:
    """``vigie crawl``'s Scrapy settings, with the frontier in Redis and the worker parts."""
    from spiders.source import load_source

    s = scrapy_settings(settings, spider, run_id, progress, Resume((), started))
    spec = load_source(spider)
    delay = (settings.download_delay if settings.download_delay is not None
             else spec.politeness.download_delay)
    s.set("SCHEDULER", "spiders.distributed.RedisFrontier", priority="cmdline")
    s.set("DUPEFILTER_CLASS", "spiders.distributed.RedisDupeFilter", priority="cmdline")
    s.set(dist.REDIS_URL, settings.redis_url, priority="cmdline")
    s.set(dist.CRAWL_KEY, keys.crawl, priority="cmdline")
    s.set(dist.WORKER_ID, worker_id, priority="cmdline")
    s.set(dist.WORKER_IDLE, idle_timeout, priority="cmdline")
    s.set(dist.WORKER_STALE, settings.worker_stale_seconds, priority="cmdline")
    s.set(dist.SHARED_DELAY, delay, priority="cmdline")
    extensions = dict(s.getdict("EXTENSIONS"))
    extensions["pipelines.report.RunReportExtension"] = None
    extensions["vigie.distributed.WorkerReportExtension"] = 500
    extensions["spiders.distributed_worker.WorkerExtension"] = 510
    s.set("EXTENSIONS", extensions, priority="cmdline")
    s.set("SPIDER_MIDDLEWARES", {
        **s.getdict("SPIDER_MIDDLEWARES"),
        "spiders.distributed_worker.InflightAckMiddleware": 10,  # outermost: after all the output
    }, priority="cmdline")
    s.set("DOWNLOADER_MIDDLEWARES", {
        **s.getdict("DOWNLOADER_MIDDLEWARES"),
        "spiders.distributed_worker.SharedDomainDelayMiddleware": 700,
    }, priority="cmdline")
    return s


def wait_for_crawl(server: Any, spider: str, wait: float, poll: float = 0.5) -> str:
    """The key of the spider's current open crawl, waiting up to ``wait`` seconds for one."""
    deadline = time.monotonic() + wait
    while True:
        raw = server.get(dist.current_key(spider))
        if raw is not None and not server.exists(dist.CrawlKeys(raw.decode()).closed):
            return str(raw.decode())
        if time.monotonic() >= deadline:
            waited = f" within {wait:g} s" if wait else ""
            raise CrawlError(f"no distributed crawl of {spider} is enqueued{waited} "
                             f"(launch one with `vigie crawl {spider} --enqueue`)")
        time.sleep(poll)


def run_worker(
    settings: Settings, spider: str, idle_timeout: float = DEFAULT_IDLE, progress: bool = False,
    crawl: str | None = None, wait: float = 0.0,
) -> CrawlRun:
    """Join the current distributed crawl of ``spider`` (or the crawl key ``crawl``) until its
    queue stays empty for ``idle_timeout`` seconds; returns this worker's CrawlRun.

    ``wait``: seconds to wait for a crawl to be enqueued (by the scheduler) before giving up."""
    from scrapy.crawler import CrawlerProcess

    server = _redis(settings)
    if crawl is None:
        crawl = wait_for_crawl(server, spider, wait)
    keys = dist.CrawlKeys(crawl)
    meta = {k.decode(): v.decode() for k, v in server.hgetall(keys.meta).items()}
    if not meta or meta.get("spider") != spider:
        raise CrawlError(f"crawl {crawl} is not a crawl of {spider} (or has expired)")
    if server.exists(keys.closed):
        raise CrawlError(f"the distributed crawl {crawl} is over")
    settings.ensure_dirs()
    upgrade(settings.db_url)
    launch_id = int(meta["run_id"])
    args = json.loads(meta.get("args") or "{}")
    launch = Launch(spider, meta["purpose"], args, meta.get("case_ref") or None, "worker",
                    meta.get("user") or None)
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            parent = session.get(CrawlRun, launch_id)
            if parent is None:
                raise CrawlError(f"crawl {crawl} was launched by run {launch_id}, which is not "
                                 "in this database (workers must share the launcher's database)")
            started = parent.started_at
    finally:
        engine.dispose()
    started = started if started.tzinfo else started.replace(tzinfo=UTC)
    run_id = start_run(settings, launch)
    server.sadd(keys.runs, run_id)
    worker_id = dist.new_worker_id()
    s = scrapy_worker_settings(settings, spider, run_id, keys, worker_id, idle_timeout,
                               started, progress)
    import_tls_modules()  # before the reactor starts: see vigie.scrapy_imports
    process = CrawlerProcess(s)
    process.crawl(dist.worker_spider_class(_spider_class(spider)), **args)
    heap.settle()  # start-up done: see vigie.heap
    process.start()
    run = finished_run(settings, run_id, "the worker ended without writing its report")
    close_crawl(settings, server, keys)
    return run


def close_crawl(settings: Settings, server: Any, keys: dist.CrawlKeys) -> bool:
    """If the crawl is over (queue empty, no live worker), close it once: totals, expectations
    and gone ads on the launching run, keys retired. ``False`` if others still work."""
    stale = settings.worker_stale_seconds
    dist.recover_dead(server, keys, stale=stale)  # what dead workers held goes back first
    if server.zcard(keys.requests) or dist.live_workers(server, keys, stale=stale):
        return False
    if not server.set(keys.closed, datetime.now(UTC).isoformat(), nx=True, ex=dist.KEY_TTL):
        return False  # another worker closed it
    raw_id = server.hget(keys.meta, "run_id")
    if raw_id is None:
        log.error("crawl %s: its meta data expired; the launching run cannot be closed", keys.crawl)
        return False
    launch_id = int(raw_id)
    worker_runs = sorted(int(r) for r in server.smembers(keys.runs))
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            _close_launch(session, launch_id, worker_runs, keys.crawl)
    finally:
        engine.dispose()
    server.delete(keys.requests, keys.seen, keys.workers, keys.busy)
    spider = (server.hget(keys.meta, "spider") or b"").decode()
    if server.get(dist.current_key(spider)) == keys.crawl.encode():
        server.delete(dist.current_key(spider))
    return True


def _close_launch(session: Session, launch_id: int, worker_runs: list[int], key: str) -> None:
    from spiders.source import load_source

    launch = session.get(CrawlRun, launch_id)
    if launch is None:
        log.error("crawl %s: its launching run %s vanished", key, launch_id)
        return
    runs = session.exec(select(CrawlRun).where(col(CrawlRun.id).in_(worker_runs))).all()
    notes: list[str] = []
    for run in runs:
        if run.status == "running":  # killed worker: nobody wrote its report
            _count_from_rows(session, run)
            run.status = "failed"
            run.finished_at = utcnow()
            run.report = {**(run.report or {}), "notes": [
                "worker died before its end (pages and items counted from its captures)"]}
            session.add(run)
            notes.append(f"worker run {run.id} died before its end; the requests it held were "
                         "put back in the queue and crawled by the other workers")
        elif (run.report or {}).get("close_reason") not in (None, "finished"):
            notes.append(f"worker run {run.id} stopped early "
                         f"({run.report.get('close_reason')}); the requests it held were put "
                         "back in the queue")
    since = launch.started_at if launch.started_at.tzinfo else launch.started_at.replace(
        tzinfo=UTC)
    by_workers = sum(r.items_scraped for r in runs)
    # Distinct records this crawl saw: a page re-crawled after a worker died counts once.
    items = _records_seen(session, launch.spider, since)
    spec = load_source(launch.spider)
    limited = bool((launch.args or {}).get("limit"))
    status, expect_notes = check_expectations(
        items, None if limited else spec.expected.model_dump())
    notes += expect_notes
    problems = [p for r in runs for p in (r.report or {}).get("problems", [])]
    # The frontier is drained and nothing a worker held was lost (dead or stopped workers'
    # requests were put back and crawled), so only a limit can leave the source partly seen.
    partial = [r.id for r in runs
               if any((r.report or {}).get("limits", {}).get(k) for k in PARTIAL_LIMITS)]
    if partial:
        notes.append(f"worker runs {partial} hit a crawl limit: the source is only partly seen")
    ended_well = bool(runs) and not partial
    complete = status == "finished" and ended_well and not limited
    now = utcnow()
    gone = None
    if complete:
        unsure = {p.get("url") for p in problems if p.get("kind") not in ("http_404", "http_410")}
        gone = mark_gone(session, launch.spider, since, now, {u for u in unsure if u})
        if gone:
            notes.append(f"{gone} ads/listings of this source were not seen any more")
    if not runs:
        status = "failed"
        notes.append("no worker joined this crawl")
    launch.status = status
    launch.finished_at = now
    launch.items_scraped = items
    launch.pages_seen = sum(r.pages_seen for r in runs)
    launch.pages_blocked = sum(r.pages_blocked for r in runs)
    launch.errors_count = sum(r.errors_count for r in runs)
    launch.report = {
        **(launch.report or {}),
        "close_reason": "finished" if runs else "no_worker",
        "complete": complete,
        "expected": spec.expected.model_dump(),
        "gone": gone,
        "notes": [*(launch.report or {}).get("notes", []), *notes],
        "coverage": {"pages_seen": launch.pages_seen, "pages_blocked": launch.pages_blocked,
                     "covered": launch.pages_seen > launch.pages_blocked},
        "distributed": {**(launch.report or {}).get("distributed", {}),
                        "worker_runs": worker_runs,
                        "items_scraped_by_workers": by_workers,
                        "pages_per_worker": {str(r.id): r.pages_seen for r in runs}},
    }
    session.add(launch)


def _count_from_rows(session: Session, run: CrawlRun) -> None:
    """Pages and items of a worker that died before writing its report, from its rows."""
    from sqlalchemy import func

    run.pages_seen = int(session.exec(
        select(func.count()).select_from(Capture).where(Capture.run_id == run.id)).one())
    run.items_scraped = int(session.exec(
        select(func.count()).select_from(Record).join(Capture, Record.capture_id == Capture.id)
        .where(Capture.run_id == run.id)).one())


def _records_seen(session: Session, source: str, since: datetime) -> int:
    """How many records of ``source`` were seen since ``since`` (this crawl's items)."""
    from sqlalchemy import func

    return int(session.exec(select(func.count()).select_from(Record).where(
        Record.source == source, Record.last_seen >= since)).one())
