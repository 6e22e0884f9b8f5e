"""Surviving a database that stops answering mid-crawl.

A write that fails because the database is unavailable — SQLite locked by another process
past the busy timeout, PostgreSQL down or restarting — is retried with exponential back-off
(:func:`retry_unavailable`). Past a limit the batch goes to a :class:`Spool`: JSON lines under
the data folder, fsynced, replayed in order (and idempotently: records, matches and signals
are upserts) as soon as the database answers again, at the latest when the crawl closes or on
the next ``vigie crawl --resume``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from pipelines import PipelineError

log = logging.getLogger(__name__)

T = TypeVar("T")


class DatabaseUnavailable(PipelineError):
    """The database did not answer within the outage limit."""


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database cannot be reached or is locked now" (worth a
    retry), as opposed to a bad statement or a constraint violation (a bug: not retried)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    orig = exc.orig
    if type(orig).__module__.startswith("sqlite3"):
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    return True  # psycopg: connection refused/closed, server shutting down, …


@dataclass
class RetryPolicy:
    """Back-off from ``first`` seconds, doubling up to ``longest``; give up after ``limit``
    seconds of waiting in total."""

    first: float = 0.2
    longest: float = 5.0
    limit: float = 30.0


def retry_unavailable(
    write: Callable[[], T], policy: RetryPolicy, on_retry: Callable[[float], None] | None = None
) -> tuple[T, int]:
    """Run ``write`` until it succeeds; retry it while the database is unavailable. Returns
    its result and the number of retries; raises :class:`DatabaseUnavailable` past the limit.
    Runs in a worker thread (it sleeps)."""
    delay, waited, retries = policy.first, 0.0, 0
    while True:
        try:
            return write(), retries
        except (OperationalError, InterfaceError, DBAPIError) as exc:
            if not is_unavailable(exc):
                raise
            if waited >= policy.limit:
                raise DatabaseUnavailable(
                    f"database unavailable for {waited:.1f} s: {str(exc.orig)[:200]}"
                ) from exc
            log.warning("database unavailable (%s); retrying in %.1f s", exc.orig, delay)
            time.sleep(delay)
            waited += delay
            retries += 1
            if on_retry is not None:
                on_retry(delay)
            delay = min(delay * 2, policy.longest)


class Spool:
    """Items waiting for the database: one JSON object per line, appended and fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __len__(self) -> int:
        if not self.path.exists():
            return 0
        with open(self.path, "rb") as fh:
            return sum(1 for line in fh if line.strip())

    def append(self, entries: list[dict[str, Any]]) -> None:
        """Write ``entries`` durably (fsync) after those already spooled."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(e, default=str, sort_keys=True) + "\n" for e in entries)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    def load(self) -> list[dict[str, Any]]:
        """The spooled entries in the order they were spooled. A torn last line (the process
        was killed while spooling: its batch was never acknowledged) is left out."""
        if not self.path.exists():
            return []
        entries = []
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    entries.append(json.loads(line))
                except json.JSONDecodeError:
                    log.warning("torn line in %s left out", self.path)
        return entries

    def clear(self) -> None:
        """Forget the spooled entries (after they were all written to the database)."""
        self.path.unlink(missing_ok=True)
