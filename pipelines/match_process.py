"""The register matcher of a crawl in a process of its own.

A crawl is bound by one core: Scrapy's reactor, the capture and the item writer share one
Python interpreter lock. Matching an ad against a large register costs milliseconds of pure
Python per new query (about an eighth of a 100,000-employer crawl's CPU), so for a large
register the matcher runs in a child process, on the other core, and the crawl process does
not hold it at all (its memory stays in the child):

- the child fingerprints the register, loads the matcher from the crawl's cache file of that
  fingerprint (:mod:`pipelines.matcher_cache`), or builds it and writes that file first —
  all of it on the other core, while the crawl starts fetching (the first write batch waits
  for it, so the register it reads is the one the crawl started with);
- the item writer sends each write batch's new queries in one message and waits for their
  candidates (the interpreter lock is free meanwhile, so the reactor goes on fetching);
- candidates come back as plain tuples (key, score, outcome, method, reasons), which is all
  the pipeline stores; they carry no register entry.

The two ends talk over a socket pair (``multiprocessing.connection``) that only these two
processes hold: pickled :class:`~entity_resolution.matcher.MatchQuery` objects one way, tuples
the other. The child ends when its end of the pair closes, so a killed crawl leaves no
matcher behind. The database URL (it may hold a password) goes through the pair too, never
on the command line. A child that dies or fails stops the crawl's writes with a
:class:`~pipelines.PipelineError` naming it, as a failed in-process build does.
"""

from __future__ import annotations

import gc
import logging
import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from entity_resolution.compare.features import Feature
from entity_resolution.matcher import Candidate, Matcher, MatchQuery
from pipelines import PipelineError

log = logging.getLogger(__name__)

#: A candidate as it crosses the pair: key, score, outcome, method, reasons (name, score,
#: weight, reason).
Row = tuple[Any, float, str, str, list[tuple[str, float, float, str]]]


def to_row(candidate: Candidate) -> Row:
    return (
        candidate.key, candidate.score, candidate.outcome, candidate.method,
        [(f.name, f.score, f.weight, f.reason) for f in candidate.explanation],
    )


def from_row(row: Row) -> Candidate:
    key, score, outcome, method, reasons = row
    return Candidate(key, score, outcome, method, [Feature(*r) for r in reasons])


class MatchProcess:
    """The parent's end: :meth:`match` and :meth:`match_many` like a
    :class:`~entity_resolution.matcher.Matcher` (candidates without their register entry),
    and its ``VERSION``. One caller at a time (the item writer); a lock keeps it so."""

    def __init__(self, url: str, folder: Path) -> None:
        mine, theirs = Pipe(duplex=True)
        fd = theirs.fileno()
        self._child = subprocess.Popen(
            [sys.executable, "-m", "pipelines.match_process", str(fd)], pass_fds=(fd,)
        )
        theirs.close()
        self._conn: Connection = mine
        self._lock = threading.Lock()
        self._conn.send((url, str(folder)))
        self.VERSION = ""
        self.size = 0
        self.source = ""  # cache | built (by the child)
        self._ready = False

    @property
    def pid(self) -> int:
        return self._child.pid

    def wait_ready(self) -> None:
        """Wait until the child holds its matcher (it may be building it)."""
        with self._lock:
            if self._ready:
                return
            reply = self._receive()
            if reply[0] != "ready":
                raise PipelineError(f"the matcher process failed to start: {reply[1]}")
            _, self.VERSION, self.size, self.source = reply
            self._ready = True

    def match(self, query: MatchQuery) -> list[Candidate]:
        return self.match_many([query])[0]

    def match_many(self, queries: Sequence[MatchQuery]) -> list[list[Candidate]]:
        """The candidates of each query, in order (one round trip for all)."""
        if not queries:
            return []
        self.wait_ready()
        with self._lock:
            try:
                self._conn.send(list(queries))
            except OSError as exc:
                raise self._gone(exc) from exc
            reply = self._receive()
        return answers(reply)

    def _receive(self) -> Any:
        try:
            return self._conn.recv()
        except (EOFError, OSError) as exc:
            raise self._gone(exc) from exc

    def _gone(self, exc: BaseException) -> PipelineError:
        code = self._child.poll()
        return PipelineError(
            f"the matcher process {self._child.pid} ended (exit code {code}): {exc!r}"
        )

    def close(self) -> None:
        """End the child (closing the pair ends its loop) and reap it."""
        self._conn.close()
        try:
            self._child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()


def answers(reply: Any) -> list[list[Candidate]]:
    """The candidates of each query in the child's reply to a batch. A query the matcher
    refused raises :class:`ValueError`, as ``Matcher.match`` raised it in the child (the
    caller asks again one by one); a batch the child could not answer at all is a
    :class:`~pipelines.PipelineError`."""
    if reply[0] != "ok":
        raise PipelineError(f"the matcher process failed: {reply[1]}")
    refused = [answer[1] for answer in reply[1] if isinstance(answer, tuple)]
    if refused:
        raise ValueError(f"the matcher refused a query: {refused[0]}")
    return [[from_row(row) for row in rows] for rows in reply[1]]


def _load(url: str, folder: Path) -> tuple[Matcher, str]:
    """The matcher of the register at ``url``: from ``folder``'s file for the register's
    fingerprint, else built and written there (older files removed)."""
    from pipelines.matcher_cache import register_fingerprint, write_matcher
    from storage.db import make_engine

    engine = make_engine(url)
    try:
        path = folder / f"{register_fingerprint(engine)}.pickle"
        if path.exists():
            try:
                return pickle.loads(path.read_bytes()), "cache"
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError) as exc:
                log.warning("matcher cache %s unreadable (%r): building it again", path, exc)
        for old in folder.glob("*.pickle"):
            old.unlink(missing_ok=True)
        return write_matcher(engine, path), "built"
    finally:
        engine.dispose()


def serve(conn: Connection) -> None:
    """The child's loop: load or build the matcher, then answer batches of queries until the
    parent closes its end."""
    url, folder = conn.recv()
    try:
        matcher, source = _load(url, Path(folder))
    except Exception as exc:  # noqa: BLE001 — whatever it is, the parent must hear it
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    # The matcher's objects live as long as the process: out of the cycle collector's sight
    # (see vigie.heap), so that collections during matching do not walk them.
    gc.collect()
    gc.freeze()
    conn.send(("ready", matcher.VERSION, len(matcher), source))
    while True:
        try:
            queries = conn.recv()
        except EOFError:
            return
        answers: list[Any] = []
        try:
            for query in queries:
                try:
                    answers.append([to_row(c) for c in matcher.match(query)])
                except (ValueError, KeyError, TypeError) as exc:  # this query only
                    answers.append(("refused", f"{type(exc).__name__}: {exc}"))
        except Exception as exc:  # noqa: BLE001 — reported to the parent, which stops
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            continue
        conn.send(("ok", answers))


def main(argv: list[str] | None = None) -> int:
    """``python -m pipelines.match_process FD``: serve the matcher on the inherited socket
    ``FD`` (started by :class:`MatchProcess`, not by hand)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m pipelines.match_process FD (started by a crawl)",
              file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    conn = Connection(int(args[0]))
    try:
        serve(conn)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
