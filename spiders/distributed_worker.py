"""The parts of a distributed crawl that run inside each worker's Scrapy process.

:class:`WorkerExtension` keeps the worker's heartbeat, puts back what dead workers held and
decides when the worker leaves; :class:`InflightAckMiddleware` releases a request once its
page is fully handled; :class:`SharedDomainDelayMiddleware` spaces requests to one domain
across all workers. The frontier and the key layout are in :mod:`spiders.distributed`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured

from spiders.distributed import (
    CRAWL_KEY,
    HEARTBEAT,
    INFLIGHT,
    KEY_TTL,
    POLL,
    REDIS_URL,
    SHARED_DELAY,
    STALE,
    WORKER_ID,
    WORKER_IDLE,
    WORKER_STALE,
    CrawlKeys,
    RedisBudget,
    RedisDomainPages,
    RedisFrontier,
    connect,
    live_workers,
    new_worker_id,
    recover_dead,
    touch,
)

log = logging.getLogger(__name__)


# -- a worker in the crawl: heartbeats, idle exit --------------------------------------------
class WorkerExtension:
    """Keeps a worker's heartbeat in Redis and decides when it leaves the crawl: when the
    shared queue stayed empty for ``idle_timeout`` seconds while no other worker was busy
    (a busy worker may still add requests). Another worker is taken as dead after ``stale``
    seconds without a heartbeat (``VIGIE_WORKER_STALE_SECONDS``)."""

    def __init__(
        self, server: Any, keys: CrawlKeys, worker_id: str, idle_timeout: float,
        crawler: Crawler | None = None, stale: float = STALE,
    ) -> None:
        self.server = server
        self.keys = keys
        self.worker_id = worker_id
        self.idle_timeout = idle_timeout
        self.crawler = crawler
        self.stale = stale
        self._idle_since: float | None = None
        self._loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerExtension:
        url = crawler.settings.get(REDIS_URL)
        key = crawler.settings.get(CRAWL_KEY)
        if not url or not key:
            raise NotConfigured("not a distributed worker")
        worker = crawler.settings.get(WORKER_ID) or new_worker_id()
        ext = cls(connect(url), CrawlKeys(key), worker,
                  crawler.settings.getfloat(WORKER_IDLE, 10.0), crawler,
                  crawler.settings.getfloat(WORKER_STALE, STALE))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any = None) -> None:
        from twisted.internet import task

        if spider is not None and getattr(spider, "limit", None) is not None:
            spider.shared_budget = RedisBudget(self.server, self.keys.budget)
        if spider is not None and hasattr(spider, "shared_domain_pages"):
            spider.shared_domain_pages = RedisDomainPages(self.server, self.keys)
        self.heartbeat()
        self._loop = task.LoopingCall(self.heartbeat)
        self._loop.start(HEARTBEAT, now=False)

    def _busy(self) -> bool:
        engine = self.crawler.engine if self.crawler is not None else None
        if engine is None:
            return False
        slot = engine.scraper.slot
        return bool(engine.downloader.active) or (slot is not None and not slot.is_idle())

    def heartbeat(self) -> None:
        pipe = self.server.pipeline(transaction=False)
        pipe.zadd(self.keys.workers, {self.worker_id: time.time()})
        pipe.hset(self.keys.busy, self.worker_id, "1" if self._busy() else "0")
        pipe.expire(self.keys.inflight(self.worker_id), KEY_TTL)
        pipe.execute()
        touch(self.server, self.keys)
        recovered = sum(recover_dead(self.server, self.keys, stale=self.stale).values())
        if recovered and self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("vigie/distributed/recovered_requests", recovered)

    def spider_idle(self) -> None:
        """Stay while the crawl may still grow; leave after ``idle_timeout`` of nothing."""
        now = time.monotonic()
        queued = self.server.zcard(self.keys.requests)
        others = {w: b for w, b in live_workers(self.server, self.keys, stale=self.stale).items()
                  if w != self.worker_id}
        if queued or any(others.values()) or self._held_elsewhere():
            self._idle_since = None
        elif self._idle_since is None:
            self._idle_since = now
        if self._idle_since is not None and now - self._idle_since >= self.idle_timeout:
            log.info("worker %s: the shared queue stayed empty for %.1f s, leaving",
                     self.worker_id, now - self._idle_since)
            return
        self._poke_soon()
        raise DontCloseSpider

    def _held_elsewhere(self) -> bool:
        """Whether another worker, alive or not yet taken as dead, still holds requests: a
        worker killed mid-page reports nothing more, and what it held only comes back to the
        queue once its heartbeat is stale — leaving before then would drop those pages."""
        workers = (w.decode() for w in self.server.zrange(self.keys.workers, 0, -1))
        return any(self.server.hlen(self.keys.inflight(w))
                   for w in workers if w != self.worker_id)

    def _poke_soon(self) -> None:
        """Look at the queue again in :data:`POLL` s rather than at Scrapy's 5 s heartbeat.

        Uses the engine's ``_slot.nextcall`` (no public way to ask for a scheduler poll)."""
        from twisted.internet import reactor

        def poke() -> None:
            engine = self.crawler.engine if self.crawler is not None else None
            slot = getattr(engine, "_slot", None)
            if slot is not None and slot.closing is None:
                slot.nextcall.schedule()

        reactor.callLater(POLL, poke)  # type: ignore[attr-defined]

    def spider_closed(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        pipe = self.server.pipeline(transaction=False)
        pipe.zrem(self.keys.workers, self.worker_id)
        pipe.hdel(self.keys.busy, self.worker_id)
        pipe.execute()


class InflightAckMiddleware:
    """Spider middleware, outermost: a page's request leaves the worker's in-flight hash once
    its callback output has all been handed on (requests queued in Redis) AND every item it
    yielded has left the item pipelines (``item_scraped``/``item_dropped``/``item_error``):
    Scrapy runs pipelines concurrently with the rest of the output, so the end of the output
    alone is too early (a worker killed then would lose the item)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._pending: dict[int, int] = {}  # token → items still in the pipelines
        self._output_done: set[int] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InflightAckMiddleware:
        if not crawler.settings.get(CRAWL_KEY):
            raise NotConfigured("not a distributed worker")
        mw = cls(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(mw.item_done, signal=signal)
        return mw

    @staticmethod
    def _token(response: Any) -> int | None:
        request = getattr(response, "request", None)
        return request.meta.get(INFLIGHT) if request is not None else None

    def _seen(self, response: Any, out: Any) -> None:
        token = self._token(response)
        if token is not None and not isinstance(out, Request):
            self._pending[token] = self._pending.get(token, 0) + 1

    def _finish_output(self, response: Any) -> None:
        token = self._token(response)
        if token is not None:
            self._output_done.add(token)
            self._maybe_ack(token)

    def item_done(self, item: Any, response: Any = None, **kwargs: Any) -> None:
        token = self._token(response)
        if token is not None and token in self._pending:
            self._pending[token] -= 1
            self._maybe_ack(token)

    def _maybe_ack(self, token: int) -> None:
        if token not in self._output_done or self._pending.get(token, 0) > 0:
            return
        self._output_done.discard(token)
        self._pending.pop(token, None)
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if isinstance(scheduler, RedisFrontier):
            scheduler.ack(token)

    def process_spider_output(self, response: Any, result: Iterable[Any]) -> Iterable[Any]:
        for out in result:
            self._seen(response, out)
            yield out
        self._finish_output(response)

    async def process_spider_output_async(self, response: Any, result: Any) -> Any:
        async for out in result:
            self._seen(response, out)
            yield out
        self._finish_output(response)


# -- politeness across workers ---------------------------------------------------------------
# KEYS[1] = the domain's "next slot" key; ARGV = delay (s), ttl (s). Returns the wait in µs.
_NEXT_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, nxt)
local delay = math.floor(tonumber(ARGV[1]) * 1000000)
redis.call('SET', KEYS[1], tostring(at + delay), 'EX', tonumber(ARGV[2]))
return at - now
"""


class SharedDomainDelayMiddleware:
    """Downloader middleware: before each request, take the domain's next free slot in Redis
    (one every ``delay`` seconds for all workers together) and wait for it."""

    def __init__(self, server: Any, keys: CrawlKeys, delay: float,
                 crawler: Crawler | None = None) -> None:
        self.keys = keys
        self.delay = delay
        self.crawler = crawler
        self._script = server.register_script(_NEXT_SLOT)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedDomainDelayMiddleware:
        url = crawler.settings.get(REDIS_URL)
        key = crawler.settings.get(CRAWL_KEY)
        delay = crawler.settings.getfloat(SHARED_DELAY, 0.0)
        if not url or not key or delay <= 0:
            raise NotConfigured("no shared per-domain delay")
        return cls(connect(url), CrawlKeys(key), delay, crawler)

    def wait_for(self, domain: str) -> float:
        """Seconds to wait before this worker may send a request to ``domain``."""
        micros = int(self._script(keys=[self.keys.throttle(domain)],
                                  args=[self.delay, max(60, int(self.delay * 10))]))
        return micros / 1_000_000

    async def process_request(self, request: Request) -> None:
        from urllib.parse import urlsplit

        wait = self.wait_for(urlsplit(request.url).netloc)
        if wait > 0:
            if self.crawler is not None and self.crawler.stats is not None:
                self.crawler.stats.inc_value("vigie/shared_delay/waited_seconds", wait)
            await asyncio.sleep(wait)
        return None
