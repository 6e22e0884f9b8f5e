"""KBO-like registers and queries made from them (benchmarks.bench_scale's generator), for
the tests that compare the matcher's shortcuts against doing everything."""

from __future__ import annotations

import random
from typing import Any

from benchmarks.bench_scale import make_queries
from benchmarks.filler import ScaleRegister
from entity_resolution.matcher import MatchQuery


def generated(*, register_seed: int, size: int, sample_seed: int, sources: int, queries: int,
              query_seed: int) -> tuple[list[Any], list[MatchQuery]]:
    """``size`` register entries, and ``queries`` corrupted queries made from ``sources`` of
    them picked at random."""
    register = ScaleRegister(seed=register_seed)
    entries = list(register.entries(size))
    rng = random.Random(sample_seed)
    picked = {k: entries[k] for k in rng.sample(range(len(entries)), sources)}
    made = make_queries(register, picked, queries, seed=query_seed)
    return entries, [q.query for q in made]
