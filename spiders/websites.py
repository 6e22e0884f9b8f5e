"""Company-website spider: a bounded visit of each site → one ``website`` item per site.

Per site: the home page, then only the links :func:`spiders.parsers.website.parse_website_page`
picks (legal notice, contact, about, conditions, privacy — best first) on the same registered
domain (for a host without one, e.g. the demo's 127.0.0.1, under the start URL's path), at most
``limits.pages_per_domain`` pages and two clicks from home. A site's pages are fetched one after
another — each page's callback (or errback) asks for the next — so the site's item is yielded
once its last page is done, failures included.

Why one item per site and not one per page: the law asks that the *site* show the enterprise
number, so "no number on any page seen" is a finding only the whole visit can state; matching
also wants every number, phone and address of the firm together. Every page stays linked:
each value lists its sightings (``found``: page URL, where on the page, capture id), the item's
``capture_id`` is the home page's capture and ``provenance["pages"]`` lists each page read
with its capture id and SHA-256.

Arguments: ``domains`` (comma-separated domains, URLs, or paths on ``base_url`` such as
``/sites/x/``; without it, the list page(s) of the YAML's ``start_paths`` are read and their
``a.site-link`` followed), ``pages_per_domain`` (overrides the YAML), ``limit`` (number of
sites), plus the common ones of :class:`~spiders.base.VigieSpider`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from entity_resolution.identifiers import site_domain
from spiders import ParseError, SpiderError
from spiders.base import VigieSpider, classify_failure
from spiders.parsers.website import (
    LINK_PRIORITY,
    PageExtract,
    merge_pages,
    parse_website_page,
    same_site,
)
from spiders.parsers.website import site_root_of as _root

MAX_LINK_DEPTH = 2
LIST_LINK = "a.site-link::attr(href)"


def parse_domains(text: str, base_url: str) -> list[str]:
    """``"firm.be, https://www.b.be/fr/, /sites/x/"`` → start URLs (``https://`` by default;
    a path is taken on ``base_url``). Anything else is a :class:`SpiderError`."""
    urls: list[str] = []
    for raw in re.split(r"[,;\s]+", text or ""):
        if not raw:
            continue
        if raw.startswith("/"):
            url = urljoin(base_url + "/", raw.lstrip("/"))
        elif raw.startswith(("http://", "https://")):
            url = raw
        elif re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:/\S*)?", raw):
            url = "https://" + raw
        else:
            raise SpiderError(f"not a domain or URL: {raw!r}")
        if not urlsplit(url).path:
            url += "/"
        urls.append(url)
    if not urls:
        raise SpiderError("domains= given but no domain in it")
    return urls


def site_key(url: str) -> str:
    """Identity of a site: its registered domain (on a site builder, the customer's host:
    :func:`~entity_resolution.identifiers.site_domain`), or host + path for hosts without one."""
    parts = urlsplit(url)
    domain = site_domain(parts.hostname)
    return domain or f"{parts.netloc}{_root(url)[len(parts.scheme) + 3 + len(parts.netloc):]}"


@dataclass
class SiteVisit:
    """The state of one site's visit: what is queued, read, failed."""

    start_url: str
    root: str
    key: str
    queue: list[tuple[int, int, str, str]] = field(default_factory=list)  # rank, depth, url, why
    seen: set[str] = field(default_factory=set)
    pages: list[PageExtract] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    captures: dict[str, int | None] = field(default_factory=dict)
    fetched: int = 0


class WebsitesSpider(VigieSpider):
    name = "websites"
    source_name = "websites"
    item_kind = "website"
    deferred_capture = False  # a site's item lists the capture ids of the pages read

    def __init__(
        self,
        *args: Any,
        domains: str | None = None,
        pages_per_domain: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls_given = parse_domains(domains, self.base_url) if domains else []
        try:
            self.pages_per_domain = int(
                self.spec.limits.pages_per_domain
                if pages_per_domain in (None, "")
                else pages_per_domain
            )
        except ValueError as exc:
            raise SpiderError(f"pages_per_domain must be an integer: {pages_per_domain!r}") from exc
        if self.pages_per_domain < 1:
            raise SpiderError("pages_per_domain must be at least 1")
        self.visits: dict[str, SiteVisit] = {}
        hosts = {urlsplit(u).hostname or "" for u in self.start_urls_given}
        if self.start_urls_given:
            self.allowed_domains = sorted(
                {site_domain(h) or h for h in hosts} | set(self.allowed_domains)
            )
        else:
            self.allowed_domains = []  # list mode: the sites listed may live anywhere

    async def start(self) -> AsyncIterator[Request]:
        if self.start_urls_given:
            for url in self.start_urls_given:
                request = self.open_site(url)
                if request is None:
                    return
                yield request
            return
        for path in self.spec.start_paths:
            yield Request(self.url(path), callback=self.parse_list, errback=self.errback)

    def parse_list(self, response: Response) -> Iterator[Request]:
        links = response.css(LIST_LINK).getall()
        if not links:
            self.report_problem(response.url, "parse", "site list without any a.site-link")
        for href in links:
            request = self.open_site(response.urljoin(href))
            if request is None:
                return
            yield request
        next_page = response.css("a[rel=next]::attr(href)").get()
        if next_page and self.budget_left():
            yield response.follow(next_page, callback=self.parse_list, errback=self.errback)

    # -- one site ----------------------------------------------------------------------------
    def open_site(self, url: str) -> Request | None:
        """The home-page request of a new site; ``None`` once ``limit`` sites are open."""
        key = site_key(url)
        if key in self.visits:
            self.report_problem(url, "duplicate", f"site {key} given twice; visited once")
            return None
        if not self.take_budget():
            return None
        visit = SiteVisit(start_url=url, root=_root(url), key=key)
        self.visits[key] = visit
        visit.seen.add(_norm(url))
        return self._request(visit, url, 0, "home")

    def _request(self, visit: SiteVisit, url: str, depth: int, why: str) -> Request:
        visit.fetched += 1
        return Request(
            url,
            callback=self.parse_page,
            errback=self.page_failed,
            cb_kwargs={"site": visit.key, "depth": depth, "why": why},
            dont_filter=True,  # the visit keeps its own "seen" set
        )

    def parse_page(
        self, response: Response, site: str, depth: int, why: str
    ) -> Iterator[Request | dict[str, Any]]:
        visit = self.visits[site]
        capture_id = response.meta.get("vigie_capture_id")
        entry = {"url": response.url, "why": why, "depth": depth, "status": response.status,
                 "capture_id": capture_id, "sha256": response.meta.get("vigie_capture_sha256")}
        visit.seen.add(_norm(response.url))
        if not isinstance(response, TextResponse):
            self.report_problem(response.url, "not_html", "page is not text/HTML; not read")
            visit.log.append({**entry, "problem": "not_html"})
            yield from self.next_or_finish(visit)
            return
        try:
            page = parse_website_page(response.text, response.url, visit.root)
        except ParseError as exc:
            self.report_problem(response.url, "parse", exc.missing)
            visit.log.append({**entry, "problem": "parse"})
            yield from self.next_or_finish(visit)
            return
        visit.pages.append(page)
        visit.captures[response.url] = capture_id
        visit.log.append(entry)
        if depth < MAX_LINK_DEPTH:
            for link in page.links:
                url = link["url"]
                if _norm(url) in visit.seen or not same_site(url, visit.root):
                    continue
                visit.seen.add(_norm(url))
                rank = LINK_PRIORITY.get(link["kind"], len(LINK_PRIORITY))
                visit.queue.append((rank, depth + 1, url, link["kind"]))
            visit.queue.sort(key=lambda q: (q[0], q[1]))
        yield from self.next_or_finish(visit)

    def page_failed(self, failure: Failure) -> Iterator[Request | dict[str, Any]]:
        """A page that did not download: reported, and the visit goes on."""
        self.errback(failure)
        request = failure.request  # type: ignore[attr-defined]
        visit = self.visits[request.cb_kwargs["site"]]
        kind, message = classify_failure(failure)
        visit.log.append({"url": request.url, "why": request.cb_kwargs["why"],
                          "depth": request.cb_kwargs["depth"], "problem": kind,
                          "message": message[:200]})
        yield from self.next_or_finish(visit)

    def next_or_finish(self, visit: SiteVisit) -> Iterator[Request | dict[str, Any]]:
        if visit.queue and visit.fetched < self.pages_per_domain:
            _, depth, url, why = visit.queue.pop(0)
            yield self._request(visit, url, depth, why)
            return
        item = self.site_item(visit)
        if item is not None:
            yield item

    def site_item(self, visit: SiteVisit) -> dict[str, Any] | None:
        """The site's item, or ``None`` (and a problem) when no page could be read."""
        if not visit.pages:
            self.report_problem(visit.start_url, "site", "no page of the site could be read")
            return None
        fields = merge_pages(visit.pages, visit.captures)
        language = fields.pop("language")
        home = visit.pages[0]
        names = fields.get("names") or []
        fields.update({
            "external_id": visit.key,
            "domain": visit.key,
            "site_url": visit.start_url,
            "employer_name": names[0]["value"] if names else None,
            "page_title": home.title,
            "has_enterprise_number": bool(fields["enterprise_numbers"]),
            "pages_seen": [p.url for p in visit.pages],
            "pages_failed": [
                {"url": e["url"], "problem": e["problem"]} for e in visit.log if "problem" in e
            ],
            "pages_left": len(visit.queue),
        })
        provenance: dict[str, Any] = {
            bucket: "; ".join(sorted({f"{f['where']}@{f['url']}" for v in values
                                      for f in v["found"]}))
            for bucket, values in fields.items()
            if isinstance(values, list) and values and isinstance(values[0], dict)
            and "found" in values[0]
        }
        provenance["pages"] = visit.log
        return {
            "kind": self.item_kind,
            "source": self.name,
            "url": home.url,
            "capture_id": visit.captures.get(home.url),
            "language": language,
            "fields": self.spec.apply_fixes(fields),
            "provenance": provenance,
        }


def _norm(url: str) -> str:
    return urldefrag(url)[0].rstrip("/")
