"""Job-board spider: search pages → job-ad detail pages → ``job_ad`` items.

Follows ``a.job-link`` (ads) and ``a[rel=next]`` (next search page). Detail pages are parsed by
:func:`spiders.parsers.jobposting.parse_job_page` with the source's fallback selectors. A page
that does not parse is a "parse" problem (no item); a body that is not valid in its declared
charset is an "encoding" problem, and is still extracted after decoding it as cp1252.
Arguments: ``start_url`` (one search page instead of the YAML's start paths), plus the common
ones of :class:`~spiders.base.VigieSpider`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from spiders import ParseError
from spiders.base import VigieSpider
from spiders.parsers.encoding import declared_encoding, decode_body
from spiders.parsers.jobposting import parse_job_page


class JobsSpider(VigieSpider):
    name = "jobs"
    source_name = "jobs"
    item_kind = "job_ad"

    def __init__(self, *args: Any, start_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_url = start_url

    async def start(self) -> AsyncIterator[Request]:
        urls = [self.start_url] if self.start_url else [self.url(p) for p in self.spec.start_paths]
        for url in urls:
            yield Request(url, callback=self.parse_search, errback=self.errback)

    def parse_search(self, response: Response) -> Iterator[Request]:
        links = response.css("a.job-link::attr(href)").getall()
        if not links:
            self.report_problem(response.url, "parse", "search page without any a.job-link")
        for href in links:
            if not self.take_budget():
                return
            yield response.follow(href, callback=self.parse_ad, errback=self.errback)
        next_page = response.css("a[rel=next]::attr(href)").get()
        if next_page and self.budget_left():
            yield response.follow(next_page, callback=self.parse_search, errback=self.errback)

    def parse_ad(self, response: Response) -> Iterator[dict[str, Any]]:
        content_type = response.headers.get("Content-Type")
        declared = declared_encoding(
            content_type.decode("latin-1") if content_type else None, response.body
        )
        text, repaired = decode_body(response.body, declared)
        if repaired:
            self.report_problem(
                response.url,
                "encoding",
                f"body is not valid {declared or 'utf-8'} as declared; decoded as {repaired}",
            )
        try:
            result = parse_job_page(text, response.url, self.spec.fallbacks)
        except ParseError as exc:
            self.report_problem(response.url, "parse", exc.missing)
            return
        if repaired:
            result["fields"]["encoding_repaired"] = repaired
        yield self.make_item(response, result)
