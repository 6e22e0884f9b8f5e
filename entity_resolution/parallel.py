"""Matching many queries on several cores: forked workers that share one built matcher.

The matcher is built once in the parent; each worker is a ``fork`` of it, so the index —
kept in flat byte buffers and numpy arrays (:mod:`entity_resolution.index`) — is shared
copy-on-write instead of being rebuilt or pickled per worker. Before forking, the garbage
collector's view of existing objects is frozen (``gc.freeze``) so that collections in the
workers do not write to, and thereby copy, the parent's pages. Queries go to the workers in
chunks and results come back in the order of the queries, as plain rows (entry number,
score, reasons…) that the parent turns into candidates whose register entries are read from
its own copy of the index when asked for: unpickling dataclasses field by field cost the
parent more than a fifth of the matching time. The parent keeps the collector's view frozen
until the last result: reading results back allocates many objects, and every full
collection would otherwise walk all the objects the caller holds (a benchmark's 100,000
queries), which cost more than the reading itself.

Where ``fork`` is not available (Windows, macOS's default), matching stays in this process.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import sys
from collections.abc import Iterable, Iterator
from dataclasses import fields
from functools import partial
from itertools import islice
from operator import attrgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from entity_resolution.matcher import Candidate, Matcher, MatchQuery

# Matchers handed to forked workers, by a token (the workers inherit this dict).
_SHARED: dict[int, Any] = {}


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def match_in_workers(
    matcher: Matcher, queries: Iterable[MatchQuery], *, workers: int, chunk: int = 256
) -> Iterator[list[Candidate]]:
    """``matcher.match(q)`` for each query, in order, computed by ``workers`` processes."""
    if workers <= 1 or not fork_available():
        yield from (matcher.match(q) for q in queries)
        return
    token = id(matcher)
    _SHARED[token] = matcher
    gc.collect()
    _trim_heap()
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            for rows in pool.imap(partial(_match_chunk, token), _chunks(queries, chunk)):
                for found in rows:
                    yield [matcher._candidate(row) for row in found]
    finally:
        gc.unfreeze()
        _SHARED.pop(token, None)


def _trim_heap() -> None:
    """Give the C heap's free pages back to the system before forking (glibc only), so the
    workers do not start with the parent's garbage resident."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl…): nothing to trim
        return
    libc.malloc_trim(0)


def _chunks(queries: Iterable[MatchQuery], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Queries in lists of ``size``, each query as the tuple of its fields (quick to pickle)."""
    from entity_resolution.matcher import MatchQuery

    values = attrgetter(*(f.name for f in fields(MatchQuery)))
    it = iter(queries)
    while batch := list(islice(it, max(1, size))):
        yield [values(q) for q in batch]


def _match_chunk(token: int, queries: list[tuple[Any, ...]]) -> list[list[Any]]:
    """In a worker: the rows of each query's candidates (plain tuples, quick to pickle; the
    parent reads the register entries back from its own copy of the index)."""
    from entity_resolution.matcher import MatchQuery

    matcher = _SHARED[token]
    return [matcher._match_rows(MatchQuery(*q)) for q in queries]
