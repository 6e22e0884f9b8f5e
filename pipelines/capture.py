"""Every response goes to the evidence store (WARC + SHA-256) and to a Capture row.

The capture id is put in ``request.meta["vigie_capture_id"]`` (``response.meta`` in the spider),
so every item can point to the exact capture it was extracted from.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from sqlalchemy.engine import Engine

from pipelines import DB_URL, EVIDENCE_DIR, RUN_ID
from storage import EvidenceError
from storage.db import make_engine, session_scope
from storage.evidence import EvidenceStore
from storage.models import Capture

log = logging.getLogger(__name__)


def _screenshot_bytes(request: Request) -> bytes | None:
    methods = request.meta.get("playwright_page_methods") or ()
    if isinstance(methods, dict):
        methods = methods.values()
    for method in methods:
        if getattr(method, "method", None) == "screenshot":
            result = getattr(method, "result", None)
            if isinstance(result, bytes | bytearray) and result:
                return bytes(result)
    return None


class CaptureMiddleware:
    """Downloader middleware archiving each final response before the spider sees it."""

    def __init__(
        self,
        store: EvidenceStore,
        engine: Engine,
        run_id: int | None,
        crawler: Crawler | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.run_id = run_id
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        db_url = crawler.settings.get(DB_URL)
        evidence_dir = crawler.settings.get(EVIDENCE_DIR)
        if not db_url or not evidence_dir:
            raise NotConfigured("capture needs VIGIE_DB_URL and VIGIE_EVIDENCE_DIR")
        run_id = crawler.settings.getint(RUN_ID) or None
        from pathlib import Path

        store = EvidenceStore(Path(evidence_dir), name=f"run{run_id or 0}")
        mw = cls(store, make_engine(db_url), run_id, crawler)
        from scrapy import signals

        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_closed(self) -> None:
        self.store.close()
        self.engine.dispose()

    def process_response(self, request: Request, response: Response) -> Response:
        capture = self.capture(request, response)
        request.meta["vigie_capture_id"] = capture.id
        request.meta["vigie_capture_sha256"] = capture.sha256
        return response

    def capture(self, request: Request, response: Response) -> Capture:
        headers: list[tuple[str, str]] = []
        for key, values in response.headers.items():
            for value in values:
                headers.append((key.decode("latin-1"), value.decode("latin-1")))
        browser = bool(request.meta.get("playwright"))
        try:
            stored = self.store.write_response(
                response.url, response.status, headers, response.body
            )
            shot_hash = shot_path = None
            png = _screenshot_bytes(request) if browser else None
            if png:
                shot_hash, shot_path = self.store.write_screenshot(png)
        except EvidenceError as exc:
            # Nothing half written is taken as evidence: stop this request loudly.
            self._count("vigie/capture/errors")
            log.error("evidence not written for %s: %s", response.url, exc)
            self._stop(f"evidence_error: {exc}")
            raise IgnoreRequest(f"evidence not written: {exc}") from exc
        original = (request.meta.get("redirect_urls") or [request.url])[0]
        content_type = response.headers.get("Content-Type")
        capture = Capture(
            run_id=self.run_id,
            url=original,
            final_url=response.url,
            method=request.method,
            status=response.status,
            headers=_headers_dict(headers, request),
            content_type=content_type.decode("latin-1") if content_type else None,
            fetched_at=stored.fetched_at,
            sha256=stored.sha256,
            length=stored.length,
            warc_file=stored.warc_file,
            warc_offset=stored.warc_offset,
            warc_length=stored.warc_length,
            renderer="browser" if browser else "http",
            screenshot_sha256=shot_hash,
            screenshot_path=shot_path,
        )
        with session_scope(self.engine) as session:
            session.add(capture)
            session.flush()
        self._count("vigie/captures")
        return capture

    def _stop(self, reason: str) -> None:
        """Close the crawl: without evidence there is nothing worth fetching."""
        if self.crawler is None or self.crawler.engine is None:
            return
        from scrapy.utils.defer import deferred_from_coro

        if not getattr(self, "_stopping", False):
            self._stopping = True
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason[:200]))

    def _count(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def _headers_dict(headers: list[tuple[str, str]], request: Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in headers:
        out.setdefault(key, []).append(value)
    if request.meta.get("redirect_urls"):
        out["X-Vigie-Redirect-Chain"] = list(request.meta["redirect_urls"])
    return out
