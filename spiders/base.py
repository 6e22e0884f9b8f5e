"""The base of every Vigie spider: its source description, its arguments, its problem list.

A spider subclass sets ``name``, ``source_name`` and parses; this class loads the
:class:`~spiders.source.SourceSpec`, accepts the common spider arguments, builds items in the
contract's shape and keeps a list of problems (``self.problems``) that the run report reads:
a page that failed to download or to parse is an alarm, never silently nothing.

Spider arguments: ``base_url`` (overrides the YAML's), ``limit`` (max detail pages, for tests
and sampling), ``purpose`` and ``case_ref`` (why an analyst launched it; kept for the run).
Politeness is not set here (no ``custom_settings``): the runner applies
:func:`spiders.settings.source_settings` to ``self.spec``.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Protocol
from urllib.parse import urljoin, urlparse

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet import error as tx_error
from twisted.python.failure import Failure

from spiders import SpiderError
from spiders.source import SourceSpec, load_source

log = logging.getLogger(__name__)

TIMEOUTS = (
    DownloadTimeoutError,
    tx_error.TimeoutError,
    tx_error.TCPTimedOutError,
    defer.TimeoutError,
)
CONNECTION_ERRORS = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    ResponseDataLossError,
    tx_error.DNSLookupError,
    tx_error.ConnectError,
    tx_error.ConnectionLost,
    tx_error.ConnectionDone,
)


class SharedBudget(Protocol):
    """The ``limit`` counter of a crawl shared by several processes (Redis workers)."""

    def take(self, limit: int) -> bool:
        """Count one page; ``False`` (nothing counted for this process) past ``limit``."""

    def used(self) -> int:
        """Pages counted so far by the whole crawl."""


class SharedDomainPages(Protocol):
    """The per-domain page cap (``VIGIE_MAX_PAGES_PER_DOMAIN``) counted across every process
    of one crawl (Redis workers), so N workers do not fetch N times the cap from one site."""

    def take(self, host: str, url: str, cap: int) -> bool:
        """Count ``url`` on ``host`` (once, however often it is offered); ``False`` if it is
        new and ``host`` already has ``cap`` pages."""


class VigieSpider(scrapy.Spider):
    """Common ground of the Vigie spiders (abstract: no ``name``)."""

    source_name: ClassVar[str]
    item_kind: ClassVar[str]
    # Items carry their page's capture still being written (``pipelines.capture``): the
    # spider reads a response before its Capture row exists, and the item pipeline waits for
    # the row before storing the item. A spider that reads capture ids itself sets False.
    deferred_capture: ClassVar[bool] = True

    def __init__(
        self,
        *args: Any,
        base_url: str | None = None,
        limit: str | int | None = None,
        purpose: str | None = None,
        case_ref: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.spec: SourceSpec = load_source(self.source_name)
        self.base_url = (base_url or self.spec.base_url).rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise SpiderError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        try:
            self.limit = int(limit) if limit not in (None, "") else None
        except ValueError as exc:
            raise SpiderError(f"limit must be an integer, got {limit!r}") from exc
        self.purpose = purpose
        self.case_ref = case_ref
        self.problems: list[dict[str, str]] = []
        self.budget_used = 0
        self.shared_budget: SharedBudget | None = None  # set by a distributed worker
        self.shared_domain_pages: SharedDomainPages | None = None  # likewise
        host = urlparse(self.base_url).hostname or ""
        if base_url is None and self.spec.allowed_domains:
            self.allowed_domains = list(self.spec.allowed_domains)
        else:
            self.allowed_domains = [host]

    @property
    def source(self) -> SourceSpec:
        """The source description (alias of ``spec``; the run report reads ``expected``)."""
        return self.spec

    # -- helpers for subclasses --------------------------------------------------------------
    def url(self, path: str) -> str:
        """An absolute URL on this run's base URL."""
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def take_budget(self) -> bool:
        """Count one detail page against ``limit``; ``False`` once the limit is reached.

        In a distributed crawl the count is the whole crawl's (:class:`SharedBudget`), so
        ``limit`` bounds what all workers fetch together, not each of them."""
        if self.shared_budget is not None and self.limit is not None:
            if not self.shared_budget.take(self.limit):
                return False
            self.budget_used += 1
            return True
        if self.limit is not None and self.budget_used >= self.limit:
            return False
        self.budget_used += 1
        return True

    def budget_left(self) -> bool:
        if self.shared_budget is not None and self.limit is not None:
            return self.shared_budget.used() < self.limit
        return self.limit is None or self.budget_used < self.limit

    def make_item(self, response: Response, result: dict[str, Any]) -> dict[str, Any]:
        """An item in the contract's shape from a parser result."""
        fields = self.spec.apply_fixes(dict(result["fields"]))
        return {
            "kind": self.item_kind,
            "source": self.name,
            "url": response.url,
            "capture_id": (response.meta.get("vigie_capture_id")
                           or response.meta.get("vigie_capture_pending")),
            "language": result.get("language"),
            "fields": fields,
            "provenance": dict(result.get("provenance") or {}),
        }

    # -- problems ----------------------------------------------------------------------------
    def report_problem(self, url: str, kind: str, message: str) -> None:
        """Record a problem for the run report and count it in the crawl stats."""
        self.problems.append({"url": url, "kind": kind, "message": message})
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(f"vigie/problems/{kind}")
        log.warning("problem %s at %s: %s", kind, url, message)

    def errback(self, failure: Failure) -> None:
        """Report a failed download: HTTP status, timeout, connection or rendering error."""
        if getattr(failure.value, "vigie_reported", False):
            return  # a crawl limit (spiders.middlewares) already reported it
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "(unknown)"
        kind, message = classify_failure(failure)
        self.report_problem(url, kind, message)


def classify_failure(failure: Failure) -> tuple[str, str]:
    """``(kind, message)`` for a download failure, e.g. ``("http_500", "HTTP 500 …")``."""
    value = failure.value
    if failure.check(HttpError):
        status = value.response.status
        return f"http_{status}", f"HTTP {status} after retries"
    if failure.check(*TIMEOUTS):
        return "timeout", f"download timed out: {value}"
    if failure.check(*CONNECTION_ERRORS):
        return "connection", f"{type(value).__name__}: {value}"
    if type(value).__module__.startswith("playwright"):
        return "render", f"browser rendering failed: {type(value).__name__}: {value}"
    if failure.check(IgnoreRequest):
        if "robots.txt" in str(value):
            return "robots", f"not fetched: {value}"
        return "ignored", f"request ignored: {value}"
    return "download", f"{type(value).__name__}: {value}"
