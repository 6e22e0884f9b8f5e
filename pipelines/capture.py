"""Every response goes to the evidence store (WARC + SHA-256) and to a Capture row.

The capture id is put in ``request.meta["vigie_capture_id"]`` (``response.meta`` in the spider),
so every item can point to the exact capture it was extracted from.

Incremental crawling: a GET for a URL already captured with a 2xx status carries that
capture's validators (``If-None-Match`` from its ``ETag``, ``If-Modified-Since`` from its
``Last-Modified``, read from the stored headers). A ``304 Not Modified``, or a body whose
SHA-256 equals an earlier capture of the same URL and status, is NOT archived again: the
spider gets the earlier capture (rebuilt from its WARC record, hash re-checked) and its id, and
the item pipeline updates the Record's ``last_seen``/``seen_count`` instead.

Resume: when the runner resumes interrupted runs (``VIGIE_RESUME_RUNS``), a URL those runs
already captured with a 2xx status is replayed from the evidence store without any network
request, so the crawl rediscovers its links and items without fetching or storing anything
twice. A capture row exists only for a WARC record that was written and synced, so what a
killed process left half written is never replayed; before resuming, the runner cuts that
half-written record off the killed process's WARC file (:func:`repair_torn_tails`), so every
WARC file reads end to end.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from twisted.internet import defer
from twisted.python.failure import Failure

from pipelines import DB_URL, EVIDENCE_DIR, RESUME_RUNS, RUN_ID
from pipelines.batching import WriteBatcher
from pipelines.outage import DatabaseUnavailable, RetryPolicy, retry_unavailable
from storage import EvidenceError
from storage.db import make_engine, session_scope
from storage.evidence import EvidenceStore, scan_warc, sha256_hex
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


@dataclass(slots=True)
class PendingCapture:
    """A response whose WARC record is written, waiting for its Capture row (inserted with
    its batch, :meth:`CaptureMiddleware._insert_captures`): the row's values, and its id
    once inserted. Plain values, not a table model: making a SQLModel row costs a tenth
    of a millisecond per page, and the batch is inserted with Core anyway."""

    values: dict[str, Any]
    id: int | None = None
    # Deferred captures (the spider reads the response before the row exists): what the
    # batch ended with, and the items' Deferreds waiting for it.
    error: BaseException | None = None
    settled: bool = False
    waiters: list[defer.Deferred[int]] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return str(self.values["sha256"])

    def wait(self) -> defer.Deferred[int]:
        """A Deferred firing with the capture's id once its row is committed, or failing
        with what stopped it (its WARC record not synced, the database unavailable)."""
        waiter: defer.Deferred[int] = defer.Deferred()
        if not self.settled:
            self.waiters.append(waiter)
        elif self.error is not None:
            waiter.errback(Failure(self.error))
        else:
            waiter.callback(self.id)
        return waiter

    def settle(self, error: BaseException | None) -> None:
        """The batch is done: fire every waiter (reactor thread)."""
        self.settled, self.error = True, error
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if error is not None:
                waiter.errback(Failure(error))
            else:
                waiter.callback(self.id)


class CaptureMiddleware:
    """Downloader middleware archiving each final response before the spider sees it."""

    def __init__(
        self,
        store: EvidenceStore,
        engine: Engine,
        run_id: int | None,
        crawler: Crawler | None = None,
        replay_runs: Sequence[int] = (),
        conditional: bool = True,
        batch_size: int = 1,
        batch_wait: float = 0.05,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.run_id = run_id
        self.crawler = crawler
        self.replay_runs = list(replay_runs)
        self.conditional = conditional
        self.retry = retry or RetryPolicy(limit=120.0)
        self.batcher: WriteBatcher[PendingCapture] | None = None
        self.deferred_limit = max(4 * batch_size, 256)
        self._deferred: bool | None = None  # the spider's ``deferred_capture`` (read once)
        self._writer: Any = None  # the crawl's item writer (False: none), see _writer_room
        if batch_size > 1:
            self.batcher = WriteBatcher(
                self._insert_captures, batch_size, batch_wait, self._sync_evidence, self._full
            )
        # URLs captured before this crawl (2xx, and any status): only those can be reused,
        # so the per-request look-ups are skipped for every other URL. None: not loaded.
        self._known_ok: set[str] | None = None
        self._known: set[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        db_url = crawler.settings.get(DB_URL)
        evidence_dir = crawler.settings.get(EVIDENCE_DIR)
        if not db_url or not evidence_dir:
            raise NotConfigured("capture needs VIGIE_DB_URL and VIGIE_EVIDENCE_DIR")
        run_id = crawler.settings.getint(RUN_ID) or None
        store = EvidenceStore(Path(evidence_dir), name=f"run{run_id or 0}")
        replay = [int(r) for r in crawler.settings.getlist(RESUME_RUNS)]
        s = crawler.settings
        conditional = s.getbool("VIGIE_CONDITIONAL_REQUESTS", True)
        mw = cls(
            store,
            make_engine(db_url, busy_timeout=s.getfloat("VIGIE_DB_BUSY_TIMEOUT", 5.0)),
            run_id,
            crawler,
            replay,
            conditional,
            batch_size=s.getint("VIGIE_CAPTURE_BATCH", 64),
            batch_wait=s.getint("VIGIE_CAPTURE_BATCH_MS", 50) / 1000,
            retry=RetryPolicy(limit=s.getfloat("VIGIE_DB_OUTAGE_LIMIT", 120.0)),
        )
        mw.load_known()
        store.open()  # one WARC file per crawl process, even one that archives nothing
        from scrapy import signals

        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def load_known(self) -> None:
        """Read once which URLs have captures (instead of two queries per response)."""
        with Session(self.engine) as session:
            rows = session.exec(select(Capture.url, Capture.status).distinct()).all()
        self._known = {url for url, _ in rows}
        self._known_ok = {url for url, status in rows if 200 <= status < 300}

    async def spider_closed(self) -> None:
        if self.batcher is not None:
            from scrapy.utils.defer import maybe_deferred_to_future

            await maybe_deferred_to_future(self.batcher.flush())
        try:
            self.store.close()
        except EvidenceError as exc:
            log.error("evidence file not closed cleanly: %s", exc)
        self.engine.dispose()

    # -- incremental and resume --------------------------------------------------------------
    def process_request(self, request: Request) -> Response | None:
        if request.method != "GET" or request.meta.get("playwright"):
            return None
        if self.replay_runs:
            earlier = self._latest_ok(request.url, self.replay_runs)
            replayed = self._rebuild(request, earlier) if earlier is not None else None
            if replayed is not None:
                request.meta["vigie_replayed"] = True
                self._use(request, earlier, "vigie/captures/replayed")
                return replayed
        if self.conditional and not request.meta.get("vigie_no_conditional"):
            earlier = self._latest_ok(request.url)
            if earlier is not None:
                etag = _header(earlier.headers, "ETag")
                modified = _header(earlier.headers, "Last-Modified")
                if etag or modified:
                    request.meta["vigie_previous_capture_id"] = earlier.id
                if etag:
                    request.headers.setdefault("If-None-Match", etag)
                if modified:
                    request.headers.setdefault("If-Modified-Since", modified)
        return None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("vigie_replayed"):
            return response
        previous_id = request.meta.get("vigie_previous_capture_id")
        if response.status == 304 and previous_id:
            with Session(self.engine) as session:
                earlier = session.get(Capture, previous_id)
            rebuilt = self._rebuild(request, earlier) if earlier is not None else None
            if rebuilt is None or earlier is None:  # evidence unreadable: fetch in full
                retry = request.replace(dont_filter=True)
                for name in ("If-None-Match", "If-Modified-Since"):
                    retry.headers.pop(name, None)
                retry.meta["vigie_no_conditional"] = True
                retry.meta.pop("vigie_previous_capture_id", None)
                return retry
            self._use(request, earlier, "vigie/captures/not_modified")
            return rebuilt
        same = self._same_content(request, response)
        if same is not None:
            self._use(request, same, "vigie/captures/unchanged")
            return response
        if self.batcher is not None:
            return self._capture_batched(request, response)
        capture = self.capture(request, response)
        request.meta["vigie_capture_id"] = capture.id
        request.meta["vigie_capture_sha256"] = capture.sha256
        return response

    # -- batched captures --------------------------------------------------------------------
    async def _capture_batched(self, request: Request, response: Response) -> Response:
        """Append the WARC record now; the Capture row is committed with its batch, after the
        batch's records were synced — only then does the spider see the response."""
        from scrapy.utils.defer import maybe_deferred_to_future

        assert self.batcher is not None
        room = self._writer_room()
        if room is not None:  # the item writer is behind: this download waits for it
            self._count("vigie/captures/waited_for_writer")
            await maybe_deferred_to_future(room)
        capture = PendingCapture(self._archive(request, response, sync=False))
        if self._defers():
            # The spider reads the response now; its items wait for the row (see
            # :meth:`deferred`), so downloads never wait for a write of the database.
            done = self.batcher.add(capture)
            done.addCallbacks(self._settled, self._settled_badly,
                              callbackArgs=(capture,), errbackArgs=(capture, response.url))
            request.meta["vigie_capture_pending"] = capture
            request.meta["vigie_capture_sha256"] = capture.sha256
            return response
        try:
            await maybe_deferred_to_future(self.batcher.add(capture))
        except (EvidenceError, DatabaseUnavailable) as exc:
            raise self._not_recorded(response.url, exc) from exc
        request.meta["vigie_capture_id"] = capture.id
        request.meta["vigie_capture_sha256"] = capture.sha256
        self._count("vigie/captures")
        return response

    def _writer_room(self) -> Any:
        """The item writer's :meth:`~pipelines.items.PersistPipeline.room` (None: room, or
        no such writer in this crawl)."""
        if self._writer is None:
            engine = getattr(self.crawler, "engine", None)
            scraper = getattr(engine, "scraper", None)
            stages = getattr(getattr(scraper, "itemproc", None), "middlewares", ())
            self._writer = next((s for s in stages if hasattr(s, "room")), False)
        return self._writer.room() if self._writer else None

    def _defers(self) -> bool:
        """Whether this crawl's responses go on before their Capture rows are written: the
        spider says so (``deferred_capture``: its items carry the pending capture, which the
        item pipeline waits for), and only while fewer than ``deferred_limit`` captures wait
        (a database that stalls slows the downloads again instead of filling memory)."""
        if self._deferred is None:
            spider = getattr(self.crawler, "spider", None)
            self._deferred = bool(getattr(spider, "deferred_capture", False))
        return (
            self._deferred
            and self.batcher is not None
            and len(self.batcher.pending) < self.deferred_limit
        )

    def _settled(self, _: Any, capture: PendingCapture) -> None:
        self._count("vigie/captures")
        capture.settle(None)

    def _settled_badly(self, failure: Failure, capture: PendingCapture, url: str) -> None:
        error = failure.value
        if isinstance(error, EvidenceError | DatabaseUnavailable):
            error = self._not_recorded(url, error)
        elif not isinstance(error, IgnoreRequest):  # a fault of the write itself
            self._count("vigie/capture/errors")
            log.error("capture of %s not recorded: %r", url, error)
            error = IgnoreRequest(f"capture not recorded: {error!r}")
        capture.settle(error)

    def _not_recorded(self, url: str, exc: EvidenceError | DatabaseUnavailable) -> IgnoreRequest:
        """The capture of ``url`` failed: count it, stop the crawl (nothing without
        evidence is worth fetching) and return the error its response or items end with."""
        if isinstance(exc, EvidenceError):
            return self._fail(url, exc, raised=False)
        self._count("vigie/capture/errors")
        log.error("capture of %s not recorded: %s", url, exc)
        self._stop(f"database_unavailable: {exc}")
        return IgnoreRequest(f"capture not recorded: {exc}")

    def _remember(self, url: str, status: int) -> None:
        """This crawl captured ``url``: later look-ups for it (a retry, a redirect back)
        must query the database."""
        if self._known is not None:
            self._known.add(url)
        if self._known_ok is not None and 200 <= status < 300:
            self._known_ok.add(url)

    def _sync_evidence(self, captures: list[PendingCapture]) -> list[BaseException | None]:
        """Reactor thread, before the batch's rows are written: make its records durable.
        If that fails the records are cut off the file and every capture of the batch fails
        (and those still waiting for a batch: their records were cut off too)."""
        try:
            self.store.sync()
        except EvidenceError as exc:
            assert self.batcher is not None
            self.batcher.fail_pending(exc)
            return [exc] * len(captures)
        return [None] * len(captures)

    def _insert_captures(self, captures: list[PendingCapture]) -> list[PendingCapture]:
        """Worker thread: one transaction for the batch's Capture rows (retried while the
        database is unavailable, up to ``VIGIE_DB_OUTAGE_LIMIT``)."""

        def write() -> None:
            # One multi-row INSERT … RETURNING id in parameter order (Core: append-only rows
            # need none of the ORM's unit of work; the same column values as an ORM flush).
            table = Capture.__table__  # type: ignore[attr-defined]
            rows = [c.values for c in captures]
            statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            with self.engine.begin() as conn:
                ids = conn.execute(statement, rows).scalars().all()
            for capture, capture_id in zip(captures, ids, strict=True):
                capture.id = capture_id

        _, retries = retry_unavailable(
            write, self.retry, lambda _: self._count("vigie/capture/db_retries")
        )
        if retries:
            self._count("vigie/capture/delayed", len(captures))
        return captures

    def _full(self, pending: int) -> bool:
        """Every download in flight is waiting for this batch: write it now. (Deferred
        captures: no download waits for it; its size or its wait decides.)"""
        if self._deferred:
            return False
        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        active = getattr(downloader, "active", None)
        return active is not None and pending >= len(active)

    def _fail(self, url: str, exc: EvidenceError, raised: bool = True) -> IgnoreRequest:
        """Nothing half written is taken as evidence: stop the crawl loudly. Raises the
        response's error (or returns it, ``raised=False``)."""
        self._count("vigie/capture/errors")
        log.error("evidence not written for %s: %s", url, exc)
        if self.crawler is not None and self.crawler.stats is not None:
            if self.crawler.stats.get_value("vigie/evidence/error") is None:
                self.crawler.stats.set_value("vigie/evidence/error", str(exc))
        self._stop(f"evidence_error: {exc}")
        error = IgnoreRequest(f"evidence not written: {exc}")
        if raised:
            raise error from exc
        return error

    def _use(self, request: Request, capture: Capture, stat: str) -> None:
        """Point the request at an earlier capture instead of archiving a new one."""
        request.meta["vigie_capture_id"] = capture.id
        request.meta["vigie_capture_sha256"] = capture.sha256
        request.meta["vigie_capture_reused"] = True
        self._count(stat)

    def _latest_ok(self, url: str, runs: Sequence[int] | None = None) -> Capture | None:
        """The newest 2xx capture of ``url`` (among ``runs`` if given)."""
        if self._known_ok is not None and url not in self._known_ok:
            return None
        query = select(Capture).where(
            Capture.url == url, Capture.status >= 200, Capture.status < 300
        )
        if runs is not None:
            query = query.where(col(Capture.run_id).in_(list(runs)))
        with Session(self.engine) as session:
            return session.exec(query.order_by(col(Capture.id).desc()).limit(1)).first()

    def _same_content(self, request: Request, response: Response) -> Capture | None:
        """An earlier capture of this URL with the same status and body hash, if any."""
        original = (request.meta.get("redirect_urls") or [request.url])[0]
        if self._known is not None and original not in self._known:
            return None
        digest = sha256_hex(response.body)
        query = (
            select(Capture)
            .where(
                Capture.url == original,
                Capture.sha256 == digest,
                Capture.status == response.status,
                Capture.final_url == response.url,
            )
            .order_by(col(Capture.id).desc())
            .limit(1)
        )
        with Session(self.engine) as session:
            return session.exec(query).first()

    def _rebuild(self, request: Request, capture: Capture) -> Response | None:
        """The response of an earlier capture, read back from its WARC record; ``None`` if
        the record is unreadable or its hash differs (then the page is fetched again)."""
        try:
            body = self.store.read_body(capture.warc_file, capture.warc_offset)
        except EvidenceError as exc:
            log.warning("capture %s not reusable: %s", capture.id, exc)
            return None
        if sha256_hex(body) != capture.sha256:
            log.warning("capture %s not reusable: its body hash differs", capture.id)
            return None
        headers = Headers()
        for key, values in (capture.headers or {}).items():
            if key.lower() in _NOT_REPLAYED or key.startswith("X-Vigie-"):
                continue
            for value in values if isinstance(values, list) else [values]:
                headers.appendlist(key, value)
        cls = responsetypes.from_args(headers=headers, url=capture.final_url, body=body)
        return cls(
            url=capture.final_url,
            status=capture.status,
            headers=headers,
            body=body,
            request=request,
            flags=["vigie-reused"],
        )

    def capture(self, request: Request, response: Response) -> Capture:
        """Archive the response (synced at once) and commit its Capture row."""
        capture = Capture(**self._archive(request, response, sync=True))
        with session_scope(self.engine) as session:
            session.add(capture)
            session.flush()
        self._count("vigie/captures")
        return capture

    def _archive(self, request: Request, response: Response, sync: bool) -> dict[str, Any]:
        """Append the WARC record (and screenshot); the values of its Capture row (every
        column but the id), not yet stored."""
        headers: list[tuple[str, str]] = []
        for key, values in response.headers.items():
            for value in values:
                headers.append((key.decode("latin-1"), value.decode("latin-1")))
        browser = bool(request.meta.get("playwright"))
        try:
            stored = self.store.write_response(
                response.url, response.status, headers, response.body, sync=sync
            )
            shot_hash = shot_path = None
            png = _screenshot_bytes(request) if browser else None
            if png:
                shot_hash, shot_path = self.store.write_screenshot(png)
        except EvidenceError as exc:
            if self.batcher is not None:  # what waited for a sync was cut off with it
                self.batcher.fail_pending(exc)
            self._fail(response.url, exc)
        original = (request.meta.get("redirect_urls") or [request.url])[0]
        content_type = response.headers.get("Content-Type")
        self._remember(original, response.status)
        return {
            "run_id": self.run_id,
            "url": original,
            "final_url": response.url,
            "method": request.method,
            "status": response.status,
            "headers": _headers_dict(headers, request),
            "content_type": content_type.decode("latin-1") if content_type else None,
            "fetched_at": stored.fetched_at,
            "sha256": stored.sha256,
            "length": stored.length,
            "warc_file": stored.warc_file,
            "warc_offset": stored.warc_offset,
            "warc_length": stored.warc_length,
            "renderer": "browser" if browser else "http",
            "screenshot_sha256": shot_hash,
            "screenshot_path": shot_path,
        }

    def _stop(self, reason: str) -> None:
        """Close the crawl: without evidence there is nothing worth fetching."""
        if self.crawler is None or self.crawler.engine is None:
            return
        from scrapy.utils.defer import deferred_from_coro

        if not getattr(self, "_stopping", False):
            self._stopping = True
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason[:200]))

    def _count(self, key: str, n: int = 1) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, n)


def repair_torn_tails(evidence_dir: Path, run_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Cut the torn tail — a record half written when the process was killed — off the WARC
    files of the (dead) runs ``run_ids``, so that each file reads end to end again.

    Safe because a capture row is written only after its record is complete and synced: no
    capture points into a torn tail, and a complete record is never touched (the cut is at
    the end of the last complete gzip member, found by :func:`storage.evidence.scan_warc`).
    The caller must make sure no live process still writes these files (the runner resumes
    only runs whose crawl lease is not held). Returns what was cut, file by file."""
    repaired: list[dict[str, Any]] = []
    for run_id in sorted(set(run_ids)):
        for path in sorted((Path(evidence_dir) / "warc").glob(f"run{run_id}-*.warc.gz")):
            scan = scan_warc(path)
            if not scan.torn_bytes:
                continue
            with open(path, "r+b") as fh:
                fh.truncate(scan.complete_bytes)
                fh.flush()
                os.fsync(fh.fileno())
            log.warning(
                "%s: cut %d bytes of a record half written by killed run %s (%d complete "
                "records kept)", path.name, scan.torn_bytes, run_id, scan.records,
            )
            repaired.append(
                {
                    "file": f"warc/{path.name}",
                    "run": run_id,
                    "torn_bytes_removed": scan.torn_bytes,
                    "complete_records": scan.records,
                }
            )
    return repaired


_NOT_REPLAYED = ("content-encoding", "content-length", "transfer-encoding")


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    """A header of a stored capture, case-insensitively (Scrapy writes ``Etag``)."""
    for key, values in (headers or {}).items():
        if key.lower() == name.lower():
            value = values[0] if isinstance(values, list) and values else values
            return str(value) if value else None
    return None


def _headers_dict(headers: list[tuple[str, str]], request: Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in headers:
        out.setdefault(key, []).append(value)
    if request.meta.get("redirect_urls"):
        out["X-Vigie-Redirect-Chain"] = list(request.meta["redirect_urls"])
    return out
