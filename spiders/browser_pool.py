"""Keep a long browser crawl's memory flat: recycle contexts, restart the browser.

Unbounded memory growth is the best-known scrapy-playwright failure: one context lives for
the whole crawl, and Chromium keeps caches, storage and leaked documents in it. scrapy-playwright
0.0.48 bounds pages *per context at once* (``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT``) and contexts
at once (``PLAYWRIGHT_MAX_CONTEXTS``) and relaunches a browser that disconnected
(``PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER``, on by default), but never retires a context nor
restarts a healthy browser. This downloader middleware does both:

- every browser request is given a context name ``vigie-<n>`` (``playwright_context``); after
  ``context_pages`` pages the name changes, and the old context is closed as soon as its last
  page has come back (so the next context starts with empty caches and storage);
- after ``restart_pages`` pages, new browser requests wait until the ones in flight have come
  back, then every context and the browser are closed; scrapy-playwright launches a fresh
  browser for the next page (its "disconnected" callback forgets the old one).

Requests whose spider chose a context itself (``playwright_context`` set before this
middleware) are left alone. Pages themselves are closed by scrapy-playwright when
``playwright_include_page`` is false (the spiders' default). Settings:
``VIGIE_BROWSER_CONTEXT_PAGES`` (0 = never recycle) and ``VIGIE_BROWSER_RESTART_PAGES``
(0 = never restart); stats under ``vigie/browser/``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from playwright.async_api import Error as PlaywrightError
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

log = logging.getLogger(__name__)

CONTEXT_PAGES = "VIGIE_BROWSER_CONTEXT_PAGES"
RESTART_PAGES = "VIGIE_BROWSER_RESTART_PAGES"
ASSIGNED = "vigie_browser_context"  # meta key: the context name this middleware gave
IN_FLIGHT = "vigie_browser_in_flight"  # meta key: counted in flight, not yet come back
DRAIN_POLL_S = 0.05
DISCONNECT_WAIT_S = 10.0


class BrowserRecycleMiddleware:
    """Context rotation every ``context_pages`` pages, browser restart every ``restart_pages``."""

    def __init__(self, context_pages: int, restart_pages: int,
                 crawler: Crawler | None = None) -> None:
        if context_pages <= 0 and restart_pages <= 0:
            raise NotConfigured("neither context recycling nor browser restart asked for")
        self.context_pages = context_pages
        self.restart_pages = restart_pages
        self.crawler = crawler
        self.generation = 0
        self.pages_in_context = 0
        self.pages_since_restart = 0
        self.in_flight: Counter[str] = Counter()
        self.retired: set[str] = set()
        self._restart_lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserRecycleMiddleware:
        return cls(
            crawler.settings.getint(CONTEXT_PAGES, 0),
            crawler.settings.getint(RESTART_PAGES, 0),
            crawler,
        )

    # -- the current context ---------------------------------------------------------------
    @property
    def context_name(self) -> str:
        return f"vigie-{self.generation}"

    def _rotate(self) -> list[str]:
        """Start a new context name; return retired names that can be closed now."""
        old = self.context_name
        self.generation += 1
        self.pages_in_context = 0
        self.retired.add(old)
        self._inc("context_rotations")
        return [old] if self.in_flight[old] == 0 else []

    # -- Scrapy hooks ----------------------------------------------------------------------
    async def process_request(self, request: Request) -> None:
        if not request.meta.get("playwright"):
            return None
        if request.meta.get("playwright_context") and ASSIGNED not in request.meta:
            return None  # the spider chose this context on purpose (retries keep ASSIGNED)
        if self.restart_pages and self.pages_since_restart >= self.restart_pages:
            await self._restart_browser()
        name = self.context_name
        request.meta["playwright_context"] = name
        request.meta[ASSIGNED] = name
        request.meta[IN_FLIGHT] = True
        self.in_flight[name] += 1
        self.pages_in_context += 1
        self.pages_since_restart += 1
        if self.context_pages and self.pages_in_context >= self.context_pages:
            for retired in self._rotate():
                await self._close_context(retired)
        return None

    async def process_response(self, request: Request, response: Response) -> Response:
        await self._done(request)
        return response

    async def process_exception(self, request: Request, exception: BaseException) -> None:
        await self._done(request)
        return None

    async def _done(self, request: Request) -> None:
        if not request.meta.pop(IN_FLIGHT, False):
            return
        name = request.meta.get(ASSIGNED)
        if name is None or self.in_flight[name] <= 0:
            return
        self.in_flight[name] -= 1
        if name in self.retired and self.in_flight[name] == 0:
            await self._close_context(name)

    # -- closing ---------------------------------------------------------------------------
    def _handler(self) -> Any:
        """scrapy-playwright's download handler of this crawl (``None`` if not loaded yet)."""
        if self.crawler is None or self.crawler.engine is None:
            return None
        handlers = self.crawler.engine.downloader.handlers
        return handlers._handlers.get("http") or handlers._handlers.get("https")

    async def _close_context(self, name: str) -> None:
        self.retired.discard(name)
        del self.in_flight[name]
        handler = self._handler()
        wrapper = getattr(handler, "context_wrappers", {}).get(name)
        if wrapper is None:
            return
        try:
            await wrapper.context.close()  # its "close" callback frees the context slot
        except PlaywrightError as exc:  # already gone with its browser: nothing left to free
            log.debug("context %s was already closed: %s", name, exc)
        self._inc("contexts_closed")

    async def _restart_browser(self) -> None:
        async with self._restart_lock:
            if self.pages_since_restart < self.restart_pages:
                return  # another request restarted it while this one waited
            while sum(self.in_flight.values()) > 0:
                await asyncio.sleep(DRAIN_POLL_S)
            handler = self._handler()
            for name in list(getattr(handler, "context_wrappers", {})):
                self.retired.add(name)
                self.in_flight.setdefault(name, 0)
                await self._close_context(name)
            browser = getattr(handler, "browser", None)
            if browser is not None:
                await browser.close()
                waited = 0.0
                while getattr(handler, "browser", None) is browser and waited < DISCONNECT_WAIT_S:
                    await asyncio.sleep(DRAIN_POLL_S)  # the handler forgets it on "disconnected"
                    waited += DRAIN_POLL_S
                if getattr(handler, "browser", None) is browser:
                    del handler.browser  # never reuse a closed browser
                self._inc("restarts")
                log.info("browser restarted after %d pages", self.pages_since_restart)
            self.in_flight.clear()
            self.retired.clear()
            self.generation += 1
            self.pages_in_context = 0
            self.pages_since_restart = 0

    def _inc(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"vigie/browser/{key}")
