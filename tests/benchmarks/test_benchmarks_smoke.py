"""Smoke test of the matching benchmark: it runs end to end and its result is well formed.

Not a timing test: speeds vary with the machine; only the shape and the ranges are checked.
"""

from __future__ import annotations

import json
import math

from benchmarks.bench_matching import labelled_queries, run_matching
from benchmarks.common import BenchResult
from benchmarks.filler import demo_entries, filler_entries, name_key, world_names
from benchmarks.report import results_table
from demo.world import build_world


def test_matching_benchmark_result_structure() -> None:
    result = run_matching(world_size=60, filler=200, variants=1, measure_memory=False)

    assert result.name == "matching"
    # the smallest demo register: 40 firms, plus 12 at the letterbox address and 2 young firms
    assert result.params["register_entries"] == 40 + 12 + 2 + 200
    assert result.params["queries"] == 60 + 40 + 14  # every ad, one variant per employer
    measures = {c.measure: c for c in result.comparisons}
    assert {
        "queries/s (name only)",
        "queries/s (name+ids)",
        "F1 (name only)",
        "F1 (name+ids)",
        "build / index time",
    } <= set(measures)
    for row in result.comparisons:
        assert row.vigie > 0 and row.baseline > 0, row
        assert row.ratio > 0 and math.isfinite(row.ratio), row
    for side in ("vigie_name_only", "vigie_full_query", "baseline"):
        scores = result.figures[side]
        for rate in ("precision", "recall", "f1"):
            assert 0.0 <= scores[rate] <= 1.0, (side, rate, scores)
        assert (
            scores["tp"] + scores["fn"]
            == result.params["queries"] - result.params["queries_must_not_match"]
        )
    assert 0 <= result.figures["baseline_threshold_wratio"] <= 100

    # The result survives the JSON round trip that python -m benchmarks makes.
    again = BenchResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert [c.ratio for c in again.comparisons] == [c.ratio for c in result.comparisons]
    machine = {"date": "2026-01-01", "cores": 2, "python": "3.11"}
    assert results_table([again], machine, "quick").row_count == len(result.comparisons)


def test_filler_is_deterministic_and_stays_off_labelled_names() -> None:
    world = build_world(7, 60)
    first = filler_entries(300, world)
    assert [e.enterprise_number for e in first] == [
        e.enterprise_number for e in filler_entries(300, world)
    ]
    taken = world_names(world)
    assert not any(name_key(e.name) in taken for e in first)
    numbers = {e.enterprise_number for e in demo_entries(world)}
    assert len({e.enterprise_number for e in first} | numbers) == 300 + len(numbers)


def test_labelled_queries_carry_the_ground_truth() -> None:
    world = build_world(7, 60)
    queries = labelled_queries(world, variants=1)
    ads = [q for q in queries if q.origin == "ad"]
    assert len(ads) == world.n_ads
    for q, i in zip(ads, range(world.n_ads), strict=True):
        ad = world.ad(i)
        assert q.expected == ad.employer_number
        assert q.full.name == q.name_only.name == ad.employer_name
        assert (q.expected is None) == (ad.kind_of_poster in ("unknown", "foreign"))
