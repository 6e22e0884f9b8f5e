"""The run report: what a crawl saw, what went wrong, and whether it met its source's
expectations. Written to the CrawlRun row when the spider closes.

Besides problems and coverage it records the crawl limits hit (``limits``: calendar traps,
redirect loops, refused sizes… see :mod:`spiders.middlewares`), retries and the time spent
waiting for them, what was not archived again (``incremental``: 304, unchanged bodies,
captures replayed by a resume), and — after a complete run only — how many of the source's
ads and listings were not seen any more (``gone``: their Records get ``gone_at``).
Keys the runner put in the report before the crawl (``robots_override``, ``resumed_from``)
are kept.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy.engine import Engine
from sqlmodel import select
from twisted.python.failure import Failure

from pipelines import CRAWL_STARTED_AT, DB_URL, RUN_ID
from pipelines.items import _aware, mark_gone
from storage.db import make_engine, session_scope
from storage.models import CrawlRun, utcnow

log = logging.getLogger(__name__)

MAX_PROBLEMS = 500
BLOCK_STATUSES = (401, 403, 429, 451, 503)
# Problem kinds that prove a page is gone; any other problem at a URL leaves its record alone.
GONE_PROBLEMS = ("http_404", "http_410")
# Limits that leave part of the source unseen: a run that hit one is not complete.
PARTIAL_LIMITS = ("depth_limit", "chain_limit", "domain_cap")


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _prefixed(stats: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in stats.items() if k.startswith(prefix)}


FILL_DROP = 0.25  # a field filled 25 points less often than in the previous run is reported
FILL_MIN_ITEMS = 20  # below this many items, rates are too noisy to compare


def fill_rates(stats: dict[str, Any]) -> dict[str, float]:
    """Share of items in which each field was filled (from ``vigie/fill/…`` stats)."""
    items = int(stats.get("vigie/fill_items", 0))
    if not items:
        return {}
    return {k: round(int(v) / items, 4) for k, v in sorted(_prefixed(stats, "vigie/fill/").items())}


def fill_drops(now: dict[str, float], before: dict[str, float], items_now: int,
               items_before: int) -> list[str]:
    """Fields much less often filled than in the previous run of the same spider."""
    if items_now < FILL_MIN_ITEMS or items_before < FILL_MIN_ITEMS:
        return []
    return [f"field {name!r} filled in {now.get(name, 0.0):.0%} of items, "
            f"{rate:.0%} in the previous run: the layout may have changed"
            for name, rate in sorted(before.items())
            if rate - now.get(name, 0.0) >= FILL_DROP]


def write_report(stats: dict[str, Any]) -> dict[str, int]:
    """How the batched write path fared (see :mod:`pipelines.outage`): batches committed,
    items delayed by retries, spooled to disk while the database was unavailable, replayed
    from the spool, and still spooled at the end (written by the next ``--resume``)."""
    keys = ("batches", "delayed", "spooled", "replayed", "spool_left", "retries", "waited_ms")
    out = {key: int(stats.get(f"vigie/writes/{key}", 0)) for key in keys}
    out["captures_delayed"] = int(stats.get("vigie/capture/delayed", 0))
    return out


def check_expectations(items: int, expected: dict[str, Any] | None) -> tuple[str, list[str]]:
    """Compare an item count with the source's ``min``/``max``: below min fails the run."""
    notes: list[str] = []
    status = "finished"
    if not expected:
        return status, notes
    low = expected.get("items_min")
    high = expected.get("items_max")
    if low is not None and items < int(low):
        status = "failed"
        notes.append(
            f"{items} items, fewer than the expected minimum {low}: the layout may "
            "have changed or the site blocked us"
        )
    if high is not None and items > int(high):
        notes.append(f"{items} items, more than the expected maximum {high}")
    return status, notes


class RunReportExtension:
    """Collects problems during the crawl and writes the report into the CrawlRun row."""

    def __init__(
        self,
        engine: Engine,
        run_id: int,
        crawler: Crawler | None = None,
        crawl_started_at: datetime | None = None,
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self.crawler = crawler
        self.crawl_started_at = crawl_started_at
        self.problems: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReportExtension:
        url = crawler.settings.get(DB_URL)
        run_id = crawler.settings.getint(RUN_ID)
        if not url or not run_id:
            raise NotConfigured("run report needs VIGIE_DB_URL and VIGIE_RUN_ID")
        started = crawler.settings.get(CRAWL_STARTED_AT)
        ext = cls(
            make_engine(url),
            run_id,
            crawler,
            _aware(datetime.fromisoformat(started)) if started else None,
        )
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self._reactor_cpu_at_open = time.thread_time()

    def _add(self, kind: str, url: str | None, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"kind": kind, "url": url, "message": message[:1000]})

    def spider_error(self, failure: Failure, response: Any, spider: Any) -> None:
        self._add(
            "spider_error",
            getattr(response, "url", None),
            f"{failure.type.__name__}: {failure.getErrorMessage()}",
        )

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any) -> None:
        self._add("dropped", getattr(response, "url", None), str(exception))

    def item_error(self, item: Any, response: Any, spider: Any, failure: Failure) -> None:
        self._add(
            "item_error",
            getattr(response, "url", None),
            f"{failure.type.__name__}: {failure.getErrorMessage()}",
        )

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            # CPU of the reactor's thread while the spider was open (this handler runs in
            # it): what the crawl process's own interpreter spent on downloading, parsing and
            # the stages run there (the benchmark compares it with a bare Scrapy crawl's).
            self.crawler.stats.set_value(
                "vigie/reactor_cpu_seconds",
                round(time.thread_time() - getattr(self, "_reactor_cpu_at_open", 0.0), 3))
        stats = self.crawler.stats.get_stats() if self.crawler and self.crawler.stats else {}
        problems = list(getattr(spider, "problems", [])) + self.problems
        items = int(stats.get("item_scraped_count", 0))
        source = getattr(spider, "source", None)
        expected = None
        if source is not None and getattr(source, "expected", None) is not None:
            exp = source.expected
            expected = exp.model_dump() if hasattr(exp, "model_dump") else dict(exp)
        limited = bool(getattr(spider, "limit", None))
        status, notes = check_expectations(items, None if limited else expected)
        if reason != "finished":
            status = "failed"
            notes.append(f"crawl closed early: {reason}")
        evidence_error = stats.get("vigie/evidence/error")
        if evidence_error:
            notes.append(
                f"evidence could not be written, the crawl stopped: {evidence_error}. "
                "Nothing half written was recorded; free space and run "
                "`vigie crawl … --resume` to go on"
            )
        writer_error = stats.get("vigie/writes/process_error")
        if writer_error:
            notes.append(
                f"{writer_error}: the crawl stopped. Items the writer had committed are "
                "stored and counted; the others failed (see problems). Run "
                "`vigie crawl … --resume` to go on"
            )
        writes = write_report(stats)
        if writes["spool_left"]:
            # Items wait in the spool: the crawl is not done. A close reason other than
            # "finished" makes `vigie crawl --resume` continue it (and replay the spool).
            status = "failed"
            reason = f"{reason}; {writes['spool_left']} items still spooled"
        if writes["spooled"] or writes["delayed"] or writes["spool_left"]:
            notes.append(
                f"database unavailable during the crawl: {writes['delayed']} items delayed "
                f"(written after retries), {writes['spooled']} spooled to disk, "
                f"{writes['replayed']} replayed"
                + (
                    f", {writes['spool_left']} still spooled (written by `--resume`)"
                    if writes["spool_left"]
                    else ""
                )
            )
        blocked = sum(
            int(stats.get(f"downloader/response_status_count/{s}", 0)) for s in BLOCK_STATUSES
        )
        seen = int(stats.get("response_received_count", 0))
        depth_limit = self.crawler.settings.getint("DEPTH_LIMIT") if self.crawler else 0
        depth_limited = bool(depth_limit) and int(stats.get("request_depth_max", 0)) >= depth_limit
        depth_note = (
            f"depth limit {depth_limit} reached: links deeper were not followed, "
            "the source is only partly covered"
        )
        if depth_limited:
            notes.append(depth_note)
        if seen and blocked == seen:
            status = "failed"
            notes.append("every page answered with a blocking status: source NOT covered")
        limits = _prefixed(stats, "vigie/limits/")
        if depth_limited:
            limits["depth_limit"] = limits.get("depth_limit", 0) + 1
            problems.append({"kind": "depth_limit", "url": None, "message": depth_note})
        with session_scope(self.engine) as session:
            run = session.get(CrawlRun, self.run_id)
            if run is None:
                log.error("crawl run %s vanished", self.run_id)
                return
            run.finished_at = utcnow()
            gone = None
            # Complete: ended normally, not a sample, no cap cut the source short.
            complete = (
                status == "finished"
                and reason == "finished"
                and not limited
                and not any(limits.get(k) for k in PARTIAL_LIMITS)
            )
            if complete:
                since = self.crawl_started_at or _aware(run.started_at)
                unsure = {p.get("url") for p in problems if p.get("kind") not in GONE_PROBLEMS}
                gone = mark_gone(
                    session,
                    getattr(spider, "name", run.spider),
                    since,
                    run.finished_at,
                    {u for u in unsure if u},
                )
                if gone:
                    notes.append(f"{gone} ads/listings of this source were not seen any more")
            rates = fill_rates(stats)
            previous = session.exec(
                select(CrawlRun).where(CrawlRun.spider == run.spider, CrawlRun.id != run.id,
                                       CrawlRun.status == "finished")
                .order_by(CrawlRun.id.desc()).limit(1)).first()
            fill_previous = None
            if previous is not None and (previous.report or {}).get("fill_rates"):
                fill_previous = {"run": previous.id, "items": previous.items_scraped}
                for drop in fill_drops(rates, previous.report["fill_rates"], items,
                                       previous.items_scraped or 0):
                    notes.append(drop)
                    problems.append({"kind": "fill_rate_drop", "url": None, "message": drop})
            run.status = status
            run.pages_seen = seen
            run.pages_blocked = blocked
            run.items_scraped = items
            run.errors_count = len(problems)
            run.pages_expected = (expected or {}).get("pages_min") if expected else None
            run.stats = _jsonable(stats)
            carried = {
                k: v
                for k, v in (run.report or {}).items()
                if k in ("robots_override", "resumed_from", "crawl_started_at", "warc_repaired")
            }
            run.report = _jsonable(
                {
                    **carried,
                    "close_reason": reason,
                    "complete": complete,
                    "limits": limits,
                    "retries": {
                        "count": int(stats.get("retry/count", 0)),
                        "gave_up": int(stats.get("retry/max_reached", 0)),
                        "waited_seconds": round(
                            float(stats.get("vigie/retry/waited_seconds", 0)), 3
                        ),
                        "reasons": _prefixed(stats, "retry/reason_count/"),
                    },
                    "incremental": {
                        "archived": int(stats.get("vigie/captures", 0)),
                        "not_modified": int(stats.get("vigie/captures/not_modified", 0)),
                        "unchanged": int(stats.get("vigie/captures/unchanged", 0)),
                        "replayed": int(stats.get("vigie/captures/replayed", 0)),
                    },
                    "gone": gone,
                    "writes": writes,
                    "fill_rates": rates,
                    "fill_compared_with": fill_previous,
                    "problems": problems,
                    "notes": notes,
                    "expected": expected,
                    "coverage": {
                        "pages_seen": seen,
                        "pages_blocked": blocked,
                        "covered": seen > blocked,
                    },
                    "dropped": {
                        k.split("/")[-1]: v
                        for k, v in stats.items()
                        if k.startswith("vigie/dropped/")
                    },
                    "matches": {
                        k.split("/")[-1]: v
                        for k, v in stats.items()
                        if k.startswith("vigie/matches/")
                    },
                }
            )
            session.add(run)
        self.engine.dispose()
