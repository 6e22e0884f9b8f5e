"""Run ONE spider in this process and write what it did to a folder (used by the tests).

A Twisted reactor cannot restart within a process, so each test crawl is a subprocess:

    python tests/spiders/harness.py SPIDER OUT_DIR [-a name=value ...] [-s NAME=value ...]

Settings: the project module (spiders.settings), then the source's politeness and Playwright
settings (spiders.settings.crawl_settings), then test overrides (no delays). Writes
``items.jsonl`` (feed export), ``problems.json`` (spider.problems at close), ``stats.json`` and
``screenshots.json`` (first bytes, size and SHA-256 of each screenshot PageMethod result).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from spiders.settings import crawl_settings
from spiders.source import load_source

CHROMIUM = "/usr/bin/chromium"


def build_settings(spider_cls: Any, out: Path, overrides: dict[str, str]) -> Settings:
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    spec = load_source(spider_cls.source_name)
    settings.setdict(crawl_settings(spec, CHROMIUM), priority="project")
    settings.setdict(
        {
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY_JITTER": 0,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
            # the same retries of a 500, a twentieth of the waits (1 + 2 + 4 s otherwise)
            "VIGIE_RETRY_BACKOFF_BASE": 0.05,
            "LOG_LEVEL": "WARNING",
            "FEEDS": {str(out / "items.jsonl"): {"format": "jsonlines", "encoding": "utf-8"}},
        },
        priority="cmdline",
    )
    settings.setdict(overrides, priority="cmdline")
    return settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("spider")
    parser.add_argument("out", type=Path)
    parser.add_argument("-a", dest="args", action="append", default=[])
    parser.add_argument("-s", dest="sets", action="append", default=[])
    ns = parser.parse_args()
    ns.out.mkdir(parents=True, exist_ok=True)
    loader_settings = Settings()
    loader_settings.setmodule("spiders.settings", priority="project")
    spider_cls = SpiderLoader.from_settings(loader_settings).load(ns.spider)
    overrides = dict(s.split("=", 1) for s in ns.sets)
    process = CrawlerProcess(build_settings(spider_cls, ns.out, overrides))
    crawler = process.create_crawler(spider_cls)
    shots: list[dict[str, Any]] = []

    def response_received(response: Any, request: Any, spider: Any) -> None:
        for method in request.meta.get("playwright_page_methods") or ():
            result = getattr(method, "result", None)
            if getattr(method, "method", None) == "screenshot" and isinstance(result, bytes):
                shots.append(
                    {
                        "url": response.url,
                        "head": result[:8].hex(),
                        "size": len(result),
                        "sha256": hashlib.sha256(result).hexdigest(),
                    }
                )

    def spider_closed(spider: Any, reason: str) -> None:
        (ns.out / "problems.json").write_text(json.dumps(spider.problems, indent=1))
        stats = dict(crawler.stats.get_stats(), finish_reason_seen=reason)
        (ns.out / "stats.json").write_text(json.dumps(stats, indent=1, default=str))
        (ns.out / "screenshots.json").write_text(json.dumps(shots, indent=1))

    crawler.signals.connect(response_received, signal=signals.response_received)
    crawler.signals.connect(spider_closed, signal=signals.spider_closed)
    process.crawl(crawler, **dict(a.split("=", 1) for a in ns.args))
    process.start()


if __name__ == "__main__":
    main()
