"""Scrapy settings of the Vigie project (``scrapy.cfg`` → ``spiders.settings``), and builders.

Module-level names are the project defaults Scrapy reads. The crawl runner (integrator) merges
on top, in this order: :func:`source_settings` (politeness from the source's YAML), then
:func:`playwright_settings` when the source's ``renderer`` is ``browser`` (both at once:
:func:`crawl_settings`), then its own pipelines/middlewares/extensions.
No function here reads the environment: values are passed in.
"""

from __future__ import annotations

from typing import Any

from spiders.source import SourceSpec

BOT_NAME = "vigie"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
ROBOTSTXT_OBEY = True
USER_AGENT = "VigieBot/0.1 (+social-security inspection OSINT; contact: vigie@example.org)"
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# -- limits (each hit is reported as a problem of the run, never a crash) ----------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024  # also the largest *decompressed* body (gzip bombs)
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
URLLENGTH_LIMIT = 2083
DEPTH_LIMIT = 50
VIGIE_MAX_CHAIN = 10_000
VIGIE_MAX_DATE_CHAIN = 36
VIGIE_MAX_PAGES_PER_DOMAIN = 0

# -- retries: 429/5xx/timeouts, waiting Retry-After (capped) or an exponential back-off --------
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
VIGIE_RETRY_BACKOFF_BASE = 1.0
VIGIE_RETRY_BACKOFF_MAX = 60.0
VIGIE_RETRY_AFTER_MAX = 120.0

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.PoliteRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "spiders.middlewares.ReportingCompressionMiddleware": 590,
    "spiders.middlewares.LimitGuardMiddleware": 650,  # sees 3xx before RedirectMiddleware
}
SPIDER_MIDDLEWARES = {
    "spiders.middlewares.TrapGuardMiddleware": 950,  # before Depth (900) and UrlLength (800)
}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
BROWSER_RECYCLER = "spiders.browser_pool.BrowserRecycleMiddleware"


def source_settings(spec: SourceSpec) -> dict[str, Any]:
    """Politeness and limits of one source as Scrapy settings."""
    polite = spec.politeness
    limits = spec.limits
    return {
        "RETRY_TIMES": polite.retry_times,
        "VIGIE_RETRY_AFTER_MAX": polite.retry_after_max,
        "VIGIE_RETRY_BACKOFF_BASE": polite.retry_backoff_base,
        "DEPTH_LIMIT": limits.max_depth,
        "VIGIE_MAX_CHAIN": limits.max_chain,
        "VIGIE_MAX_DATE_CHAIN": limits.max_date_chain,
        "VIGIE_MAX_PAGES_PER_DOMAIN": limits.max_pages_per_domain,
        "URLLENGTH_LIMIT": limits.max_url_length,
        "DOWNLOAD_DELAY": polite.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5,  # each delay drawn in ±50 % of download_delay
        "CONCURRENT_REQUESTS_PER_DOMAIN": polite.concurrent_per_domain,
        "AUTOTHROTTLE_ENABLED": polite.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(polite.download_delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": polite.autothrottle_max_delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": polite.autothrottle_target_concurrency,
        "ROBOTSTXT_OBEY": polite.robots_obey,
    }


def playwright_settings(
    chromium: str | None,
    max_pages_per_context: int = 4,
    max_contexts: int = 2,
    navigation_timeout_ms: int = 30_000,
    recycle_context_after: int = 25,
    restart_browser_after: int = 400,
) -> dict[str, Any]:
    """scrapy-playwright 0.0.48 settings for Chromium.

    ``chromium`` is ``Settings.chromium_executable`` (Debian's ``/usr/bin/chromium``); ``None``
    falls back to Playwright's bundled browser where one is installed. Pages are bounded per
    context (at once) and contexts in number; on top of that
    :class:`spiders.browser_pool.BrowserRecycleMiddleware` closes each context after
    ``recycle_context_after`` pages and restarts the browser after ``restart_browser_after``
    pages (0 switches either off), so a long crawl's memory does not grow without limit.
    """
    launch: dict[str, Any] = {"headless": True, "args": list(CHROMIUM_ARGS)}
    if chromium:
        launch["executable_path"] = chromium
    return {
        "DOWNLOAD_HANDLERS": {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER},
        "TWISTED_REACTOR": TWISTED_REACTOR,
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max_pages_per_context,
        "PLAYWRIGHT_MAX_CONTEXTS": max_contexts,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": navigation_timeout_ms,
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
        # Nearest the download handler: sees every browser request last and its answer first.
        "DOWNLOADER_MIDDLEWARES": {BROWSER_RECYCLER: 950},
        "VIGIE_BROWSER_CONTEXT_PAGES": recycle_context_after,
        "VIGIE_BROWSER_RESTART_PAGES": restart_browser_after,
    }


def crawl_settings(spec: SourceSpec, chromium: str | None = None) -> dict[str, Any]:
    """Everything a source needs: its politeness, plus Playwright if it renders pages."""
    settings = source_settings(spec)
    if spec.renderer == "browser":
        settings.update(playwright_settings(chromium))
    return settings
