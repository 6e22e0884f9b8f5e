"""Aggregator XML feed spider: one feed document → one ``job_ad`` item per ``<job>``.

Fetches the YAML's ``start_paths`` (or ``feed_url``, a spider argument) and streams each feed
through :func:`spiders.parsers.jobfeed.iter_job_feed` (lxml ``iterparse``, XXE-safe), so a
feed of 100,000 ads is never held as one tree. Every item's ``url`` is the feed's URL (the
capture that proves it); the ad's own link, resolved against the feed URL, is
``fields["ad_url"]``. Provenance is ``feed:<tag>``. A feed that is not XML or holds no job is
a "parse" problem. The ``limit`` argument caps the items taken from the feed.

Abstract: every ``kind: job_feed`` YAML gets a subclass named after it (:mod:`spiders.boards`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from spiders import ParseError
from spiders.base import VigieSpider
from spiders.parsers.jobfeed import iter_job_feed


class FeedSpider(VigieSpider):
    """Base of the feed spiders (no ``name``: Scrapy lists only its YAML-made subclasses)."""

    item_kind = "job_ad"

    def __init__(self, *args: Any, feed_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.feed_url = feed_url

    async def start(self) -> AsyncIterator[Request]:
        urls = [self.feed_url] if self.feed_url else [self.url(p) for p in self.spec.start_paths]
        for url in urls:
            yield Request(url, callback=self.parse_feed, errback=self.errback)

    def parse_feed(self, response: Response) -> Iterator[dict[str, Any]]:
        jobs = iter_job_feed(response.body, response.url, self.spec.feed.item_tag)
        try:
            for job in jobs:
                if not self.take_budget():
                    return
                if job["url"]:
                    job["fields"]["ad_url"] = response.urljoin(job["url"])
                    job["provenance"]["ad_url"] = "feed:url"
                if not (job["fields"].get("title") or job["fields"].get("description")):
                    self.report_problem(
                        response.url, "parse", f"feed job {job['url']!r} without title or text"
                    )
                    continue
                yield self.make_item(response, job)
        except ParseError as exc:
            self.report_problem(response.url, "parse", exc.missing)
