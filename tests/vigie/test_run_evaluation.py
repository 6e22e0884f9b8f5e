"""``vigie.evaluate``: the demo labelled set and the Rich table over every set."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from vigie.evaluate import EvaluationError, load_demo, run_evaluation


def test_demo_set_counts() -> None:
    demo = load_demo()
    assert len(demo.entries) == 2075  # the world's employers + 2,000 filler entries
    assert len(demo.queries) == 450
    assert sum(expected is None for _, expected in demo.queries) == 80  # unknown / foreign


def test_run_evaluation_prints_every_set() -> None:
    out = io.StringIO()
    results = run_evaluation(None, None, Console(file=out, width=220))
    assert [(e.name, e.system) for e in results[:3]] == [
        ("dnb", "vigie"),
        ("dnb", "baseline"),
        ("dnb", "vigie+possible"),
    ]
    assert [e.name for e in results[::3]] == ["dnb", "patstat", "fodors_zagat", "demo"]
    demo_vigie, demo_baseline = results[9], results[10]
    # Measured: Vigie (name, number, phone, postcode) P 0.995 R 0.989 F1 0.992;
    # baseline WRatio ≥ 87: P 0.963 R 0.908 F1 0.935.
    assert demo_vigie.precision >= 0.98 and demo_vigie.f1 >= 0.985
    assert demo_baseline.threshold_note.startswith("WRatio ≥ 87 ")
    text = out.getvalue()
    labels = ("dnb", "patstat", "fodors_zagat", "demo", "0.992 / 0.726 / 0.838", "WRatio ≥ 66.5")
    for label in labels:
        assert label in text


def test_run_evaluation_rejects_unknown_set_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="unknown set"):
        run_evaluation(None, ["nope"], Console(file=io.StringIO()))
    with pytest.raises(EvaluationError, match="not found"):
        run_evaluation(tmp_path, ["patstat"], Console(file=io.StringIO()))
