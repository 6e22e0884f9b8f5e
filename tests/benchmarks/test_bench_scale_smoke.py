"""Smoke test of the register-scale benchmark: it runs end to end on a small register and its
result is well formed. Not a timing test (speeds depend on the machine and its load)."""

from __future__ import annotations

import json
import math
import random

from benchmarks.bench_scale import QUICK, make_queries, run_scale, written_form
from benchmarks.common import BenchResult
from benchmarks.filler import ScaleRegister
from benchmarks.report import results_table


def test_scale_benchmark_result_structure() -> None:
    result = run_scale(entries=3_000, queries=300, recall_sample=25, cdist_sample=2)

    assert result.name == "scale"
    assert result.params["register_entries"] == 3_000
    assert result.params["queries"] == 300
    measures = {c.measure: c for c in result.comparisons}
    assert {
        "seconds per query (wall)",
        "CPU seconds per query",
        "recall: true entry among candidates",
    } <= set(measures)
    for row in result.comparisons:
        assert row.vigie > 0 and row.baseline > 0, row
        assert math.isfinite(row.ratio), row
    figures = result.figures
    assert figures["in_register_queries"] == round(300 * 0.85)
    assert result.params["workers"] == 2
    # the memory sampler saw the tree (short-lived workers of a small run may fall between
    # two samples, so only the parent is certain)
    assert figures["peak_processes"] >= 1
    assert 0 < figures["peak_tree_pss_mb"] <= figures["peak_tree_rss_mb"]
    recall = figures["recall"]
    assert recall["sample"] == 25
    for key in ("vigie_recall_candidates", "exhaustive_recall_candidates"):
        assert 0.5 <= recall[key] <= 1.0, recall
    # Exhaustive candidates are a superset of the blocked ones: they never find fewer.
    assert recall["points_lost_candidates"] >= 0
    assert result.peak_memory_mb["vigie"] > 0 and result.peak_memory_mb["baseline"] > 0

    again = BenchResult.from_dict(json.loads(json.dumps(result.as_dict())))
    machine = {"date": "2026-01-01", "cores": 2, "python": "3.11"}
    assert results_table([again], machine, "quick").row_count == len(result.comparisons) + 1


def test_register_and_queries_are_deterministic() -> None:
    first = list(ScaleRegister(seed=3).entries(500))
    assert first == list(ScaleRegister(seed=3).entries(500))
    assert len({e.enterprise_number for e in first}) == 500
    assert sum(e.phone is not None for e in first) > 100
    register = ScaleRegister(seed=3)
    sources = dict(enumerate(first[:85]))
    queries = make_queries(register, sources, 100)
    assert len(queries) == 100
    assert sum(q.expected is not None for q in queries) == 85
    assert {q.expected for q in queries if q.expected} == {e.enterprise_number for e in first[:85]}
    rng = random.Random(1)
    written = [written_form(e, register.form_key(e), rng) for e in first[:200]]
    assert sum(w != e.name for w, e in zip(written, first, strict=False)) > 100  # corrupted


def test_quick_mode_stays_small() -> None:
    assert QUICK["entries"] <= 20_000 and QUICK["queries"] <= 2_000
