"""Crawling like a professional: polite retries, loop and trap guards, limits that report.

Three Scrapy components, ordered in :data:`spiders.settings.DOWNLOADER_MIDDLEWARES` and
:data:`spiders.settings.SPIDER_MIDDLEWARES`:

- :class:`PoliteRetryMiddleware` replaces Scrapy's ``RetryMiddleware`` (same settings:
  ``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``) and waits before each retry:
  the server's ``Retry-After`` (seconds or HTTP date) when it sends one, capped at
  ``VIGIE_RETRY_AFTER_MAX``; otherwise an exponential back-off
  ``VIGIE_RETRY_BACKOFF_BASE * 2**attempt`` capped at ``VIGIE_RETRY_BACKOFF_MAX``.
  Scrapy 2.19's own middleware retries at once and ignores ``Retry-After``.
- :class:`LimitGuardMiddleware` (downloader, before ``RedirectMiddleware``) stops redirect
  loops and over-long redirect chains and names responses refused for their size.
- :class:`TrapGuardMiddleware` (spider) canonicalises URLs (session ids dropped, so a
  session-id loop ends in the dupefilter), caps chains of same-shaped URLs (pagination
  ``VIGIE_MAX_CHAIN``; date-shaped, i.e. calendars, ``VIGIE_MAX_DATE_CHAIN``), pages per
  domain (``VIGIE_MAX_PAGES_PER_DOMAIN``) and URL length (``URLLENGTH_LIMIT``).

Every limit hit becomes a problem in the run report (through the spider's ``report_problem``,
at most :data:`MAX_REPORTS_PER_KIND` individually, all counted in ``vigie/limits/<kind>``
stats), never a crash.
"""

from __future__ import annotations

import logging
import re
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet.defer import CancelledError
from twisted.internet.task import deferLater

from storage.models import utcnow

log = logging.getLogger(__name__)

MAX_REPORTS_PER_KIND = 10
SESSION_PARAMS = frozenset(
    {
        "jsessionid",
        "phpsessid",
        "sid",
        "sessionid",
        "session_id",
        "aspsessionid",
        "cfid",
        "cftoken",
        "zenid",
        "oscsid",
    }
)
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/?#]*", re.IGNORECASE)
# A year and month with a separator (2026-11, 2026/11/05); bare digit runs are ids, not dates.
_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d[-/](?:0[1-9]|1[0-2])(?:[-/]\d\d)?(?!\d)")
_DIGITS = re.compile(r"\d+")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class LimitReached(IgnoreRequest):
    """A request stopped by a crawl limit; already reported (the errback need not)."""

    vigie_reported = True


def _late(crawler: Crawler | None, name: str) -> Any:
    """``crawler.stats`` or ``crawler.spider``, ``None`` before the crawl has set them (Scrapy
    2.19 raises on reading ``stats`` early; ``spider`` is a plain attribute)."""
    if crawler is None:
        return None
    if name in crawler.__dict__:
        return crawler.__dict__[name]
    return getattr(crawler, f"_{name}", None)


def report(crawler: Crawler | None, url: str, kind: str, message: str, counts: dict) -> None:
    """Count a limit hit in the stats and report the first few through the spider."""
    counts[kind] = counts.get(kind, 0) + 1
    stats = _late(crawler, "stats")
    if stats is not None:
        stats.inc_value(f"vigie/limits/{kind}")
    spider = _late(crawler, "spider")
    if counts[kind] > MAX_REPORTS_PER_KIND:
        return
    if spider is not None and hasattr(spider, "report_problem"):
        spider.report_problem(url, kind, message)
    else:
        log.warning("limit %s at %s: %s", kind, url, message)


# -- URL shapes -------------------------------------------------------------------------------
def canonical_url(url: str) -> str:
    """``url`` without session ids (``;jsessionid=…`` path parameters, ``?sid=…`` queries)."""
    parts = urlsplit(url)
    path = _PATH_SESSION.sub("", parts.path)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if k.lower() not in SESSION_PARAMS]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    if path == parts.path and query == parts.query:
        return url
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def url_pattern(url: str) -> tuple[str, bool]:
    """The shape of a URL (digits → ``9``, query keys sorted) and whether it holds a date."""
    parts = urlsplit(url)
    pairs = sorted(parse_qsl(parts.query, keep_blank_values=True))
    dated = bool(_DATE.search(parts.path) or any(_DATE.search(v) for _, v in pairs))
    shape_query = "&".join(f"{k}={_DIGITS.sub('9', v)}" for k, v in pairs)
    return f"{parts.netloc}{_DIGITS.sub('9', parts.path)}?{shape_query}", dated


# -- downloader middlewares --------------------------------------------------------------------
def retry_after_seconds(value: bytes | str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; ``None`` if absent/invalid."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - utcnow()).total_seconds())


async def _sleep(seconds: float) -> None:
    if seconds <= 0:
        return
    from twisted.internet import reactor

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))  # type: ignore[arg-type]


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, with a wait: ``Retry-After`` (capped) or exponential back-off."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("VIGIE_RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("VIGIE_RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("VIGIE_RETRY_AFTER_MAX", 120.0)
        self._counts: dict[str, int] = {}

    def backoff(self, request: Request) -> float:
        attempt = int(request.meta.get("retry_times", 0))
        return min(self.backoff_max, self.backoff_base * (2**attempt))

    def wait_for(self, request: Request, response: Response | None) -> float:
        """Seconds to wait before retrying ``request`` (reports a capped ``Retry-After``)."""
        asked = retry_after_seconds(response.headers.get("Retry-After")) if response else None
        if asked is None:
            return self.backoff(request)
        if asked > self.retry_after_max:
            report(
                getattr(self, "crawler", None),
                request.url,
                "retry_after_capped",
                f"server asked to wait {asked:.0f} s (Retry-After); waited the maximum "
                f"{self.retry_after_max:.0f} s (VIGIE_RETRY_AFTER_MAX) instead",
                self._counts,
            )
            return self.retry_after_max
        return asked

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = self.wait_for(request, response)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if response.headers.get("Retry-After"):
            self.pause_domain(request, wait)
        self._waited(wait)
        await _sleep(wait)
        return retry

    def pause_domain(self, request: Request, seconds: float) -> bool:
        """Hold back the other requests to the same site too: the server said it is
        overloaded. Moves the download slot's "last request" time forward so the downloader
        waits ``seconds`` before its next request there (only for slots with a download
        delay, as Scrapy applies that wait only then). ``True`` if the slot was paused."""
        engine = _late(getattr(self, "crawler", None), "engine")
        downloader = getattr(engine, "downloader", None)
        if downloader is None:
            return False
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is None or not slot.download_delay():
            return False
        slot.lastseen = max(slot.lastseen, monotonic() + seconds - slot.download_delay())
        return True

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry"):
            return None
        wait = self.backoff(request)
        retry = self._retry(request, exception)
        if retry is None:
            return None
        self._waited(wait)
        await _sleep(wait)
        return retry

    def _waited(self, seconds: float) -> None:
        stats = _late(getattr(self, "crawler", None), "stats")
        if stats is not None:
            stats.inc_value("vigie/retry/waited_seconds", round(seconds, 3))


class LimitGuardMiddleware:
    """Redirect loops and chains, refused sizes: stopped and reported (downloader, 650)."""

    def __init__(self, max_redirects: int, crawler: Crawler | None = None) -> None:
        self.max_redirects = max_redirects
        self.crawler = crawler
        self._counts: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LimitGuardMiddleware:
        return cls(crawler.settings.getint("REDIRECT_MAX_TIMES"), crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return response
        target = canonical_url(urljoin(request.url, location.decode("latin-1")))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in {canonical_url(u) for u in chain}:
            hops = " → ".join([*chain[-4:], target])
            message = f"redirect loop after {len(chain)} hop(s): {hops}"
            self._stop(chain[0], "redirect_loop", message)
        if len(chain) > self.max_redirects:
            message = (
                f"more than {self.max_redirects} redirects (REDIRECT_MAX_TIMES) from {chain[0]}"
            )
            self._stop(chain[0], "redirect_limit", message)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A download cancelled for its size: announced too large (``DownloadCancelledError``)
        or cancelled while streaming past ``DOWNLOAD_MAXSIZE`` (a bare ``CancelledError``)."""
        if not isinstance(exception, DownloadCancelledError | CancelledError):
            return None
        maxsize = request.meta.get("download_maxsize") or (
            self.crawler.settings.getint("DOWNLOAD_MAXSIZE") if self.crawler else 0
        )
        detail = str(exception) or "cancelled while receiving the body"
        report(
            self.crawler,
            request.url,
            "too_large",
            f"response larger than DOWNLOAD_MAXSIZE ({maxsize} B): not downloaded ({detail})",
            self._counts,
        )
        raise LimitReached(f"too large: {detail}") from exception

    def _stop(self, url: str, kind: str, message: str) -> None:
        report(self.crawler, url, kind, message, self._counts)
        raise LimitReached(message)


class ReportingCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression (590), naming a body refused for its inflated size.

    Scrapy 2.19 applies ``DOWNLOAD_MAXSIZE`` to the *decompressed* size, chunk by chunk, so a
    gzip bomb is refused without being inflated in memory; it raises a plain
    ``IgnoreRequest`` that the spider would only see as "ignored". This subclass reports it
    as ``too_large``.
    """

    def __init__(self, stats: Any = None, *, crawler: Crawler | None = None) -> None:
        super().__init__(stats, crawler=crawler)
        self.crawler = crawler
        self._counts: dict[str, int] = {}

    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            if "DOWNLOAD_MAXSIZE" not in str(exc):
                raise
            report(self.crawler, request.url, "too_large", str(exc), self._counts)
            raise LimitReached(str(exc)) from exc


# -- spider middleware -------------------------------------------------------------------------
class TrapGuardMiddleware(BaseSpiderMiddleware):
    """Session ids, calendars and other endless chains, per-domain caps, over-long URLs."""

    def __init__(
        self,
        crawler: Crawler,
        max_chain: int = 10_000,
        max_date_chain: int = 36,
        max_pages_per_domain: int = 0,
        max_url_length: int = 2083,
    ) -> None:
        super().__init__(crawler)
        self.max_chain = max_chain
        self.max_date_chain = max_date_chain
        self.max_pages_per_domain = max_pages_per_domain
        self.max_url_length = max_url_length
        self._counts: dict[str, int] = {}
        self._per_domain: dict[str, set[str]] = {}
        self._capped_patterns: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrapGuardMiddleware:
        s = crawler.settings
        return cls(
            crawler,
            max_chain=s.getint("VIGIE_MAX_CHAIN", 10_000),
            max_date_chain=s.getint("VIGIE_MAX_DATE_CHAIN", 36),
            max_pages_per_domain=s.getint("VIGIE_MAX_PAGES_PER_DOMAIN", 0),
            max_url_length=s.getint("URLLENGTH_LIMIT", 2083),
        )

    def _report(self, url: str, kind: str, message: str) -> None:
        report(self.crawler, url, kind, message, self._counts)

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        url = canonical_url(request.url)
        if url != request.url:
            if not self._counts.get("session_id"):
                self._report(
                    request.url,
                    "session_id",
                    "session ids removed from URLs (a session-id loop would never end)",
                )
            else:
                self._counts["session_id"] += 1
            request = request.replace(url=url)
        if self.max_url_length and len(url) > self.max_url_length:
            self._report(
                url[:200] + "…",
                "url_too_long",
                f"URL of {len(url)} characters, longer than URLLENGTH_LIMIT "
                f"({self.max_url_length}): not followed",
            )
            return None
        pattern, dated = url_pattern(url)
        chain = 1
        if response is not None and url_pattern(response.url)[0] == pattern:
            chain = int(response.meta.get("vigie_chain", 1)) + 1
        limit = self.max_date_chain if dated else self.max_chain
        if limit and chain > limit:
            kind = "calendar_trap" if dated else "chain_limit"
            if pattern not in self._capped_patterns:
                self._capped_patterns.add(pattern)
                self._report(
                    url,
                    kind,
                    f"{chain - 1} pages of the shape {pattern} followed one another "
                    f"(limit {limit}, {'VIGIE_MAX_DATE_CHAIN' if dated else 'VIGIE_MAX_CHAIN'}): "
                    "stopped following, the rest of this chain is not covered",
                )
            return None
        request.meta["vigie_chain"] = chain
        if self.max_pages_per_domain and not self._domain_page(url):
            return None
        return request

    def _domain_page(self, url: str) -> bool:
        """Count ``url`` against its domain's page cap; ``False`` (reported) past the cap.

        In a distributed crawl the worker's spider carries the crawl's shared count
        (``shared_domain_pages``), so the cap bounds all workers together."""
        host = urlsplit(url).hostname or ""
        spider = getattr(self.crawler, "spider", None)
        shared = getattr(spider, "shared_domain_pages", None)
        if shared is not None:
            allowed = shared.take(host, url, self.max_pages_per_domain)
        else:
            seen = self._per_domain.setdefault(host, set())
            allowed = url in seen or len(seen) < self.max_pages_per_domain
            if allowed:
                seen.add(url)
        if not allowed:
            self._report(
                url,
                "domain_cap",
                f"more than {self.max_pages_per_domain} pages on {host} "
                "(VIGIE_MAX_PAGES_PER_DOMAIN): not followed",
            )
        return allowed
