"""The run report: what a crawl saw, what went wrong, and whether it met its source's
expectations. Written to the CrawlRun row when the spider closes."""

from __future__ import annotations

import json
import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy.engine import Engine
from twisted.python.failure import Failure

from pipelines import DB_URL, RUN_ID
from storage.db import make_engine, session_scope
from storage.models import CrawlRun, utcnow

log = logging.getLogger(__name__)

MAX_PROBLEMS = 500
BLOCK_STATUSES = (401, 403, 429, 451, 503)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


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

    def __init__(self, engine: Engine, run_id: int, crawler: Crawler | None = None) -> None:
        self.engine = engine
        self.run_id = run_id
        self.crawler = crawler
        self.problems: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReportExtension:
        url = crawler.settings.get(DB_URL)
        run_id = crawler.settings.getint(RUN_ID)
        if not url or not run_id:
            raise NotConfigured("run report needs VIGIE_DB_URL and VIGIE_RUN_ID")
        ext = cls(make_engine(url), run_id, crawler)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

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
        blocked = sum(
            int(stats.get(f"downloader/response_status_count/{s}", 0)) for s in BLOCK_STATUSES
        )
        seen = int(stats.get("response_received_count", 0))
        depth_limit = self.crawler.settings.getint("DEPTH_LIMIT") if self.crawler else 0
        depth_limited = bool(depth_limit) and int(stats.get("request_depth_max", 0)) >= depth_limit
        if depth_limited:
            notes.append(
                f"depth limit {depth_limit} reached: links deeper were not followed, "
                "the source is only partly covered"
            )
        if seen and blocked == seen:
            status = "failed"
            notes.append("every page answered with a blocking status: source NOT covered")
        with session_scope(self.engine) as session:
            run = session.get(CrawlRun, self.run_id)
            if run is None:
                log.error("crawl run %s vanished", self.run_id)
                return
            run.finished_at = utcnow()
            run.status = status
            run.pages_seen = seen
            run.pages_blocked = blocked
            run.items_scraped = items
            run.errors_count = len(problems)
            run.pages_expected = (expected or {}).get("pages_min") if expected else None
            run.stats = _jsonable(stats)
            run.report = _jsonable(
                {
                    "close_reason": reason,
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
