"""Item pipelines: validate → normalise → store → match → detect.

Each stage is a thin adapter over a pure room. Problems with one item drop that item with a
reason (counted in the run report); they never stop the crawl.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import resource
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlmodel import Session, col, func, select

from entity_resolution.matcher import Candidate, Matcher, MatchQuery
from pipelines import (
    CRAWL_STARTED_AT,
    DB_URL,
    EVIDENCE_DIR,
    RESUME_RUNS,
    RUN_ID,
    SPOOL_DIR,
    PipelineError,
)
from pipelines.gazette_network import apply_publication_persons
from pipelines.match_process import MatchProcess
from pipelines.matcher_cache import BACKGROUND_MIN, MatcherLoader, cache_folder
from pipelines.normalize import normalize_item
from pipelines.outage import (
    DatabaseUnavailable,
    RetryPolicy,
    Spool,
    is_unavailable,
    retry_unavailable,
)
from pipelines.register_sync import query_for_record, upsert_employer_from_page
from pipelines.writer_process import WriterClient, WriterConfig, WriterProcessDied, use_process
from signals import SignalsError
from signals.base import Finding, RecordContext
from signals.engine import detect_network, evaluate_record, finding_key, upsert_signals
from storage.db import make_engine, session_scope
from storage.models import Capture, Employer, Judgement, Match, Record, utcnow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.exceptions import DropItem

    from pipelines.batching import WriteBatcher
    from pipelines.capture import PendingCapture

# Scrapy and Twisted are imported where the crawl uses them, not here: the item writer's own
# process (pipelines.writer_process) runs PersistPipeline without them (≈ 32 MB and 0.4 s less
# to start).

log = logging.getLogger(__name__)

KINDS = {"job_ad", "listing", "register_entry", "website", "gazette"}
# Distinct employer queries a crawl remembers (≈ 5 KB each: candidates, their register entries
# and reasons). On the 2,000-ad demo board 1,000 keep 86 of the 110 repeats 5,000 keep, for
# 20 MB less held through a long crawl.
MATCH_CACHE_SIZE = 1_000


def _drop(crawler: Crawler | None, kind: str, message: str) -> DropItem:
    from scrapy.exceptions import DropItem

    if crawler is not None and crawler.stats is not None:
        crawler.stats.inc_value(f"vigie/dropped/{kind}")
    return DropItem(message)


class _DbComponent:
    """Shared construction for the stages that need the database."""

    def __init__(self, engine: Engine, crawler: Crawler | None = None) -> None:
        self.engine = engine
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler):  # type: ignore[no-untyped-def]
        url = crawler.settings.get(DB_URL)
        if not url:
            from scrapy.exceptions import NotConfigured

            raise NotConfigured("Vigie pipelines need VIGIE_DB_URL")
        return cls(make_engine(url), crawler)

    def close_spider(self) -> None:
        self.engine.dispose()


class ValidatePipeline:
    """Refuse items that cannot be traced to a capture or lack what every record needs."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        from pipelines.capture import PendingCapture  # (a crawl stage: Scrapy is there)

        self.crawler = crawler
        self._pending = PendingCapture

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> Any:
        pending = item.get("capture_id")
        if isinstance(pending, self._pending):
            return self._after_capture(item, pending)
        return self._validate(item)

    async def _after_capture(self, item: dict[str, Any], pending: PendingCapture) -> Any:
        """Wait until the item's page is recorded (a deferred capture, see
        ``pipelines.capture``): an item is stored only once its evidence is."""
        from scrapy.exceptions import IgnoreRequest
        from scrapy.utils.defer import maybe_deferred_to_future

        try:
            item["capture_id"] = await maybe_deferred_to_future(pending.wait())
        except IgnoreRequest as exc:  # the capture failed: so does the item
            raise _drop(self.crawler, "no_capture",
                        f"item from {item.get('url')} dropped: {exc}") from exc
        return self._validate(item)

    def _validate(self, item: dict[str, Any]) -> dict[str, Any]:
        if item.get("kind") not in KINDS:
            raise _drop(self.crawler, "kind", f"unknown item kind {item.get('kind')!r}")
        if not item.get("capture_id"):
            raise _drop(
                self.crawler,
                "no_capture",
                f"item from {item.get('url')} has no capture: evidence missing",
            )
        fields = item.get("fields")
        if not isinstance(fields, dict) or not fields:
            raise _drop(self.crawler, "empty", f"item from {item.get('url')} has no fields")
        if item["kind"] in ("job_ad", "listing") and not (
            fields.get("title") or fields.get("description")
        ):
            raise _drop(self.crawler, "incomplete", f"ad at {item['url']} has no title/text")
        if item["kind"] == "register_entry" and not fields.get("enterprise_number"):
            raise _drop(self.crawler, "incomplete", f"register page {item['url']} has no number")
        if item["kind"] == "website" and not (fields.get("pages_seen") and fields.get("domain")):
            raise _drop(self.crawler, "incomplete", f"site {item['url']} has no page read")
        if item["kind"] == "gazette" and not (
            fields.get("enterprise_number") and fields.get("rubric")
        ):
            raise _drop(self.crawler, "incomplete", f"publication at {item['url']} lacks number")
        self._count_fill(fields)
        return item

    def _count_fill(self, fields: dict[str, Any]) -> None:
        """Stats ``vigie/fill/<field>`` (items where the field is filled) and
        ``vigie/fill_items``: the run report turns them into fill rates and compares them with
        the previous run, so a silently broken selector shows up."""
        stats = self.crawler.stats if self.crawler is not None else None
        if stats is None:
            return
        stats.inc_value("vigie/fill_items")
        for name, value in fields.items():
            if value not in (None, "", [], {}):
                stats.inc_value(f"vigie/fill/{name}")


# Stat set when a crawl's items are written (and normalised) by the writer process.
NORMALIZED_BY_WRITER = "vigie/writes/normalized_by_process"


class NormalizePipeline:
    """Attach the normalised fields (identifiers, names, place, district).

    When the crawl writes its items in a child process (:mod:`pipelines.writer_process`),
    that process normalises them, off the crawl's interpreter lock, just before it stores
    them (same function, same result); this stage then passes them on untouched."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        self.crawler = crawler
        self._by_writer: bool | None = None  # known from the first item on

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if self._by_writer is None:
            stats = self.crawler.stats if self.crawler is not None else None
            self._by_writer = bool(stats is not None and stats.get_value(NORMALIZED_BY_WRITER))
        if not self._by_writer:
            item["normalized"] = normalize_item(item)
        return item


def spool_folder(settings: Any) -> Path:
    """Where a crawl spools items the database did not take: ``VIGIE_SPOOL_DIR``, else
    ``spool/`` in the data folder (beside the evidence folder)."""
    configured = settings.get(SPOOL_DIR)
    if configured:
        return Path(configured)
    return Path(settings.get(EVIDENCE_DIR) or ".").parent / "spool"


def _spoolable(item: dict[str, Any]) -> dict[str, Any]:
    """The item as JSON can hold it (what the pipeline adds later is left out)."""
    return {
        k: v for k, v in dict(item).items() if k not in ("record_id", "match_id", "employer_id")
    }


def fingerprint(item: dict[str, Any]) -> str:
    """Identity of a record across crawls: same source and same ad id (or URL)."""
    fields = item.get("fields") or {}
    ident = fields.get("external_id") or fields.get("enterprise_number") or item["url"]
    raw = f"{item['kind']}|{item.get('source')}|{ident}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def content_hash(item: dict[str, Any]) -> str:
    payload = json.dumps(item.get("fields") or {}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class PersistPipeline(_DbComponent):
    """Store → match → detect.

    Store upserts the Record (idempotent on kind + fingerprint; register pages also refresh the
    employer and its directors), match ties ads and listings to the register and keeps the
    reasons, detect runs the record rules. The network rules run once when the crawl ends.

    Built by a crawl (``from_crawler``), items are written in batches (``VIGIE_WRITE_BATCH``
    items or ``VIGIE_WRITE_BATCH_MS`` milliseconds, whichever first, and at close), one
    transaction per batch, in a worker thread; an item's Deferred fires once its batch is
    committed (or safely spooled). A batch the database refuses because it is unavailable is
    retried with back-off, then spooled (:mod:`pipelines.outage`) and replayed in order when
    the database answers again. Built directly (tests, tools), each item is written at once in
    its own transaction; ``batched=False`` never makes a batcher (the item writer's process,
    :mod:`pipelines.writer_process`, is handed whole batches).
    """

    def __init__(
        self,
        engine: Engine,
        crawler: Crawler | None = None,
        since: datetime | None = None,
        batch_size: int = 1,
        batch_wait: float = 0.25,
        spool: Spool | None = None,
        replay: Sequence[Spool] = (),
        retry: RetryPolicy | None = None,
        in_thread: bool = True,
        matcher_cache: Path | None = None,
        match_process: str = "off",
        write_process: str = "false",
        writer_config: WriterConfig | None = None,
        batched: bool = True,
    ) -> None:
        super().__init__(engine, crawler)
        # ``VIGIE_WRITE_PROCESS`` (auto|true|false): batches written by a child process
        # (:mod:`pipelines.writer_process`, built from ``writer_config``) instead of a thread.
        self.write_process = write_process
        self.writer_config = writer_config
        self._writer: WriterClient | None = None
        self._writer_open = False  # the crawl started writing through it
        # In the writer child: the stats counters collected for the crawl (sent with each
        # answer) instead of a crawler's stats.
        self.collected: Counter[str] | None = None
        # The register matcher: built at open, or loaded from ``matcher_cache`` / built in a
        # child process for a large register (:mod:`pipelines.matcher_cache`).
        self._matcher_loader: MatcherLoader | None = None
        self._matcher: Matcher | MatchProcess | None = None
        self.matcher_cache = matcher_cache
        self.match_process = match_process  # auto | on | off (see MatcherLoader)
        self.since = since  # start of this crawl: a record seen before it is seen again now
        self.spool = spool
        self.replay_spools = list(replay)
        self.retry = retry or RetryPolicy()
        self.batcher: WriteBatcher[dict[str, Any]] | None = None
        # Items handed to the batcher and not yet written, and the most the crawl lets wait
        # (three batches: one being written, the next ones filling) — see :meth:`room`.
        self.backlog = 0
        self.backlog_limit = 3 * max(batch_size, 1)
        self._room_waiters: list[Any] = []
        if batched and (batch_size > 1 or spool is not None):
            from pipelines.batching import WriteBatcher

            self.batcher = WriteBatcher(
                self._write_batch, batch_size, batch_wait, in_thread=in_thread
            )
        self._judged: set[str] | None = None  # fingerprints with a human verdict
        # Per batch (worker thread): the batch's records, matches, captures and candidate
        # employers, fetched up front (held here: the session's identity map is weak), and
        # the batch's findings, stored together once every item is written.
        self._records: dict[tuple[str, str], Record] | None = None
        self._matches: dict[tuple[int, int], Match] | None = None
        self._captures: dict[int, Capture] = {}
        self._employers: dict[int, Employer] = {}
        self._findings: list[Finding] | None = None
        self._tx_counts: Counter[str] | None = None
        # The matcher is built once per crawl and never changes during it: the same query
        # (employer name, number, phone, postcode as written) gets the same candidates.
        self._match_cache: OrderedDict[MatchQuery, list[Candidate]] = OrderedDict()
        # Register look-ups the record rules share across items (``RecordContext.memo``),
        # forgotten whenever this crawl writes to the register (register pages, Gazette
        # publications), and again at the end of that transaction (committed or not), so that
        # what it keeps was read from the register as committed by others.
        self._register_memo: dict[Any, Any] = {}
        self._register_written = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PersistPipeline:
        url = crawler.settings.get(DB_URL)
        if not url:
            from scrapy.exceptions import NotConfigured

            raise NotConfigured("Vigie pipelines need VIGIE_DB_URL")
        started = crawler.settings.get(CRAWL_STARTED_AT)
        s = crawler.settings
        spool_dir = spool_folder(s)
        run_id = s.getint(RUN_ID) or 0
        replay = [Spool(spool_dir / f"run-{r}.jsonl") for r in s.getlist(RESUME_RUNS)]
        busy_timeout = s.getfloat("VIGIE_DB_BUSY_TIMEOUT", 5.0)
        since = _aware(datetime.fromisoformat(started)) if started else None
        spool = Spool(spool_dir / f"run-{run_id}.jsonl")
        retry_limit = s.getfloat("VIGIE_DB_RETRY_LIMIT", 30.0)
        matcher_cache = cache_folder(Path(s.get(EVIDENCE_DIR) or ".").parent)
        return cls(
            make_engine(url, busy_timeout=busy_timeout),
            crawler,
            since,
            batch_size=s.getint("VIGIE_WRITE_BATCH", 100),
            batch_wait=s.getint("VIGIE_WRITE_BATCH_MS", 250) / 1000,
            spool=spool,
            replay=replay,
            retry=RetryPolicy(limit=retry_limit),
            in_thread=s.getbool("VIGIE_WRITE_THREAD", True),
            matcher_cache=matcher_cache,
            match_process=s.get("VIGIE_MATCH_PROCESS", "auto"),
            write_process=s.get("VIGIE_WRITE_PROCESS") or "auto",
            writer_config=WriterConfig(
                db_url=url, busy_timeout=busy_timeout, since=since, spool=spool.path,
                replay=[r.path for r in replay], retry_limit=retry_limit,
                matcher_cache=matcher_cache, log_file=s.get("LOG_FILE"),
                log_level=s.get("LOG_LEVEL") or "INFO",
            ),
        )

    @property
    def matcher(self) -> Matcher | MatchProcess | None:
        """The register matcher (waits for a build in progress); None before ``open_spider``."""
        if self._matcher is None and self._matcher_loader is not None:
            self._matcher = self._matcher_loader.get()
        return self._matcher

    def open_spider(self) -> Any:
        if self._start_writer():
            # The child loads the matcher and replays the spools; the crawl starts once it
            # has, as it does after the thread writer's (blocking) open.
            return self._writer_opened()
        self._matcher_loader = MatcherLoader(
            self.engine, self.matcher_cache, process=self.match_process
        )
        self._matcher_loader.start()
        for spool in self.replay_spools:  # what an interrupted run of this crawl left spooled
            self._replay(spool)

    def _start_writer(self) -> bool:
        """Start the writer child if this crawl writes in one (see ``write_process``)."""
        if self.batcher is None or self.writer_config is None or self.write_process == "false":
            return False
        with Session(self.engine) as session:
            size = int(session.exec(select(func.count()).select_from(Employer)).one())
        if not use_process(self.write_process, size, BACKGROUND_MIN):
            return False
        config = replace(self.writer_config, parent_pid=os.getpid())
        self._writer = WriterClient(config, self._from_writer(self._counts),
                                    self._from_writer(self._writer_died))
        self._count("vigie/writes/process", 1)
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.set_value(NORMALIZED_BY_WRITER, 1)
        log.info("items written by process %d (register of %d employers, mode %s)",
                 self._writer.pid, size, self.write_process)
        return True

    async def _writer_opened(self) -> None:
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import threads

        assert self._writer is not None
        try:
            await maybe_deferred_to_future(threads.deferToThread(self._writer.wait_open))
        except BaseException:
            self._writer.kill()
            raise
        self._writer_open = True

    def _from_writer(self, handler: Any) -> Any:
        """``handler`` run in the reactor thread (the writer client calls it from a worker
        thread): the crawler's stats are the reactor's."""
        from twisted.internet import reactor
        from twisted.python import threadable

        def call(arg: Any) -> None:
            if threadable.isInIOThread() or not self.batcher or not self.batcher.in_thread:
                handler(arg)
            else:
                reactor.callFromThread(handler, arg)  # type: ignore[attr-defined]

        return call

    def _writer_died(self, error: WriterProcessDied) -> None:
        """The writer child died on its own: the items it held failed; stop the crawl."""
        log.error("%s", error)
        if self.crawler is None:
            return
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("vigie/writes/process_error", str(error))
        if self.crawler.engine is not None and self._writer_open:  # else: open fails
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="writer_process_died"))

    def process_item(self, item: dict[str, Any]) -> Any:
        if self.batcher is None:
            try:
                with session_scope(self.engine) as session:
                    found = self._persist(session, item)
            finally:
                if self._register_written:
                    self._register_memo.clear()
                    self._register_written = False
            self._count("vigie/signals", found)
            return item
        return self._wait_batched(item)

    async def _wait_batched(self, item: dict[str, Any]) -> dict[str, Any]:
        from scrapy.utils.defer import maybe_deferred_to_future

        assert self.batcher is not None
        self.backlog += 1
        try:
            await maybe_deferred_to_future(self.batcher.add(item))
        finally:
            self.backlog -= 1
            if self._room_waiters and self.backlog < self.backlog_limit:
                waiters, self._room_waiters = self._room_waiters, []
                for waiter in waiters:
                    waiter.callback(None)
        return item

    def room(self) -> Any:
        """None while fewer than ``backlog_limit`` items wait for their batch, else a
        Deferred that fires once they do. The capture middleware waits for it before a
        response goes on to the spider: when the writer falls behind, downloads pause
        instead of parsed pages piling up in memory (each waiting page also holds Scrapy's
        ``CONCURRENT_ITEMS`` finished tasks, ≈ 100 KB)."""
        if self.batcher is None or self.backlog < self.backlog_limit:
            return None
        from twisted.internet import defer

        waiter: defer.Deferred[None] = defer.Deferred()
        self._room_waiters.append(waiter)
        return waiter

    def _persist(self, session: Session, item: dict[str, Any]) -> int:
        """Store, match and detect one item in ``session``; the number of signals (distinct
        keys). In a batch, the findings wait in ``_findings`` for :meth:`_store_findings`."""
        record = self.store(session, item)
        match, employer = self.match(session, item, record)
        return self._detect(session, item, record, match, employer)

    def _persist_staged(self, session: Session, items: list[dict[str, Any]]) -> int:
        """:meth:`_persist` for a whole batch, stage by stage: every record, one flush (a
        multi-row insert), every match, one flush, then the rules item by item — the same
        rows and findings as item by item (see :func:`stageable`), two flushes per batch
        instead of two per item. The number of signals, summed over the items."""
        records = [self.store(session, item, flush=False) for item in items]
        session.flush()
        for item, record in zip(items, records, strict=True):
            item["record_id"] = record.id
        matched = [self.match(session, item, record, flush=False)
                   for item, record in zip(items, records, strict=True)]
        session.flush()
        for item, (match, _) in zip(items, matched, strict=True):
            if match is not None:
                item["match_id"] = match.id
        return sum(self._detect(session, item, record, match, employer)
                   for item, record, (match, employer) in zip(items, records, matched,
                                                              strict=True))

    def _detect(self, session: Session, item: dict[str, Any], record: Record,
                match: Match | None, employer: Employer | None) -> int:
        """Run the record rules on the stored item (see :meth:`_persist`)."""
        capture_id = int(item["capture_id"])
        capture = self._captures.get(capture_id) or session.get(Capture, capture_id)
        ctx = RecordContext(record=record, employer=employer, match=match, capture=capture,
                            memo=self._register_memo)
        findings = evaluate_record(session, ctx, judged=self._judged)
        if self._findings is not None:
            self._findings.extend(findings)
        else:
            upsert_signals(session, findings)
        return len({finding_key(f) for f in findings})

    # -- batched writes (worker thread) -------------------------------------------------------
    def _write_batch(self, items: list[dict[str, Any]]) -> list[Any]:
        """Write one batch; replay what is spooled first so the order is kept. Outcomes: the
        item, or the exception that item raised (the other items are written without it)."""
        if self._writer is not None:
            return self._writer.write_batch(items)
        if self.spool is not None and len(self.spool):
            try:
                self._replay(self.spool)
            except DatabaseUnavailable:
                return self._to_spool(items)
        try:
            outcomes, retries = retry_unavailable(
                lambda: self._transaction(items), self.retry, self._waited
            )
        except DatabaseUnavailable as exc:
            if self.spool is None:
                raise
            log.error("%s: %d items spooled to %s", exc, len(items), self.spool.path)
            return self._to_spool(items)
        if retries:
            self._count("vigie/writes/delayed", len(items))
        return outcomes

    def _transaction(self, items: list[dict[str, Any]]) -> list[Any]:
        """One transaction for the batch. An item that fails (not for lack of a database)
        is left out and the batch is written again without it."""
        outcomes: list[Any] = list(items)
        todo = list(range(len(items)))
        together = True  # the batch's findings stored at once (one by one after a failure)
        staged = True  # stage by stage (:meth:`_persist_staged`); item by item after a failure
        while True:
            counts: Counter[str] = Counter()
            failed: tuple[int, BaseException] | None = None
            redo = False
            self._tx_counts = counts  # stats of a batch count only once it is committed
            self._findings = [] if together else None
            batch = [items[i] for i in todo]
            try:
                with session_scope(self.engine) as session:
                    self._refresh_judged(session)
                    self._prefetch(session, batch)
                    at_once = staged and stageable(batch)
                    if at_once:
                        try:
                            counts["vigie/signals"] += self._persist_staged(session, batch)
                        except (OperationalError, InterfaceError, DBAPIError) as exc:
                            if is_unavailable(exc):
                                raise
                            redo = True
                        except (PipelineError, ValueError, KeyError, TypeError,
                                SQLAlchemyError, SignalsError):
                            redo = True
                        if redo:  # again item by item, to find the item at fault
                            session.rollback()
                            staged = False
                    for index in () if at_once else todo:
                        try:
                            counts["vigie/signals"] += self._persist(session, items[index])
                        except (OperationalError, InterfaceError, DBAPIError) as exc:
                            if is_unavailable(exc):
                                raise
                            failed = (index, exc)
                        except (PipelineError, ValueError, KeyError, TypeError,
                                SQLAlchemyError, SignalsError) as exc:
                            failed = (index, exc)
                        if failed is not None:
                            session.rollback()
                            break
                    if failed is None and not redo and not self._store_findings(session):
                        session.rollback()
                        redo, together = True, False
            finally:
                self._tx_counts = None
                self._findings = None
                if self._register_written:
                    self._register_memo.clear()
                    self._register_written = False
                self._captures, self._employers = {}, {}
            if redo:
                continue
            if failed is None:
                self._counts(counts)
                self._count("vigie/writes/batches")
                return outcomes
            log.error("item from %s not stored: %r", items[failed[0]].get("url"), failed[1])
            outcomes[failed[0]] = failed[1]
            todo.remove(failed[0])

    def _store_findings(self, session: Session) -> bool:
        """Store the batch's findings together (:func:`signals.engine.upsert_signals`: the
        same rows as one by one). False if that failed for another reason than an unavailable
        database: the caller writes the batch again, finding by finding, so that the item at
        fault is the one left out."""
        findings = self._findings or []
        if not findings:
            return True
        try:
            upsert_signals(session, findings)
        except (OperationalError, InterfaceError, DBAPIError) as exc:
            if is_unavailable(exc):
                raise
            log.warning("batch of %d findings not stored together (%r): one by one",
                        len(findings), exc)
            return False
        except (SignalsError, SQLAlchemyError, ValueError, TypeError) as exc:
            log.warning("batch of %d findings not stored together (%r): one by one",
                        len(findings), exc)
            return False
        return True

    def _prefetch(self, session: Session, items: list[dict[str, Any]]) -> None:
        """Four queries per batch instead of four per item: the batch's known records, their
        matches, its captures and the employers its ads may match (the matcher runs here;
        its answers are cached)."""
        fps = sorted({fingerprint(item) for item in items})
        records = session.exec(select(Record).where(col(Record.fingerprint).in_(fps))).all()
        self._records = {(r.kind, r.fingerprint): r for r in records}
        ids = [r.id for r in records]
        matches = (
            session.exec(select(Match).where(col(Match.record_id).in_(ids))).all() if ids else []
        )
        self._matches = {(m.record_id, m.employer_id): m for m in matches}
        captures = sorted({int(item["capture_id"]) for item in items})
        self._captures = {
            c.id: c  # type: ignore[misc]
            for c in session.exec(select(Capture).where(col(Capture.id).in_(captures)))
        }
        keys: set[int] = set()
        if self.matcher is not None:
            queries: list[MatchQuery] = []
            for item in items:
                if item.get("kind") in ("register_entry", "gazette") or not isinstance(
                    item.get("normalized"), dict
                ):
                    continue
                try:
                    queries.append(
                        query_for_record(item["normalized"], item.get("fields") or {})
                    )
                except (ValueError, KeyError, TypeError):
                    continue  # raised again by match() for this very item, which is left out
            for found in self._candidates_many(queries):
                keys.update(int(c.key) for c in found)  # type: ignore[call-overload]
        self._employers = (
            {
                e.id: e  # type: ignore[misc]
                for e in session.exec(select(Employer).where(col(Employer.id).in_(sorted(keys))))
            }
            if keys
            else {}
        )

    def _candidates(self, query: MatchQuery) -> list[Candidate]:
        """The matcher's candidates for ``query``, remembered (LRU, ``MATCH_CACHE_SIZE``)."""
        assert self.matcher is not None
        found = self._match_cache.get(query)
        if found is not None:
            self._match_cache.move_to_end(query)
            return found
        found = self.matcher.match(query)
        self._match_cache[query] = found
        if len(self._match_cache) > MATCH_CACHE_SIZE:
            self._match_cache.popitem(last=False)
        return found

    def _candidates_many(self, queries: list[MatchQuery]) -> list[list[Candidate]]:
        """:meth:`_candidates` of each query, the ones not remembered asked of the matcher
        together (one round trip to a matcher process). A query the matcher refuses is left
        out here (``match()`` raises again for its item, which alone is left out): then the
        new queries are asked one by one, so that only that one is missing."""
        assert self.matcher is not None
        new = list(dict.fromkeys(q for q in queries if q not in self._match_cache))
        try:
            answers: list[list[Candidate]] | None = self.matcher.match_many(new)
        except (ValueError, KeyError, TypeError):
            answers = None
        if answers is not None:
            for query, found in zip(new, answers, strict=True):
                self._match_cache[query] = found
                if len(self._match_cache) > MATCH_CACHE_SIZE:
                    self._match_cache.popitem(last=False)
        out: list[list[Candidate]] = []
        for query in queries:
            try:
                out.append(self._candidates(query))
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def _employer(self, session: Session, employer_id: int) -> Employer | None:
        return self._employers.get(employer_id) or session.get(Employer, employer_id)

    def _to_spool(self, items: list[dict[str, Any]]) -> list[Any]:
        assert self.spool is not None
        self.spool.append([_spoolable(item) for item in items])
        self._count("vigie/writes/spooled", len(items))
        return list(items)

    def _replay(self, spool: Spool) -> None:
        """Write everything ``spool`` holds, in order, then forget it (idempotent: replaying
        it twice stores nothing twice)."""
        entries = spool.load()
        if entries:
            for start in range(0, len(entries), 100):
                chunk = entries[start : start + 100]
                outcomes, _ = retry_unavailable(
                    lambda chunk=chunk: self._transaction(chunk), self.retry, self._waited
                )
                errors = [o for o in outcomes if isinstance(o, BaseException)]
                if errors:
                    log.error("%d spooled items could not be stored: %r", len(errors), errors[0])
            self._count("vigie/writes/replayed", len(entries))
            log.info("%d spooled items written from %s", len(entries), spool.path)
        spool.clear()

    def _waited(self, seconds: float) -> None:
        self._count("vigie/writes/retries")
        self._count("vigie/writes/waited_ms", int(seconds * 1000))

    def _refresh_judged(self, session: Session) -> None:
        """Once per batch: which records have a human verdict (usually none)."""
        self._judged = set(session.exec(select(Judgement.record_fingerprint).distinct()).all())

    def close_spider(self) -> Any:
        if self.batcher is None:
            self._close()
            return None
        return self._close_batched()

    async def _close_batched(self) -> None:
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import threads

        assert self.batcher is not None
        await maybe_deferred_to_future(self.batcher.flush())
        await maybe_deferred_to_future(threads.deferToThread(self._close))

    def _close(self) -> None:
        """Replay what is still spooled, then run the network rules."""
        if self._writer is not None:  # the child does both, then exits
            try:
                self._writer.close()
            except WriterProcessDied as exc:
                log.error("network rules not run: %s", exc)
            finally:
                self.engine.dispose()
                if self.crawler is not None and self.crawler.stats is not None:
                    # This process's own peak (the writer sends its own): the benchmark
                    # adds the two (rusage of a waited-for process mixes in its children).
                    self.crawler.stats.set_value(
                        "vigie/writes/crawl_peak_rss_kb",
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            return
        try:
            self._close_writes()
        finally:
            if self._matcher_loader is not None:
                self._matcher_loader.close()  # its child process, if any

    def _close_writes(self) -> None:
        if self.spool is not None and len(self.spool):
            try:
                self._replay(self.spool)
            except DatabaseUnavailable as exc:
                left = len(self.spool)
                self._count("vigie/writes/spool_left", left)
                log.error("%s: %d items stay spooled in %s for --resume", exc, left,
                          self.spool.path)
                self.engine.dispose()
                return
        with session_scope(self.engine) as session:
            found = detect_network(session)
        self._count("vigie/signals_network", len(found))
        log.info("network rules raised/updated %d signals", len(found))
        self.engine.dispose()

    def _count(self, key: str, n: int = 1) -> None:
        if self._tx_counts is not None:
            self._tx_counts[key] += n
        elif self.collected is not None:
            self.collected[key] += n
        elif n and self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, n)

    def _counts(self, counts: Counter[str]) -> None:
        for key, n in counts.items():
            self._count(key, n)

    def _find_match(self, session: Session, record: Record, employer_id: int) -> Match | None:
        if self._matches is not None and record.id is not None:
            return self._matches.get((record.id, employer_id))
        return session.exec(
            select(Match).where(Match.record_id == record.id, Match.employer_id == employer_id)
        ).first()

    def _keep_match(self, match: Match) -> None:
        if self._matches is not None:
            self._matches[(match.record_id, match.employer_id)] = match

    # -- stages -------------------------------------------------------------------------
    def store(self, session: Session, item: dict[str, Any], flush: bool = True) -> Record:
        """Upsert the item's record (and, for register pages and Gazette publications, the
        register). ``flush=False`` (ads, listings, sites of a staged batch): the caller
        flushes and sets ``item["record_id"]``."""
        record = upsert_record(session, item, self.since, self._records, flush=flush)
        item["record_id"] = record.id
        if item["kind"] in ("register_entry", "gazette"):
            self._register_memo.clear()  # the register changes under the rules' look-ups
            self._register_written = True
        if item["kind"] == "register_entry" and item["fields"].get("found", True):
            employer = upsert_employer_from_page(
                session, item["fields"], item["normalized"], item["capture_id"]
            )
            item["employer_id"] = employer.id
        if item["kind"] == "gazette":  # appointments/resignations feed the Person/Role network
            employer, roles = apply_publication_persons(session, item, record)
            item["employer_id"] = employer.id if employer else None
            self._count("vigie/gazette_roles", len(roles))
        return record

    def match(
        self, session: Session, item: dict[str, Any], record: Record, flush: bool = True
    ) -> tuple[Match | None, Employer | None]:
        """The item's best candidate as a stored Match (and its employer). ``flush=False``:
        the caller flushes the batch's matches and sets ``item["match_id"]``."""
        if item["kind"] in ("register_entry", "gazette"):  # the page names its enterprise
            employer_id = item.get("employer_id")
            return None, session.get(Employer, employer_id) if employer_id else None
        if self.matcher is None:
            return None, None
        candidates = self._candidates(query_for_record(item["normalized"], item["fields"]))
        judged = self._judged
        verdicts = (
            judgements_for(session, record.fingerprint)
            if judged is None or record.fingerprint in judged
            else {}
        )
        # A reviewer's "negative" removes that employer; the next candidate is kept instead.
        candidates = [c for c in candidates if verdicts.get(c.key) != "negative"]
        confirmed = [key for key, verdict in verdicts.items() if verdict == "positive"]
        if confirmed and all(c.key != confirmed[0] for c in candidates[:1]):
            return self._confirmed(session, item, record, confirmed[0], flush)
        if not candidates:
            return None, None
        best = candidates[0]
        match = self._find_match(session, record, best.key)
        if match is None:
            match = Match(record_id=record.id, employer_id=best.key, score=0, method="")
        match.score = round(best.score, 4)
        match.method = best.method
        match.outcome = best.outcome
        match.explanation = [
            {"name": f.name, "score": round(f.score, 4), "weight": f.weight, "reason": f.reason}
            for f in best.explanation
        ]
        match.matcher_version = self.matcher.VERSION
        session.add(match)
        if flush:
            session.flush()
        self._keep_match(match)
        item["match_id"] = match.id
        item["employer_id"] = best.key
        self._count(f"vigie/matches/{best.outcome}")
        return match, self._employer(session, best.key)

    def _confirmed(
        self, session: Session, item: dict[str, Any], record: Record, employer_id: int,
        flush: bool = True,
    ) -> tuple[Match, Employer | None]:
        """A reviewer confirmed this pair: it is the match, whatever the machine says now."""
        match = self._find_match(session, record, employer_id) or Match(
            record_id=record.id, employer_id=employer_id, score=1.0, method="judgement"
        )
        match.outcome = "match"
        match.method = "judgement"
        match.explanation = [
            {
                "name": "judgement",
                "score": 1.0,
                "weight": 1.0,
                "reason": "A reviewer confirmed this match; a human judgement "
                "always overrides the matcher.",
            }
        ]
        match.matcher_version = self.matcher.VERSION if self.matcher else ""
        session.add(match)
        if flush:
            session.flush()
        self._keep_match(match)
        item["match_id"] = match.id
        item["employer_id"] = employer_id
        return match, self._employer(session, employer_id)


STAGED_KINDS = ("job_ad", "listing", "website")


def stageable(items: list[dict[str, Any]]) -> bool:
    """Whether a batch may be written stage by stage (:meth:`PersistPipeline._persist_staged`)
    with the result of item by item: only ads, listings and sites (storing them touches
    neither the register nor what the rules read back), each record once in the batch (a
    second item of the same record would change it before the rules saw the first)."""
    if not all(item.get("kind") in STAGED_KINDS for item in items):
        return False
    try:
        keys = {(item["kind"], fingerprint(item)) for item in items}
    except (KeyError, TypeError, ValueError):
        return False  # a malformed item: item by item, where it is left out alone
    return len(keys) == len(items)


def judgements_for(session: Session, fingerprint: str) -> dict[int, str]:
    """Latest human verdict per employer id for a record (by id, or by enterprise number so
    that verdicts survive register refreshes)."""
    rows = session.exec(
        select(Judgement)
        .where(Judgement.record_fingerprint == fingerprint)
        .order_by(Judgement.at, Judgement.id)  # type: ignore[arg-type]
    ).all()
    verdicts: dict[int, str] = {}
    for judgement in rows:
        employer_id = judgement.employer_id
        if employer_id is None and judgement.employer_number:
            employer = session.exec(
                select(Employer).where(Employer.enterprise_number == judgement.employer_number)
            ).first()
            employer_id = employer.id if employer else None
        if employer_id is not None:
            verdicts[employer_id] = judgement.verdict
    return verdicts


def upsert_record(
    session: Session,
    item: dict[str, Any],
    since: datetime | None = None,
    known: dict[tuple[str, str], Record] | None = None,
    flush: bool = True,
) -> Record:
    """The Record of this item: new, or the known one updated (last seen, new capture).

    An item from a capture the record already points to is the same page again: unchanged
    since an earlier crawl (``304``/same hash: the capture was reused), or replayed by a
    resumed crawl. Only in the first case — the record was last seen before this crawl
    started (``since``) — is it "seen again": ``last_seen``, ``seen_count`` move on.
    ``known``: the records of the current batch by (kind, fingerprint), fetched up front by
    the caller (a new record is added to it), instead of one look-up per item. ``flush``:
    False when the caller flushes the batch's records together (the record has no id yet).
    """
    norm = item["normalized"]
    fp = fingerprint(item)
    if known is not None:  # the caller fetched the batch's records up front
        record = known.get((item["kind"], fp))
    else:
        record = session.exec(
            select(Record).where(Record.kind == item["kind"], Record.fingerprint == fp)
        ).first()
    if record is None:
        record = Record(
            kind=item["kind"],
            source=item.get("source") or "",
            url=item["url"],
            capture_id=item["capture_id"],
            fingerprint=fp,
        )
        if known is not None:
            known[(item["kind"], fp)] = record
    elif item["capture_id"] in (record.capture_id, record.last_capture_id):
        if since is not None and _aware(record.last_seen) < since:
            record.last_seen = utcnow()  # unchanged page, seen again by this crawl
            record.seen_count += 1
            record.gone_at = None
            session.add(record)
            session.flush()
        return record  # same capture: nothing new to extract
    else:
        if since is None or _aware(record.last_seen) < since:
            record.seen_count += 1
        record.last_seen = utcnow()
        record.gone_at = None
        record.last_capture_id = item["capture_id"]
    fields = item["fields"]
    record.title = fields.get("title") or fields.get("name") or fields.get("page_title")
    record.employer_name = (
        fields.get("employer_name")
        or fields.get("provider_name")
        or (fields.get("name") if item["kind"] == "register_entry" else None)
        or fields.get("enterprise_name")
    )
    record.enterprise_number = norm.get("enterprise_number")
    record.vat_number = norm.get("vat")
    record.phone = norm.get("phone_e164")
    record.postcode = norm.get("postcode")
    record.district = norm.get("district")
    record.country = norm.get("country")
    record.language = item.get("language")
    record.raw = fields
    record.provenance = item.get("provenance") or {}
    record.normalized = {**norm, "content_sha256": content_hash(item)}
    session.add(record)
    if flush:
        session.flush()
    return record


def _aware(moment: datetime) -> datetime:
    """SQLite may hand datetimes back without their zone: they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


GONE_KINDS = ("job_ad", "listing")
GONE_CHUNK = 500  # records marked gone per UPDATE


def mark_gone(
    session: Session,
    source: str,
    since: datetime,
    at: datetime,
    unsure_urls: Iterable[str] = (),
) -> int:
    """After a COMPLETE crawl of ``source`` started at ``since``: ads and listings it did not
    see get ``gone_at = at`` (taken down). Records whose page failed in this crawl
    (``unsure_urls``: timeouts, 5xx, parse errors…) are not declared gone. Returns how many."""
    unsure = set(unsure_urls)
    session.flush()  # this session's own changes first: the UPDATEs below bypass its objects
    gone: list[int] = []
    for record_id, url, last_seen in session.exec(
        select(Record.id, Record.url, Record.last_seen).where(
            Record.source == source,
            col(Record.kind).in_(GONE_KINDS),
            col(Record.gone_at).is_(None),
            Record.last_seen < since,
        )
    ):
        if url in unsure or _aware(last_seen) >= since:
            continue
        gone.append(int(record_id))  # type: ignore[arg-type]
    # Plain columns and UPDATEs by id in chunks, not the stale records as objects: a re-crawl
    # of a 100,000-ad board may find tens of thousands taken down.
    for start in range(0, len(gone), GONE_CHUNK):
        chunk = gone[start:start + GONE_CHUNK]
        session.exec(update(Record).where(col(Record.id).in_(chunk))  # type: ignore[call-overload]
                     .values(gone_at=at))
    return len(gone)
