"""Smoke test of the queue benchmark on a small data set: it runs end to end through the real
app, every API page it times equals the plain reference query's page (the benchmark stops
otherwise), and its result is well formed. Not a timing test."""

from __future__ import annotations

import json

from benchmarks.bench_queue import COMBOS, run_queue
from benchmarks.common import BenchResult


def test_queue_benchmark_runs_and_checks_its_pages(tmp_path) -> None:
    wanted = ("all, newest", "sector N (NACE)", "sector A (1 %)", "sector U (no match)",
              "sort severity + sector", "sort district + sector", "unassigned, new")
    combos = [c for c in COMBOS if c[0] in wanted]  # 600 signals: no page 20
    assert len(combos) == len(wanted)
    combos.append(("page 3, sort severity", "sort=severity&page=3"))
    result = run_queue(signals=600, employers=120, repeats=1, tmp_dir=tmp_path,
                       combos=combos)
    figures = result.figures
    assert figures["sector_rows"] > 600  # each employer has 1 to 3 sections
    by_label = figures["combinations"]
    assert set(by_label) == {label for label, _ in combos} | {
        "changes from the start", "changes, last 5,000"}
    assert by_label["all, newest"]["matching"] == 600
    assert 0 < by_label["sector N (NACE)"]["matching"] < 600
    assert by_label["sector U (no match)"]["matching"] == 0
    assert by_label["changes from the start"]["matching"] == 500  # one full feed page
    for label, combo in by_label.items():
        assert combo["api_ms"]["p95"] > 0, label
    assert figures["worst_combination"] in by_label
    assert "every API page equal to the reference query's page (checked)" in result.notes
    again = BenchResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert [c.measure for c in again.comparisons] == [c.measure for c in result.comparisons]
    assert list(tmp_path.iterdir()) == []  # the work folder is removed
