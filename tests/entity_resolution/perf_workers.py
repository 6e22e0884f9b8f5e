"""What forking costs the scale matching: the same queries matched by two forked workers, by
one forked worker, and in this process (not a test; run by hand).

    PYTHONPATH=$PWD .venv/bin/python tests/entity_resolution/perf_workers.py \
        CACHE [n_entries=1000000] [n_queries=3000] [rounds=1]

Loads the matcher and queries of :mod:`tests.entity_resolution.perf_scale` (``CACHE`` as its
``--cache``), warms up on 300 queries, then matches the next ``n_queries`` three ways and
prints, for each, CPU milliseconds per query of this process and of the workers, the
workers' minor page faults (copy-on-write copies of the parent's pages and first touches of
new memory) per query, and the wall time. In-process, the collector is frozen as in the
workers. Each way starts from the same parent state (the workers' caches die with them), so
the differences are what forking and running two workers at once cost: copied pages,
caches warmed twice, and two processes sharing the machine's caches and memory bandwidth —
which instruction counts (``perf_instructions.py``) do not see.
"""

from __future__ import annotations

import gc
import multiprocessing
import resource
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from entity_resolution import parallel
from entity_resolution.matcher import Matcher, MatchQuery
from tests.entity_resolution.perf_scale import _load


def _usage(who: int) -> tuple[float, int]:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime, usage.ru_minflt


def _in_pool(matcher: Matcher, queries: list[MatchQuery], workers: int) -> Iterator[Any]:
    """``parallel.match_in_workers`` with any number of workers, one included."""
    token = id(matcher)
    parallel._SHARED[token] = matcher
    gc.collect()
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            gc.unfreeze()
            chunks = parallel._chunks(queries, 500)
            for rows in pool.imap(partial(parallel._match_chunk, token), chunks):
                for found in rows:
                    yield [matcher._candidate(row) for row in found]
    finally:
        gc.unfreeze()
        parallel._SHARED.pop(token, None)


def _in_process(matcher: Matcher, queries: list[MatchQuery]) -> None:
    gc.collect()
    gc.freeze()
    try:
        for q in queries:
            matcher._match_rows(q)
    finally:
        gc.unfreeze()


def main() -> None:
    cache = Path(sys.argv[1])
    entries = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 3_000
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    matcher, queries = _load(entries, cache)
    for q in queries[:300]:
        matcher._match_rows(q)
    todo = queries[300 : 300 + count]
    n = len(todo)
    for _ in range(rounds):
        for way in ("2 workers", "1 worker", "in process"):
            own, _faults = _usage(resource.RUSAGE_SELF)
            kids, kid_faults = _usage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            if way == "in process":
                _in_process(matcher, todo)
            else:
                for _found in _in_pool(matcher, todo, int(way[0])):
                    pass
            wall = time.perf_counter() - start
            own = _usage(resource.RUSAGE_SELF)[0] - own
            kids_after, kid_faults_after = _usage(resource.RUSAGE_CHILDREN)
            print(
                f"{entries:,} entries, {n:,} queries, {way}: CPU this process "
                f"{1000 * own / n:.3f} ms/query, workers {1000 * (kids_after - kids) / n:.3f}; "
                f"workers' minor faults {(kid_faults_after - kid_faults) / n:.1f}/query; "
                f"wall {wall:.1f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
