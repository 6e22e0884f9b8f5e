"""Classifieds spider: JavaScript-rendered service listings, through a real browser.

Every request goes through scrapy-playwright (Chromium) and does what a person would do before
the page is read, as PageMethods run by scrapy-playwright on the live page (so the captured HTML
and the screenshot show the result), driven by the ``browser`` section of ``listings.yaml``:

1. wait until the script has rendered what we need (``render_timeout_ms``, default 15 s; a page
   that never renders is a "render" problem and gets no screenshot);
2. dismiss the cookie-consent wall if one is shown (consent then lives in the browser context);
3. index pages: scroll to the bottom until no new listings appear, at most ``max_scrolls``
   times and no further than the ``limit`` budget needs (infinite scroll); detail pages: click
   "show phone" and wait for the number;
4. take a full-page screenshot. The capture middleware (pipelines room) reads the PNG from the
   ``screenshot`` PageMethod's ``result``; the item carries its SHA-256 and ``screenshot_taken``.

Index pages: follow the ads links and, after scrolling, the next-page link (it points after
the last batch shown). Detail pages: :func:`~spiders.parsers.listing.parse_listing_page`.
A wall that cannot be dismissed, or a detail page with neither a number, a show-phone button
nor a "no number" marker, is reported (``cookie_wall`` / ``phone``) and the page still kept.
Pages are closed by scrapy-playwright (``playwright_include_page`` stays false), contexts
recycled and the browser restarted by :mod:`spiders.browser_pool`. Requires the settings of
:func:`spiders.settings.playwright_settings`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from scrapy import Request
from scrapy.http import Response
from scrapy_playwright.page import PageMethod

from spiders import ParseError
from spiders.base import VigieSpider
from spiders.parsers.listing import parse_listing_page

INDEX_READY = "a.listing-link"
DETAIL_READY = 'body[data-ready="1"] article.listing'  # the script sets data-ready last
RENDER_TIMEOUT_MS = 15_000
SCROLL_TO_BOTTOM = "window.scrollTo(0, document.documentElement.scrollHeight)"
MORE_OR_END = """([links, n, end]) => document.querySelectorAll(links).length > n
    || (end !== null && document.querySelector(end) !== null)"""


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
        self.steps = self.spec.browser

    def browser_request(self, url: str, callback: Any, ready: str,
                        actions: tuple[Any, ...] = ()) -> Request:
        """A Playwright request: wait for ``ready``, run ``actions`` on the page, screenshot."""
        return Request(
            url,
            callback=callback,
            errback=self.errback,
            meta={
                "playwright": True,
                "playwright_include_page": False,  # scrapy-playwright closes every page
                "playwright_page_methods": [
                    PageMethod("wait_for_selector", ready, timeout=self.render_timeout_ms),
                    PageMethod(self.dismiss_cookie_wall),
                    *(PageMethod(action) for action in actions),
                    PageMethod("screenshot", full_page=True, type="png"),
                ],
            },
        )

    def index_request(self, url: str) -> Request:
        return self.browser_request(url, self.parse_index, INDEX_READY, (self.scroll_for_more,))

    def detail_request(self, url: str) -> Request:
        return self.browser_request(url, self.parse_listing, DETAIL_READY, (self.reveal_phone,))

    async def start(self) -> AsyncIterator[Request]:
        for path in self.spec.start_paths:
            yield self.index_request(self.url(path))

    # -- what a person does on the page (run by scrapy-playwright, page as first argument) ----
    async def dismiss_cookie_wall(self, page: Page) -> None:
        """Click "accept" on the consent wall if one is shown; consent stays in the context."""
        steps = self.steps
        if not steps.cookie_wall or not steps.cookie_accept:
            return
        wall = page.locator(steps.cookie_wall)
        if await wall.count() == 0:
            return  # consent already given in this context, or no wall on this site
        accept = page.locator(steps.cookie_accept)
        if await accept.count() == 0:
            self.report_problem(page.url, "cookie_wall",
                                f"cookie wall shown but no accept button ({steps.cookie_accept})")
            return
        try:
            await accept.first.click(timeout=steps.action_timeout_ms)
            await wall.first.wait_for(state="hidden", timeout=steps.action_timeout_ms)
        except PlaywrightError as exc:
            self.report_problem(page.url, "cookie_wall", f"cookie wall not dismissed: {exc}")
            return
        self._inc("cookie_walls_dismissed")

    async def scroll_for_more(self, page: Page) -> None:
        """Infinite scroll: scroll to the bottom until no new listing links appear."""
        steps, links = self.steps, self.spec.links.ads
        count = await page.locator(links).count()
        for _ in range(steps.max_scrolls):
            if self.limit is not None and count >= self.limit - self.budget_used:
                return  # enough links for what the budget still allows
            if steps.scroll_end and await page.locator(steps.scroll_end).count():
                return  # the site says nothing more will come
            await page.evaluate(SCROLL_TO_BOTTOM)
            try:
                await page.wait_for_function(MORE_OR_END, arg=[links, count, steps.scroll_end],
                                             timeout=steps.scroll_wait_ms)
            except PlaywrightError:
                return  # nothing new after a scroll: the list ended (or stopped loading)
            self._inc("scrolls")
            count = await page.locator(links).count()

    async def reveal_phone(self, page: Page) -> None:
        """Click "show phone" and wait for the number (shown as-is when there is no button)."""
        steps = self.steps
        if not steps.phone_button or not steps.phone_value:
            return
        value = page.locator(steps.phone_value)
        if await value.count():
            return  # the number is on the page without asking
        button = page.locator(steps.phone_button)
        if await button.count() == 0:
            if steps.phone_absent and await page.locator(steps.phone_absent).count():
                return  # this listing has no number to reveal
            self.report_problem(page.url, "phone", "no phone number, no show-phone button "
                                f"({steps.phone_button}) and no no-number marker")
            return
        try:
            await button.first.click(timeout=steps.action_timeout_ms)
            await value.first.wait_for(state="attached", timeout=steps.action_timeout_ms)
        except PlaywrightError as exc:
            self.report_problem(page.url, "phone", f"show-phone did not reveal a number: {exc}")
            return
        self._inc("phones_revealed")

    # -- parsing ------------------------------------------------------------------------------
    def parse_index(self, response: Response) -> Iterator[Request]:
        links = response.css(f"{self.spec.links.ads}::attr(href)").getall()
        if not links:
            self.report_problem(response.url, "parse", "rendered index without listing links")
        for href in links:
            if not self.take_budget():
                return
            yield self.detail_request(response.urljoin(href))
        next_css = self.spec.links.next_page
        next_page = response.css(f"{next_css}::attr(href)").get() if next_css else None
        if next_page and self.budget_left():
            yield self.index_request(response.urljoin(next_page))

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

    def _inc(self, key: str) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(f"vigie/browser/{key}")
