"""The crawl's item writer in a child process of its own (``VIGIE_WRITE_PROCESS``).

The batched persist (store → match → detect, :class:`pipelines.items.PersistPipeline`) is
pure Python: run in a thread of the crawl process it holds the interpreter lock against the
reactor that downloads and parses. With a large register (matching is costly) the crawl
therefore hands each batch to ONE persistent child process instead, started when the spider
opens (``python -m pipelines.writer_process FD``: a fresh interpreter, never a fork of the
threaded crawl process). The child owns its own engine, matcher (loaded from the matcher
cache as the thread does), judged set, register memo, spool and spool replay — it runs the
very same :class:`PersistPipeline` code, built from the crawl's settings.

Protocol (pickles over a socket pair, one request answered at a time, in order):

- parent → child: the :class:`WriterConfig` once, then ``("batch", items)`` … ``("close",)``;
- child → parent: ``("opened", counts, error)`` once (spool replay done), then per batch
  ``("done", outcomes, counts)`` (one outcome per item: the item's ids, or the exception
  that item raised) or ``("failed", error, counts)``; at close ``("closed", error, counts)``,
  the counts with the child's CPU time and peak RSS (``vigie/writes/process_cpu_ms``,
  ``vigie/writes/process_peak_rss_kb``: the crawl's resources are both processes').

Counts are the batch's stats counters; the parent adds them to the crawler's stats only when
the answer arrives, i.e. once the batch is committed (or spooled) — never for a batch the
child did not finish. Crash semantics are those of the thread: an item's Deferred fires only
with its batch's answer; the child dies with its parent (``PR_SET_PDEATHSIG``, and it leaves
on end of file on its socket) and ignores SIGINT/SIGTERM (the parent's graceful stop still
needs it to flush). A child that dies on its own fails every item waiting for it with
:class:`WriterProcessDied` and the crawl is stopped (close reason ``writer_process_died``).
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pipelines import PipelineError

log = logging.getLogger(__name__)

MODES = ("auto", "true", "false")
ID_KEYS = ("normalized", "record_id", "match_id", "employer_id")  # what a write adds
PR_SET_PDEATHSIG = 1


class WriterProcessDied(PipelineError):
    """The child process writing the crawl's items ended before answering."""


@dataclass
class WriterConfig:
    """What the child needs to build the crawl's :class:`PersistPipeline` (sent over the
    socket, not the command line: the database URL may hold a password)."""

    db_url: str
    busy_timeout: float
    since: datetime | None
    spool: Path
    replay: list[Path] = field(default_factory=list)
    retry_limit: float = 30.0
    matcher_cache: Path | None = None
    log_file: str | None = None
    log_level: str = "INFO"
    parent_pid: int = 0


def use_process(mode: str, register_size: int, large: int) -> bool:
    """Whether a crawl writes in a child process: ``true``/``false`` as set, ``auto`` when
    the register holds at least ``large`` employers (where matching is costly; a small
    register's crawl is not worth the child's second of start-up)."""
    mode = (mode or "auto").strip().lower()
    if mode not in MODES:
        raise PipelineError(f"VIGIE_WRITE_PROCESS must be one of {MODES}, not {mode!r}")
    if mode == "auto":
        return register_size >= large
    return mode == "true"


def _picklable(exc: BaseException) -> BaseException:
    """``exc`` itself if it survives pickling, else a :class:`PipelineError` naming it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 — any failure to (un)pickle: send its text instead
        return PipelineError(f"{type(exc).__name__}: {exc}")
    return exc


class WriterClient:
    """The crawl's side: starts the child, sends it batches, returns its outcomes.

    ``write_batch`` and ``close`` block (they run in a worker thread, like the thread
    writer's); ``on_counts`` receives each answer's counters (committed work only) and
    ``on_died`` the error once, if the child dies."""

    def __init__(
        self,
        config: WriterConfig,
        on_counts: Callable[[Counter[str]], None],
        on_died: Callable[[WriterProcessDied], None],
    ) -> None:
        self.config = config
        self.on_counts = on_counts
        self.on_died = on_died
        self.dead: WriterProcessDied | None = None
        self._opened = False
        self._lock = threading.Lock()
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.writer_process", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send(config)
        log.info("item writer started in process %d", self.process.pid)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_open(self) -> None:
        """Wait until the child has opened (matcher loaded, spools replayed); raises what
        failed its open, or :class:`WriterProcessDied`."""
        with self._lock:
            self._ensure_open()

    def write_batch(self, items: list[dict[str, Any]]) -> list[Any]:
        """Write ``items`` in the child; one outcome per item (the item, its ids set, or the
        exception it raised). Raises :class:`WriterProcessDied` if the child is gone."""
        with self._lock:
            self._ensure_open()
            self._send(("batch", items))
            answer = self._receive()
        kind, payload, counts = answer
        self.on_counts(counts)
        if kind == "failed":
            raise payload
        outcomes: list[Any] = []
        for item, outcome in zip(items, payload, strict=True):
            if isinstance(outcome, BaseException):
                outcomes.append(outcome)
            else:
                item.update(outcome)
                outcomes.append(item)
        return outcomes

    def close(self, timeout: float = 60.0) -> None:
        """Let the child finish (spool replay, network rules), then wait for it to exit."""
        try:
            with self._lock:
                self._ensure_open()
                self._send(("close",))
                _, error, counts = self._receive()
            self.on_counts(counts)
            if error is not None:
                raise error
        finally:
            self.conn.close()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.error("item writer %d did not exit: killed", self.process.pid)
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """End the child at once (a crawl that could not open)."""
        self.conn.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    # -- internals ------------------------------------------------------------------------
    def _ensure_open(self) -> None:
        if self._opened:
            return
        _, counts, error = self._receive()
        self._opened = True
        self.on_counts(counts)
        if error is not None:
            raise error

    def _send(self, message: tuple[Any, ...]) -> None:
        if self.dead is not None:
            raise self.dead
        try:
            self.conn.send(message)
        except OSError as exc:
            raise self._died(exc) from exc

    def _receive(self) -> Any:
        if self.dead is not None:
            raise self.dead
        try:
            return self.conn.recv()
        except (EOFError, OSError) as exc:
            raise self._died(exc) from exc

    def _died(self, cause: BaseException) -> WriterProcessDied:
        try:
            code = self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.dead = WriterProcessDied(
            f"the item writer process {self.process.pid} died (exit status {code}, "
            f"{type(cause).__name__}); the items it had not committed are not stored"
        )
        self.on_died(self.dead)
        return self.dead


# -- the child --------------------------------------------------------------------------
def _die_with_parent(parent: int) -> None:
    """SIGKILL when the parent dies (Linux), as a writer thread would die with it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        log.warning("PR_SET_PDEATHSIG unavailable: the writer leaves on end of file only")
    if parent and os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _setup_logging(config: WriterConfig) -> None:
    handler: logging.Handler
    if config.log_file:
        handler = logging.FileHandler(config.log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s [%(name)s] %(levelname)s: [writer %(process)d] %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(config.log_level)


def serve(conn: Connection) -> int:
    """The child's loop: build the pipeline from the config, answer requests until close."""
    from pipelines.items import PersistPipeline
    from pipelines.outage import RetryPolicy, Spool
    from storage.db import make_engine

    config: WriterConfig = conn.recv()
    _die_with_parent(config.parent_pid)
    _setup_logging(config)
    pipeline = PersistPipeline(
        make_engine(config.db_url, busy_timeout=config.busy_timeout),
        None,
        config.since,
        batch_size=1,
        spool=Spool(config.spool),
        replay=[Spool(p) for p in config.replay],
        retry=RetryPolicy(limit=config.retry_limit),
        in_thread=False,
        matcher_cache=config.matcher_cache,
        batched=False,  # this process IS the batch writer
    )
    counts: Counter[str] = Counter()
    pipeline.collected = counts
    error: BaseException | None = None
    try:
        pipeline.open_spider()
    except Exception as exc:  # noqa: BLE001 — sent to the crawl, which raises it
        log.exception("item writer could not open")
        error = _picklable(exc)
    conn.send(("opened", _take(counts), error))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            log.error("the crawl process went away: item writer leaves")
            return 1
        if message[0] == "batch":
            items = message[1]
            outcomes = _normalized(items)
            todo = [i for i, outcome in enumerate(outcomes) if outcome is None]
            try:
                written = pipeline._write_batch([items[i] for i in todo]) if todo else []
            except Exception as exc:  # noqa: BLE001 — the whole batch fails, as in a thread
                log.exception("batch of %d items not written", len(items))
                conn.send(("failed", _picklable(exc), _take(counts)))
                continue
            for index, outcome in zip(todo, written, strict=True):
                outcomes[index] = outcome
            conn.send(("done", [_outcome(o) for o in outcomes], _take(counts)))
        elif message[0] == "close":
            error = None
            try:
                pipeline._close()
            except Exception as exc:  # noqa: BLE001 — reported by the crawl
                log.exception("item writer close failed")
                error = _picklable(exc)
            used = resource.getrusage(resource.RUSAGE_SELF)
            counts["vigie/writes/process_cpu_ms"] += int((used.ru_utime + used.ru_stime) * 1000)
            counts["vigie/writes/process_peak_rss_kb"] += used.ru_maxrss
            conn.send(("closed", error, _take(counts)))
            return 0
        else:
            raise PipelineError(f"item writer: unknown request {message[0]!r}")


def _normalized(items: list[dict[str, Any]]) -> list[BaseException | None]:
    """Normalise the items the crawl left to this process (``NormalizePipeline`` passes
    them on); per item None, or the exception that failed it (as that stage would have)."""
    from pipelines.normalize import normalize_item

    failures: list[BaseException | None] = []
    for item in items:
        failure = None
        if "normalized" not in item:
            try:
                item["normalized"] = normalize_item(item)
            except Exception as exc:  # noqa: BLE001 — the item fails, as in NormalizePipeline
                log.error("item from %s not normalised: %r", item.get("url"), exc)
                failure = exc
        failures.append(failure)
    return failures


def _take(counts: Counter[str]) -> Counter[str]:
    taken = Counter(counts)
    counts.clear()
    return taken


def _outcome(outcome: Any) -> Any:
    if isinstance(outcome, BaseException):
        return _picklable(outcome)
    return {key: outcome.get(key) for key in ID_KEYS if key in outcome}


def main(argv: list[str] | None = None) -> int:
    """``python -m pipelines.writer_process FD``: serve the crawl on socket ``FD``."""
    args = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl stops us (close or EOF)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sock = socket.socket(fileno=int(args[0]))
    conn = Connection(sock.detach())
    try:
        return serve(conn)
    finally:
        conn.close()


if __name__ == "__main__":
    raise SystemExit(main())
