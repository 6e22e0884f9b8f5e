"""CPU per query of the scale benchmark's matching, at a reduced size (not a test; run by hand).

    PYTHONPATH=$PWD .venv/bin/python tests/entity_resolution/perf_scale.py \
        [n_entries=1000000] [n_queries=10000] [--cache FILE] [--save OUT | --compare OUT]

Builds the matcher and queries of ``benchmarks.bench_scale`` (the same generated KBO-like
register and queries, seed 1; with ``--cache`` the built matcher and queries are pickled to
FILE the first time and read back after, the blocking index rebuilt by the code under test;
give each branch its own FILE, as the other columns are read back as that branch stored them),
warms up on 300 queries, then matches the next ``n_queries`` with
``Matcher.match_iter(workers=2, chunk=500)`` as the benchmark does and prints CPU
milliseconds per query of the parent and of the forked workers, and the wall time.

``--save OUT`` writes every result (keys, scores, outcomes, methods, explanations) to OUT;
``--compare OUT`` checks that this code gives the very same results as the run that saved
OUT: run it on two branches to measure a speed-up that must not change the output. On a
shared machine, compare CPU per query of runs made back to back (or at the same time).
"""

from __future__ import annotations

import pickle
import resource
import sys
import time
from pathlib import Path
from typing import Any

from entity_resolution.matcher import Matcher, MatchQuery
from tests.entity_resolution.perf_blocking import build


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _load(entries: int, cache: Path | None) -> tuple[Matcher, list[MatchQuery]]:
    matcher, labelled = build(entries, cache)
    return matcher, [q.query for q in labelled]


def _plain(results: list[list[Any]]) -> list[list[tuple[Any, ...]]]:
    return [
        [
            (
                c.key,
                c.score,
                c.outcome,
                c.method,
                [(f.name, f.score, f.weight, f.reason) for f in c.explanation],
            )
            for c in found
        ]
        for found in results
    ]


def main() -> None:
    args = sys.argv[1:]
    options: dict[str, Path] = {}
    for flag in ("--cache", "--save", "--compare"):
        if flag in args:
            k = args.index(flag)
            options[flag] = Path(args[k + 1])
            del args[k : k + 2]
    entries = int(args[0]) if args else 1_000_000
    count = int(args[1]) if len(args) > 1 else 10_000
    matcher, queries = _load(entries, options.get("--cache"))
    for q in queries[:300]:
        matcher.match(q)
    todo = queries[300 : 300 + count]
    parent, workers, start = (
        _cpu(resource.RUSAGE_SELF),
        _cpu(resource.RUSAGE_CHILDREN),
        time.perf_counter(),
    )
    results = list(matcher.match_iter(todo, workers=2, chunk=500))
    wall = time.perf_counter() - start
    parent = _cpu(resource.RUSAGE_SELF) - parent
    workers = _cpu(resource.RUSAGE_CHILDREN) - workers
    n = len(todo)
    print(
        f"{entries:,} entries, {n:,} queries: CPU {1000 * (parent + workers) / n:.3f} ms/query "
        f"(parent {1000 * parent / n:.3f}, workers {1000 * workers / n:.3f}), wall {wall:.1f} s",
        flush=True,
    )
    plain = _plain(results)
    if "--save" in options:
        with options["--save"].open("wb") as f:
            pickle.dump(plain, f, protocol=5)
    if "--compare" in options:
        with options["--compare"].open("rb") as f:
            saved = pickle.load(f)
        differ = [k for k, (a, b) in enumerate(zip(saved, plain, strict=True)) if a != b]
        print(f"results differing from {options['--compare']}: {len(differ)} of {n}", differ[:10])


if __name__ == "__main__":
    main()
