"""Classifieds spider: JavaScript-rendered service listings, through a real browser.

Every request goes through scrapy-playwright (Chromium): wait until the script has rendered
what we need, then take a full-page screenshot. The capture middleware (pipelines room) reads
the PNG from the ``screenshot`` PageMethod's ``result`` in ``request.meta`` and stores it as
evidence; the item carries its SHA-256 and ``screenshot_taken``. Index pages: follow
``a.listing-link`` and ``a.next-page``. Detail pages:
:func:`~spiders.parsers.listing.parse_listing_page`.
A page whose script does not render in ``render_timeout_ms`` (spider argument, default 15 s)
is a "render" problem. Requires the settings of :func:`spiders.settings.playwright_settings`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response
from scrapy_playwright.page import PageMethod

from spiders import ParseError
from spiders.base import VigieSpider
from spiders.parsers.listing import parse_listing_page

INDEX_READY = "a.listing-link"
DETAIL_READY = 'body[data-ready="1"] article.listing'  # the script sets data-ready last
RENDER_TIMEOUT_MS = 15_000


def screenshot_png(meta: dict[str, Any]) -> bytes | None:
    """The PNG bytes of the ``screenshot`` PageMethod, once Playwright has run it."""
    methods = meta.get("playwright_page_methods") or ()
    if isinstance(methods, dict):
        methods = methods.values()
    for method in methods:
        if getattr(method, "method", None) == "screenshot":
            result = getattr(method, "result", None)
            if isinstance(result, bytes | bytearray) and result:
                return bytes(result)
    return None


class ListingsSpider(VigieSpider):
    name = "listings"
    source_name = "listings"
    item_kind = "listing"

    def __init__(self, *args: Any, render_timeout_ms: str | int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.render_timeout_ms = int(render_timeout_ms or RENDER_TIMEOUT_MS)

    def browser_request(self, url: str, callback: Any, ready: str) -> Request:
        """A Playwright request that waits for ``ready`` and screenshots the full page."""
        return Request(
            url,
            callback=callback,
            errback=self.errback,
            meta={
                "playwright": True,
                "playwright_include_page": False,
                "playwright_page_methods": [
                    PageMethod("wait_for_selector", ready, timeout=self.render_timeout_ms),
                    PageMethod("screenshot", full_page=True, type="png"),
                ],
            },
        )

    async def start(self) -> AsyncIterator[Request]:
        for path in self.spec.start_paths:
            yield self.browser_request(self.url(path), self.parse_index, INDEX_READY)

    def parse_index(self, response: Response) -> Iterator[Request]:
        links = response.css("a.listing-link::attr(href)").getall()
        if not links:
            self.report_problem(response.url, "parse", "rendered index without a.listing-link")
        for href in links:
            if not self.take_budget():
                return
            yield self.browser_request(response.urljoin(href), self.parse_listing, DETAIL_READY)
        next_page = response.css("a.next-page::attr(href)").get()
        if next_page and self.budget_left():
            yield self.browser_request(response.urljoin(next_page), self.parse_index, INDEX_READY)

    def parse_listing(self, response: Response) -> Iterator[dict[str, Any]]:
        try:
            result = parse_listing_page(response.text, response.url)
        except ParseError as exc:
            self.report_problem(response.url, "parse", exc.missing)
            return
        png = screenshot_png(response.meta)
        result["fields"]["screenshot_taken"] = png is not None
        if png is not None:
            result["fields"]["screenshot_sha256"] = hashlib.sha256(png).hexdigest()
        else:
            self.report_problem(response.url, "screenshot", "no screenshot bytes after render")
        yield self.make_item(response, result)
