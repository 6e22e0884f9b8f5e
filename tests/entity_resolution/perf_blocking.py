"""Recall and cost of the blocking index at register scale (not a test; run by hand).

    PYTHONPATH=$PWD .venv/bin/python tests/entity_resolution/perf_blocking.py \
        [n_entries=1000000] [sample=200] [--cache FILE]

Builds the matcher of ``benchmarks.bench_scale`` (the same generated KBO-like register and
queries, seed 1; with ``--cache`` the built matcher and queries are pickled to FILE the first
time and read back after, since building a million entries takes minutes), then, on the
first ``sample`` queries written from register entries and ``sample // 5`` outsiders:

- CPU per query of ``Matcher.match`` and of the blocking alone (``NameBlocks.rank``), with
  the two-typo fallback off and on (same process, same index);
- how often the fallback runs and what it costs;
- the recall lost to blocking against the same matcher with exhaustive candidates
  (``benchmarks.bench_scale.Exhaustive``): gross (true entries the exhaustive matcher
  returns and the blocked one does not) with the fallback off and on.
"""

from __future__ import annotations

import pickle
import random
import sys
import time
from pathlib import Path
from types import MethodType
from typing import Any

from benchmarks.bench_scale import (
    IN_REGISTER,
    Exhaustive,
    ScaleQuery,
    _Stream,
    exhaustive_candidates,
    make_queries,
)
from benchmarks.filler import ScaleRegister
from entity_resolution.blocking import NameBlocks
from entity_resolution.matcher import Matcher

QUERIES = 100_000  # as bench_scale: the sample is the first in-register queries of these


def build(entries: int, cache: Path | None) -> tuple[Matcher, list[ScaleQuery]]:
    if cache is not None and cache.exists():
        with cache.open("rb") as f:
            matcher, labelled = pickle.load(f)
        # the index of the code under test, from the stored normalised names
        blocks = NameBlocks(matcher.max_block)
        for i in range(len(matcher)):
            blocks.add(i, [v for _n, v in matcher._name_column[i]])
        blocks.add_postcode_blocks(matcher._postcodes)
        matcher._name_blocks = blocks
        return matcher, labelled
    register = ScaleRegister(1)
    pick = random.Random("vigie-scale-pick/1")
    wanted = set(pick.sample(range(entries), min(entries, round(QUERIES * IN_REGISTER))))
    stream = _Stream(register, entries, wanted)
    start = time.process_time()
    matcher = Matcher(stream)
    print(f"built {entries:,} entries, CPU {time.process_time() - start:.0f} s", flush=True)
    labelled = make_queries(register, stream.sources, QUERIES)
    if cache is not None:
        with cache.open("wb") as f:
            pickle.dump((matcher, labelled), f, protocol=5)
    return matcher, labelled


def measure(
    matcher: Matcher, sample: list[ScaleQuery], outsiders: list[ScaleQuery], fallback: bool
) -> list[list[Any]]:
    blocks = matcher._name_blocks
    calls = [0, 0.0]
    far_neighbours = NameBlocks._far_neighbours

    def counted(self: NameBlocks, token: str) -> tuple[str, ...]:
        calls[0] += 1
        start = time.process_time()
        try:
            return far_neighbours(self, token)
        finally:
            calls[1] += time.process_time() - start

    blocks._far_neighbours = MethodType(counted, blocks)  # type: ignore[method-assign]
    if not fallback:
        blocks.far_keys = lambda name: []  # type: ignore[method-assign]
    blocks._far_cache.clear()
    blocks._typo_cache.clear()
    try:
        start = time.process_time()
        found = [matcher.match(q.query) for q in sample]
        in_cpu = time.process_time() - start
        start = time.process_time()
        for q in outsiders:
            matcher.match(q.query)
        out_cpu = time.process_time() - start
        start = time.process_time()
        for q in sample + outsiders:
            p = matcher._prepare(q.query)
            if p.name is not None and p.name.tokens:
                blocks.rank(p.name, p.postcode, matcher.shortlist)
        rank_cpu = time.process_time() - start
    finally:
        blocks.__dict__.pop("far_keys", None)
        blocks.__dict__.pop("_far_neighbours", None)
    n = len(sample) + len(outsiders)
    hits = sum(any(c.key == q.expected for c in r) for q, r in zip(sample, found, strict=True))
    print(
        f"fallback {'on ' if fallback else 'off'}: match CPU/query "
        f"{1000 * in_cpu / len(sample):.2f} ms (from the register), "
        f"{1000 * out_cpu / max(1, len(outsiders)):.2f} ms (outsiders); "
        f"blocking alone {1000 * rank_cpu / n:.3f} ms/query; fallback lookups {calls[0]} "
        f"({1000 * calls[1] / max(1, calls[0]):.2f} ms each, over match + rank passes); "
        f"true entry among results {hits}/{len(sample)}",
        flush=True,
    )
    return found


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    cache = None
    if "--cache" in sys.argv:
        cache = Path(sys.argv[sys.argv.index("--cache") + 1])
        args.remove(str(cache))
    entries = int(args[0]) if args else 1_000_000
    k = int(args[1]) if len(args) > 1 else 200
    start = time.perf_counter()
    matcher, labelled = build(entries, cache)
    blocks = matcher._name_blocks
    blocks.freeze()
    print(
        f"ready in {time.perf_counter() - start:.0f} s; blocking index "
        f"{blocks.nbytes() / 1e6:.1f} MB (segment index "
        f"{blocks._segments.nbytes() / 1e6:.1f} MB), {len(blocks._words):,} words",
        flush=True,
    )
    sample = [q for q in labelled if q.expected is not None][:k]
    outsiders = [q for q in labelled if q.expected is None][: k // 5]
    results = {flag: measure(matcher, sample, outsiders, flag) for flag in (False, True)}
    exhaustive = Exhaustive(matcher)
    matcher._candidates = MethodType(exhaustive_candidates(exhaustive), matcher)  # type: ignore[method-assign]
    start = time.process_time()
    oracle = [matcher.match(q.query) for q in sample]
    cpu = time.process_time() - start
    del matcher._candidates
    o_hits = sum(any(c.key == q.expected for c in r) for q, r in zip(sample, oracle, strict=True))
    print(
        f"exhaustive candidates: {o_hits}/{len(sample)} ({1000 * cpu / len(sample):.0f} ms/query)"
    )
    for flag, found in results.items():
        missed = [
            (q.query.name, q.query.postcode, matcher.entry(q.expected).name)
            for q, r, o in zip(sample, found, oracle, strict=True)
            if any(c.key == q.expected for c in o) and not any(c.key == q.expected for c in r)
        ]
        print(
            f"fallback {'on ' if flag else 'off'}: missed by blocking (gross) {len(missed)} = "
            f"{100 * len(missed) / len(sample):.2f} points"
        )
        for name, postcode, registered in missed:
            print(f"    {name!r} (postcode {postcode}) for {registered!r}")


if __name__ == "__main__":
    main()
