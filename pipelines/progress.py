"""A Rich progress display for long crawls (pages fetched, items, problems)."""

from __future__ import annotations

from typing import Any

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class ProgressExtension:
    """Shows a live line per crawl; switched on by the runner with ``VIGIE_PROGRESS``."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.pages = 0
        self.items = 0
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=False
        )
        self.task = self.progress.add_task(self._text(), total=None)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        if not crawler.settings.getbool("VIGIE_PROGRESS"):
            raise NotConfigured
        assert crawler.spidercls is not None
        ext = cls(crawler.spidercls.name)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response, signal=signals.response_received)
        crawler.signals.connect(ext.item, signal=signals.item_scraped)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def _text(self) -> str:
        return f"[bold]{self.label}[/]: {self.pages} pages, {self.items} items"

    def opened(self, spider: Any) -> None:
        self.progress.start()

    def response(self, **_: Any) -> None:
        self.pages += 1
        self.progress.update(self.task, description=self._text())

    def item(self, **_: Any) -> None:
        self.items += 1
        self.progress.update(self.task, description=self._text())

    def closed(self, spider: Any, reason: str) -> None:
        self.progress.update(self.task, description=self._text() + f" ({reason})")
        self.progress.stop()
