"""The crawl baseline: a bare Scrapy spider over the demo job board.

It walks the same pages as Vigie's ``jobs`` spider (search pages, then every ``a.job-link``)
and parses each ad with the same parser (:func:`spiders.parsers.jobposting.parse_job_page`
with the source's fallbacks), under the same Scrapy settings as ``vigie crawl jobs``
(:func:`vigie.crawl.scrapy_settings`) minus Vigie's own components: no capture to WARC, no
database, no pipelines, no run report. The difference between the two is what Vigie's
evidence, normalisation, matching, storage and detection cost.

    python -m benchmarks.bare_spider --base-url URL --data-dir DIR --stats-out stats.json

Run in its own process (Twisted's reactor starts once per process).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from spiders import ParseError
from spiders.parsers.jobposting import parse_job_page
from spiders.source import load_source


class BareJobsSpider(scrapy.Spider):
    """Search pages → ad pages → parsed fields; nothing stored."""

    name = "bare_jobs"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = load_source("jobs")
        self.base_url = base_url.rstrip("/")
        self.parse_errors = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.reactor_cpu_at_start = time.thread_time()  # the reactor's thread, as Vigie's
        for path in self.spec.start_paths:
            yield scrapy.Request(self.base_url + path, callback=self.parse_search)

    def parse_search(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.css("a.job-link::attr(href)").getall():
            yield response.follow(href, callback=self.parse_ad)
        next_page = response.css("a[rel=next]::attr(href)").get()
        if next_page:
            yield response.follow(next_page, callback=self.parse_search)

    def parse_ad(self, response: Response) -> Iterator[dict[str, Any]]:
        try:
            yield parse_job_page(response.body, response.url, self.spec.fallbacks)
        except ParseError:
            self.parse_errors += 1

    def closed(self, reason: str) -> None:
        """CPU seconds of the reactor's thread from the first request to the close, as
        ``vigie/reactor_cpu_seconds`` of a Vigie crawl (``pipelines.report``)."""
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(
                "bare/reactor_cpu_seconds",
                round(time.thread_time() - getattr(self, "reactor_cpu_at_start", 0.0), 3))


def bare_settings(data_dir: Path) -> Any:
    """``vigie crawl jobs``'s Scrapy settings without Vigie's middlewares, pipelines and
    extensions (the Settings object is read from the environment, as the CLI does)."""
    from pipelines import DB_URL, DOWNLOADER_MIDDLEWARES, EVIDENCE_DIR, EXTENSIONS, RUN_ID
    from vigie.crawl import scrapy_settings
    from vigie.settings import Settings

    settings = Settings(data_dir=data_dir)
    s = scrapy_settings(settings, "jobs", 0, progress=False)
    s.set("ITEM_PIPELINES", {}, priority="cmdline")
    s.set(
        "DOWNLOADER_MIDDLEWARES",
        {
            k: v
            for k, v in s.getdict("DOWNLOADER_MIDDLEWARES").items()
            if k not in DOWNLOADER_MIDDLEWARES
        },
        priority="cmdline",
    )
    own = {*EXTENSIONS, "pipelines.progress.ProgressExtension"}
    s.set(
        "EXTENSIONS",
        {k: v for k, v in s.getdict("EXTENSIONS").items() if k not in own},
        priority="cmdline",
    )
    for name in (DB_URL, EVIDENCE_DIR, RUN_ID):
        s.set(name, None, priority="cmdline")
    s.set("LOG_FILE", str(data_dir / "logs" / "run-bare-jobs.log"), priority="cmdline")
    s.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # as vigie.crawl.run_crawl
    return s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_spider", description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--stats-out", type=Path, required=True)
    args = parser.parse_args(argv)

    from scrapy.crawler import CrawlerProcess

    args.data_dir.mkdir(parents=True, exist_ok=True)
    settings = bare_settings(args.data_dir)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareJobsSpider)
    process.crawl(crawler, base_url=args.base_url)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    stats["bare/parse_errors"] = getattr(spider, "parse_errors", None)
    stats["bare/depth_limit"] = settings.getint("DEPTH_LIMIT")
    args.stats_out.write_text(json.dumps(stats, default=str, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
