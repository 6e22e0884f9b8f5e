"""Batched writes for the crawl: N entries or T seconds, whichever first, one write per batch.

The capture middleware and the persist pipeline hand entries to a :class:`WriteBatcher` and
wait for the Deferred it returns. The batch is written by a function run in a worker thread
(the reactor keeps downloading and parsing meanwhile), one batch at a time and in arrival
order. The function returns one outcome per entry: a value (the entry's Deferred fires with
it) or an exception (the entry's Deferred fails with it, the others are unaffected).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from twisted.internet import defer, threads
from twisted.python.failure import Failure

log = logging.getLogger(__name__)

T = TypeVar("T")


class WriteBatcher(Generic[T]):
    """Collects entries and writes them in batches.

    ``write(entries)`` runs in a thread and returns one outcome per entry. ``prepare(entries)``
    (optional) runs in the reactor thread just before, and may return per-entry exceptions to
    fail entries before the write (the capture middleware fsyncs its WARC file there).
    ``full()`` (optional) says when the batch cannot grow any more (every download in flight is
    waiting for it), so it is written at once instead of after ``wait`` seconds.
    """

    def __init__(
        self,
        write: Callable[[list[T]], Sequence[Any]],
        size: int = 100,
        wait: float = 0.2,
        prepare: Callable[[list[T]], Sequence[BaseException | None]] | None = None,
        full: Callable[[int], bool] | None = None,
        in_thread: bool = True,
    ) -> None:
        self.write = write
        self.size = max(1, size)
        self.wait = wait
        self.prepare = prepare
        self.full = full
        self.in_thread = in_thread
        self.pending: list[tuple[T, defer.Deferred[Any]]] = []
        self.batches = 0
        self._timer: Any = None
        self._busy = False
        self._idle: list[defer.Deferred[None]] = []

    def add(self, entry: T) -> defer.Deferred[Any]:
        """Queue ``entry``; the Deferred fires once its batch is written."""
        done: defer.Deferred[Any] = defer.Deferred()
        self.pending.append((entry, done))
        if len(self.pending) >= self.size or self._cannot_grow():
            self._kick()
        elif self._timer is None:
            from twisted.internet import reactor

            self._timer = reactor.callLater(self.wait, self._on_timer)  # type: ignore[attr-defined]
        return done

    def fail_pending(self, error: BaseException) -> None:
        """Fail every entry not yet handed to a write (their data is gone)."""
        pending, self.pending = self.pending, []
        self._cancel_timer()
        for _, done in pending:
            done.errback(Failure(error))

    def flush(self) -> defer.Deferred[None]:
        """Write what is pending now; fires when nothing is pending or being written."""
        waiter: defer.Deferred[None] = defer.Deferred()
        self._idle.append(waiter)
        self._kick()
        return waiter

    # -- internals ------------------------------------------------------------------------
    def _cannot_grow(self) -> bool:
        return self.full is not None and self.full(len(self.pending))

    def _on_timer(self) -> None:
        self._timer = None
        self._kick()

    def _cancel_timer(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def _kick(self) -> None:
        if self._busy:
            return
        if not self.pending:
            self._notify_idle()
            return
        self._cancel_timer()
        batch, self.pending = self.pending[: self.size], self.pending[self.size :]
        entries = [entry for entry, _ in batch]
        waiting = list(batch)
        if self.prepare is not None:
            failures = self.prepare(entries)
            for (_, done), failure in zip(batch, failures, strict=True):
                if failure is not None:
                    done.errback(Failure(failure))
            waiting = [pair for pair, f in zip(batch, failures, strict=True) if f is None]
            entries = [entry for entry, _ in waiting]
        if not entries:
            self._kick()
            return
        self._busy = True
        self.batches += 1
        if self.in_thread:
            running = threads.deferToThread(self.write, entries)
        else:
            running = defer.maybeDeferred(self.write, entries)
        running.addCallbacks(
            lambda outcomes: self._done(waiting, outcomes),
            lambda failure: self._done(waiting, [failure] * len(waiting)),
        )

    def _done(self, batch: list[tuple[T, defer.Deferred[Any]]], outcomes: Sequence[Any]) -> None:
        self._busy = False
        for (_, done), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Failure):
                done.errback(outcome)
            elif isinstance(outcome, BaseException):
                done.errback(Failure(outcome))
            else:
                done.callback(outcome)
        if self.pending and (
            len(self.pending) >= self.size
            or self._idle
            or self._cannot_grow()
        ):
            self._kick()
        elif self.pending and self._timer is None:
            from twisted.internet import reactor

            self._timer = reactor.callLater(self.wait, self._on_timer)  # type: ignore[attr-defined]
        elif not self.pending:
            self._notify_idle()

    def _notify_idle(self) -> None:
        waiters, self._idle = self._idle, []
        for waiter in waiters:
            waiter.callback(None)
