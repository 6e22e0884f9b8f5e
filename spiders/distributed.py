"""Distributed crawling on Redis: one crawl's frontier and dupefilter shared by many workers.

scrapy-redis 0.9 provides the Redis scheduler, queue and dupefilter; this module adapts them
to Scrapy 2.19 and to Vigie's crawls:

- **Seeding, not ``RedisSpider``.** scrapy-redis's ``RedisSpider`` feeds start URLs through
  ``start_requests()`` and the ``spider_idle`` signal; Scrapy >= 2.13 calls ``async def
  start()`` instead, and our spiders build their start requests themselves (sitemaps, search
  templates, arguments). So the launcher (:func:`seed`) iterates the spider's own ``start()``
  once and pushes those requests into the crawl's Redis queue; workers run the same spider
  with an empty ``start()`` (:func:`worker_spider_class`) and only pop from the queue.
- **Per-crawl keys.** Every key holds the crawl key (``<spider>-<run id>-<random>``, with
  the launching CrawlRun's id): ``vigie:crawl:<key>:requests`` (priority queue), ``:seen``
  (fingerprints), ``:meta`` (who launched it, why, with what arguments), ``:workers``/``:busy``
  (heartbeats), ``:inflight:<worker>`` (requests a worker holds), ``:runs`` (the workers'
  CrawlRun ids), ``:closed``; ``vigie:current:<spider>`` names the crawl
  workers join. A recrawl has a new key, so the previous run's fingerprints never block it;
  on top of that every key expires :data:`KEY_TTL` seconds after the last heartbeat or push,
  so an abandoned crawl does not stay in Redis forever.
- **Nothing deleted by a worker.** scrapy-redis's scheduler flushes the queue and its
  dupefilter deletes the fingerprints when one process closes; here the frontier is always
  persistent (the crawl belongs to every worker) and the last worker out closes the crawl.
- **Fingerprints** are Scrapy's own (``scrapy.utils.request.fingerprint``), not scrapy-redis's
  SHA-1 of method/URL/body, so the launcher and every worker agree with Scrapy's defaults.
- **Politeness across workers.** The worker parts live in :mod:`spiders.distributed_worker`;
  its ``SharedDomainDelayMiddleware`` spaces requests to one domain by the source's
  ``download_delay`` across all workers (a Redis script using Redis's own clock), so N workers
  are not N times as fast on a site as one crawl would be. Per-domain concurrency and
  AutoThrottle still act per worker.

Requests travel through Redis as tagged JSON (:mod:`spiders.redis_codec`), not as pickles
(scrapy-redis's default): a forged entry cannot run code in a worker. The Redis server should
still be reachable by the workers only: whoever writes to it can steer what they fetch.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.request import fingerprint
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from spiders import SpiderError, redis_codec
from spiders.middlewares import canonical_url

log = logging.getLogger(__name__)

# Scrapy setting names the worker runner passes.
REDIS_URL = "VIGIE_REDIS_URL"
CRAWL_KEY = "VIGIE_CRAWL_KEY"
WORKER_ID = "VIGIE_WORKER_ID"
WORKER_IDLE = "VIGIE_WORKER_IDLE"  # seconds the shared queue must stay empty before exiting
WORKER_STALE = "VIGIE_WORKER_STALE"  # seconds without a heartbeat before a worker is taken as dead
SHARED_DELAY = "VIGIE_SHARED_DELAY"  # seconds between two requests to one domain, all workers

KEY_TTL = 7 * 24 * 3600  # an abandoned crawl's keys vanish a week after its last activity
HEARTBEAT = 1.0  # seconds between two heartbeats of a worker
# Default of ``Settings.worker_stale_seconds``: a worker without a heartbeat for this long is
# taken as dead (what it held goes back in the queue).
STALE = 15.0
POLL = 0.25  # seconds between two looks at the shared queue while this worker is idle


class DistributedError(SpiderError):
    """The shared crawl in Redis is missing, unreachable or inconsistent."""


@dataclass(frozen=True)
class CrawlKeys:
    """The Redis key names of one distributed crawl."""

    crawl: str

    def _k(self, part: str) -> str:
        return f"vigie:crawl:{self.crawl}:{part}"

    @property
    def requests(self) -> str:
        return self._k("requests")

    @property
    def seen(self) -> str:
        return self._k("seen")

    @property
    def meta(self) -> str:
        return self._k("meta")

    @property
    def workers(self) -> str:
        return self._k("workers")

    @property
    def busy(self) -> str:
        return self._k("busy")

    @property
    def runs(self) -> str:
        return self._k("runs")

    @property
    def closed(self) -> str:
        return self._k("closed")

    @property
    def seq(self) -> str:
        return self._k("seq")

    @property
    def budget(self) -> str:
        """Detail pages taken against the spider's ``limit`` by the whole crawl."""
        return self._k("budget")

    def domain_pages(self, host: str) -> str:
        """Pages of ``host`` counted against the per-domain cap by the whole crawl."""
        return self._k(f"pages:{host}")

    def inflight(self, worker: str) -> str:
        """Requests ``worker`` popped and has not finished (put back if it dies)."""
        return self._k(f"inflight:{worker}")

    def throttle(self, domain: str) -> str:
        return self._k(f"next:{domain}")

    def all(self) -> list[str]:
        """Every fixed key of the crawl (throttle and domain-page keys expire on their own)."""
        return [self.requests, self.seen, self.meta, self.workers, self.busy, self.runs,
                self.closed, self.seq, self.budget]


def current_key(spider: str) -> str:
    """The key naming the crawl of ``spider`` that workers join."""
    return f"vigie:current:{spider}"


def crawl_key(spider: str, run_id: int) -> str:
    """A crawl's key: its spider, the id of the CrawlRun that launched it and a random part
    (two databases sharing one Redis, or a database started afresh, reuse run ids)."""
    return f"{spider}-{run_id}-{uuid.uuid4().hex[:6]}"


def connect(url: str) -> Any:
    """A Redis client for ``url``, checked with a PING (a clear error when unreachable)."""
    import redis

    server = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)
    try:
        server.ping()
    except redis.RedisError as exc:
        raise DistributedError(f"Redis at {redact(url)} is not reachable: {exc}") from exc
    return server


def redact(url: str) -> str:
    """``url`` without its password (for messages and reports)."""
    from urllib.parse import urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}"
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def touch(server: Any, keys: CrawlKeys, ttl: int = KEY_TTL) -> None:
    """Push back the expiry of every key of the crawl."""
    pipe = server.pipeline(transaction=False)
    for key in keys.all():
        pipe.expire(key, ttl)
    pipe.execute()


def live_workers(server: Any, keys: CrawlKeys, now: float | None = None,
                 stale: float = STALE) -> dict[str, bool]:
    """Workers with a heartbeat less than ``stale`` seconds old → whether they were busy
    (downloading or parsing)."""
    now = time.time() if now is None else now
    alive = server.zrangebyscore(keys.workers, now - stale, "+inf")
    busy = server.hgetall(keys.busy)
    return {
        w.decode(): busy.get(w, b"0") == b"1" for w in alive
    }


def requeue(server: Any, keys: CrawlKeys, worker: str) -> int:
    """Put the requests ``worker`` held back into the crawl's queue; how many.

    The worker's in-flight hash is first renamed (atomic: of two workers recovering the same
    dead one, only one gets the entries)."""
    import redis

    source = keys.inflight(worker)
    taken = f"{source}:requeue"
    try:
        server.rename(source, taken)
    except redis.ResponseError:  # no such key: nothing held, or someone else took it
        return 0
    entries = server.hgetall(taken)
    if entries:
        mapping: dict[bytes, float] = {}
        for value in entries.values():
            score, data = value.split(b"|", 1)
            mapping[data] = float(score)
        server.zadd(keys.requests, mapping)
    server.delete(taken)
    return len(entries)


def recover_dead(server: Any, keys: CrawlKeys, now: float | None = None,
                 stale: float = STALE) -> dict[str, int]:
    """Workers without a heartbeat for ``stale`` seconds: their held requests go back in the
    queue and they leave the worker list. Returns ``{worker: requests put back}``."""
    now = time.time() if now is None else now
    dead = [w.decode() for w in server.zrangebyscore(keys.workers, "-inf", now - stale)]
    recovered: dict[str, int] = {}
    for worker in dead:
        recovered[worker] = requeue(server, keys, worker)
        server.zrem(keys.workers, worker)
        server.hdel(keys.busy, worker)
        if recovered[worker]:
            log.warning("worker %s of crawl %s stopped answering: %d requests it held were "
                        "put back in the queue", worker, keys.crawl, recovered[worker])
    return recovered


def new_worker_id() -> str:
    """``host:pid:random`` — readable in reports, unique across machines."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# -- the shared frontier --------------------------------------------------------------------
class RedisDupeFilter(RFPDupeFilter):
    """scrapy-redis's Redis set of fingerprints with Scrapy's own fingerprints, never deleted
    when one worker closes (the set belongs to the whole crawl)."""

    def __init__(self, server: Any, key: str, debug: bool = False) -> None:
        super().__init__(server, key, debug)

    def request_fingerprint(self, request: Request) -> str:
        return fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: other workers still use them."""


# KEYS = requests zset, this worker's in-flight hash, sequence. Moves the first request of
# the queue into the in-flight hash (as "score|data" under a new token); returns token, data.
_POP_TO_INFLIGHT = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
local token = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], token, item[2] .. '|' .. item[1])
return {token, item[1]}
"""
INFLIGHT = "vigie_inflight"  # request.meta key: the token of a popped, unfinished request


class RedisFrontier(Scheduler):
    """scrapy-redis's scheduler for one crawl key: a shared priority queue and dupefilter.

    Always persistent (closing one worker never flushes the crawl) and never blocking the
    reactor (pops without a timeout; idle workers poll, see
    :class:`~spiders.distributed_worker.WorkerExtension`).
    A popped request is moved, in one Redis script, into this worker's in-flight hash and
    leaves it when its page has been parsed
    (:class:`~spiders.distributed_worker.InflightAckMiddleware`) or when it goes
    back to the queue (retry, redirect): a worker killed mid-crawl loses nothing, another
    worker puts what it held back in the queue (:func:`recover_dead`). A worker that stops
    early (Ctrl+C, evidence error) puts its own back; one that ends normally drops the
    leftovers (requests whose errback or a middleware ended them)."""

    def __init__(self, server: Any, keys: CrawlKeys, worker_id: str = "",
                 stats: Any = None) -> None:
        super().__init__(
            server,
            persist=True,
            queue_key=keys.requests,
            queue_cls="scrapy_redis.queue.PriorityQueue",
            dupefilter=RedisDupeFilter(server, keys.seen),
            dupefilter_key=keys.seen,
            serializer=redis_codec,
        )
        self.keys = keys
        self.worker_id = worker_id or new_worker_id()
        self.stats = stats
        self._pop = server.register_script(_POP_TO_INFLIGHT)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisFrontier:
        url = crawler.settings.get(REDIS_URL)
        key = crawler.settings.get(CRAWL_KEY)
        worker = crawler.settings.get(WORKER_ID)
        if not url or not key or not worker:
            raise DistributedError("the Redis frontier needs VIGIE_REDIS_URL, VIGIE_CRAWL_KEY "
                                   "and VIGIE_WORKER_ID")
        return cls(connect(url), CrawlKeys(key), worker, crawler.stats)

    def enqueue_request(self, request: Request) -> bool:
        token = request.meta.pop(INFLIGHT, None)  # a retry/redirect of a held request
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.queue.push(request)
        if token is not None:
            self.ack(token)  # the work is back in the queue: no longer held here
        if self.stats is not None:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        popped = self._pop(keys=[self.keys.requests, self.keys.inflight(self.worker_id),
                                 self.keys.seq])
        if not popped:
            return None
        token, data = popped
        request = redis_codec.bind_spider_methods(self.queue._decode_request(data), self.spider)
        request.meta[INFLIGHT] = int(token)
        if self.stats is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def ack(self, token: int) -> None:
        """The request ``token`` is done (its page parsed and its output queued/stored)."""
        self.server.hdel(self.keys.inflight(self.worker_id), token)

    def close(self, reason: str) -> None:
        if reason == "finished":
            self.server.delete(self.keys.inflight(self.worker_id))
            return
        back = requeue(self.server, self.keys, self.worker_id)
        if back:
            log.warning("worker %s closed early (%s): %d requests put back in the queue",
                        self.worker_id, reason, back)

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0


# -- launching: the spider's own start requests into the queue ------------------------------
def seed(server: Any, keys: CrawlKeys, spider: Any) -> int:
    """Run ``spider.start()`` (no engine, nothing fetched) and push its requests into the
    crawl's queue through its dupefilter. Returns how many were queued."""
    queue = PriorityQueue(server, spider, keys.requests, serializer=redis_codec)
    seen = RedisDupeFilter(server, keys.seen)

    async def collect() -> list[Any]:
        return [out async for out in spider.start()]

    spec = getattr(spider, "spec", None)
    cap = spec.limits.max_pages_per_domain if spec is not None else 0
    pages = RedisDomainPages(server, keys)
    pushed = 0
    for out in asyncio.run(collect()):
        if not isinstance(out, Request):
            raise DistributedError(
                f"{spider.name}.start() yielded {type(out).__name__}, not a request: "
                "only requests can be shared through Redis"
            )
        if not out.dont_filter and seen.request_seen(out):
            continue
        url = canonical_url(out.url)
        if cap and not pages.take(urlsplit(url).hostname or "", url, cap):
            continue  # as the trap guard of a single-process crawl drops it
        queue.push(out)
        pushed += 1
    # what start() took of the spider's limit (e.g. register numbers) counts for the crawl
    server.set(keys.budget, int(getattr(spider, "budget_used", 0)), ex=KEY_TTL)
    return pushed


class RedisBudget:
    """A spider's ``limit`` counted across every worker of one crawl (``INCR``: atomic, so
    two workers never both take the last page)."""

    def __init__(self, server: Any, key: str) -> None:
        self.server = server
        self.key = key

    def take(self, limit: int) -> bool:
        return int(self.server.incr(self.key)) <= limit

    def used(self) -> int:
        return int(self.server.get(self.key) or 0)


# KEYS[1]: the domain's set of page digests; ARGV: digest, cap, ttl. 1 if the page counts
# (already counted or room left), 0 if the domain is full. A script, so that two workers
# never both take the last place.
_TAKE_PAGE = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


class RedisDomainPages:
    """The per-domain page cap counted across every worker of one crawl: a Redis set per
    domain of 16-byte digests of the pages taken (the cap bounds its size)."""

    def __init__(self, server: Any, keys: CrawlKeys, ttl: int = KEY_TTL) -> None:
        self.keys = keys
        self.ttl = ttl
        self._script = server.register_script(_TAKE_PAGE)

    def take(self, host: str, url: str, cap: int) -> bool:
        digest = hashlib.blake2b(url.encode("utf-8"), digest_size=16).digest()
        return bool(self._script(keys=[self.keys.domain_pages(host)],
                                 args=[digest, cap, self.ttl]))


async def _no_start(self: Any) -> Any:
    """A worker's start: nothing; every request comes from the shared queue."""
    return
    yield  # pragma: no cover - makes this an async generator


def worker_spider_class(spider_cls: type) -> type:
    """``spider_cls`` with an empty ``start()``: same name, callbacks and parsing."""
    return type(f"{spider_cls.__name__}Worker", (spider_cls,), {"start": _no_start})
