"""Job-board spider, driven by the source's YAML: list pages and/or sitemaps → ad pages.

Where to start (``start_paths``: list pages; ``sitemap_urls``: sitemaps, index or urlset,
plain or gzipped), which links are ads and which is the next list page (``links.ads``,
``links.next_page``, CSS or ``xpath:``; default ``a.job-link`` and ``a[rel=next]``), which ad
URLs to keep (``links.allow``/``links.deny`` regexes) and the fallback selectors of the detail
pages all come from the YAML; this class only crawls. Detail pages are parsed by
:func:`spiders.parsers.jobposting.parse_job_page` (JSON-LD, microdata, RDFa, then fallbacks).
A page that does not parse is a "parse" problem (no item); a list page or sitemap without any
ad link too; a body that is not valid in its declared charset is an "encoding" problem, and
is still extracted after decoding it as cp1252.

``jobs`` is the demo board; every other ``kind: job_board`` YAML gets a subclass of this
spider named after it (:mod:`spiders.boards`). Arguments: ``start_url`` (one list page instead
of the YAML's start), ``sitemap_url`` (one sitemap instead), ``query`` (the board's own search
box: the list pages of ``url_templates.search``, e.g. ``/jobs/search?q={query}``, for an
employer name, a phone or a number — a targeted launch, :mod:`vigie.investigate`), plus the
common ones of :class:`~spiders.base.VigieSpider`. A search page with no ad link but the
board's "no results" notice (``url_templates.search_empty``, a CSS selector) is an answer
(counted as ``jobs/search_without_hits``), not a layout problem.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote_plus

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders import ParseError, SpiderError
from spiders.base import VigieSpider
from spiders.parsers.encoding import declared_encoding, decode_body
from spiders.parsers.jobposting import parse_job_page
from spiders.selectors import link_targets
from spiders.sitemaps import read_sitemap

AD_PRIORITY = 10
"""Ad pages go before search and sitemap pages (priority 0) in the crawl's queue."""

AD_LOOKAHEAD = 100
"""While fewer ad pages than this wait to be fetched or parsed, the next search page goes
before them (``AD_PRIORITY + 1``), so the downloads never run dry while a search page is
fetched and read; past it, the next search page waits behind the ads. The queue holds at most
about this many ads plus one page of them, however large the board."""


class JobsSpider(VigieSpider):
    name = "jobs"
    source_name = "jobs"
    item_kind = "job_ad"

    def __init__(
        self,
        *args: Any,
        start_url: str | None = None,
        sitemap_url: str | None = None,
        query: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.query = (query or "").strip() or None
        if self.query:
            template = self.spec.url_templates.get("search")
            if not template or "{query}" not in template:
                raise SpiderError(
                    f"{self.name} has no search URL (url_templates.search with {{query}} in "
                    f"{self.name}.yaml): it cannot be searched, only crawled whole"
                )
            start_url = self.url(template.format(query=quote_plus(self.query)))
        self.start_url = start_url
        self.sitemap_url = sitemap_url
        links = self.spec.links
        self._allow = re.compile(links.allow) if links.allow else None
        self._deny = re.compile(links.deny) if links.deny else None
        # Ad requests yielded and not yet parsed, failed or dropped (see AD_LOOKAHEAD).
        self.ads_waiting = 0

    async def start(self) -> AsyncIterator[Request]:
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            from scrapy import signals

            crawler.signals.connect(self._request_dropped, signal=signals.request_dropped)
        if self.start_url or self.sitemap_url:
            lists = [self.start_url] if self.start_url else []
            sitemaps = [self.sitemap_url] if self.sitemap_url else []
        else:
            lists = [self.url(p) for p in self.spec.start_paths]
            sitemaps = [self.url(p) for p in self.spec.sitemap_urls]
        for url in sitemaps:
            yield Request(url, callback=self.parse_sitemap, errback=self.errback)
        for url in lists:
            yield Request(url, callback=self.parse_search, errback=self.errback)

    def wanted(self, url: str) -> bool:
        """Whether an ad URL passes the source's ``allow``/``deny`` patterns."""
        if self._allow is not None and not self._allow.search(url):
            return False
        return self._deny is None or not self._deny.search(url)

    def ad_request(self, url: str) -> Request:
        """An ad page, ahead of the next search page (``AD_PRIORITY``) once enough ads wait
        (:data:`AD_LOOKAHEAD`), so the queue holds a bounded number of ads instead of every
        ad of the board (memory stays flat on a 100,000-ad crawl)."""
        self.ads_waiting += 1
        return Request(url, callback=self.parse_ad, errback=self.ad_failed, priority=AD_PRIORITY)

    def _ad_done(self) -> None:
        self.ads_waiting = max(0, self.ads_waiting - 1)

    def ad_failed(self, failure: Failure) -> None:
        self._ad_done()
        self.errback(failure)

    def _request_dropped(self, request: Request, spider: Any = None) -> None:
        """The scheduler refused an ad request (seen before): it will not be parsed."""
        if request.callback == self.parse_ad:
            self._ad_done()

    def next_search_priority(self) -> int:
        """Priority of the next search page (see :data:`AD_LOOKAHEAD`)."""
        return AD_PRIORITY + 1 if self.ads_waiting < AD_LOOKAHEAD else 0

    def parse_search(self, response: Response) -> Iterator[Request]:
        links = self.spec.links
        hrefs = [response.urljoin(h) for h in link_targets(response.selector, links.ads)]
        if not hrefs:
            empty = self.spec.url_templates.get("search_empty")
            if self.query and empty and response.css(empty):
                self.logger.info("search for %r: the board has no ad", self.query)
                crawler = getattr(self, "crawler", None)
                if crawler is not None and crawler.stats is not None:
                    crawler.stats.inc_value("jobs/search_without_hits")
                return
            self.report_problem(response.url, "parse", f"list page without any {links.ads}")
        for url in hrefs:
            if not self.wanted(url):
                continue
            if not self.take_budget():
                return
            yield self.ad_request(url)
        if links.next_page and self.budget_left():
            pages = link_targets(response.selector, links.next_page)
            if pages:
                yield response.follow(pages[0], callback=self.parse_search, errback=self.errback,
                                      priority=self.next_search_priority())

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        try:
            sitemap = read_sitemap(response, response.meta.get("download_maxsize") or 0)
        except ParseError as exc:
            self.report_problem(response.url, "parse", exc.missing)
            return
        if not sitemap.urls:
            self.report_problem(response.url, "parse", f"empty <{sitemap.kind}>")
        for url in sitemap.urls:
            if sitemap.kind == "sitemapindex":
                if not self.budget_left():
                    return
                yield Request(url, callback=self.parse_sitemap, errback=self.errback)
            elif self.wanted(url):
                if not self.take_budget():
                    return
                yield self.ad_request(url)

    def parse_ad(self, response: Response) -> Iterator[dict[str, Any]]:
        self._ad_done()
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
