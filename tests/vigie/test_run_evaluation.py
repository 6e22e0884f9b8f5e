"""``vigie.evaluate``: the demo labelled set and the Rich table over every set, with the
WRatio and (optional) Splink baselines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

import entity_resolution.splink_baseline as splink_baseline
import vigie.evaluate as vigie_evaluate
from vigie.evaluate import EvaluationError, load_demo, run_evaluation


def test_demo_set_counts() -> None:
    demo = load_demo()
    # the world's 75 employers, 12 at its letterbox address, 3 young firms + 2,000 filler entries
    assert len(demo.entries) == 75 + 12 + 3 + 2000
    assert len(demo.queries) == 300 + 2 * (75 + 12 + 3)  # every ad, two variants per employer
    # unknown / foreign posters (two of the 80 free slots now hold the scenario firms' ads)
    assert sum(expected is None for _, expected in demo.queries) == 78


def test_run_evaluation_prints_every_set() -> None:
    out = io.StringIO()
    results = run_evaluation(None, None, Console(file=out, width=260), splink=False)
    assert [(e.name, e.system) for e in results[:3]] == [
        ("dnb", "vigie"),
        ("dnb", "baseline"),
        ("dnb", "vigie+possible"),
    ]
    assert [e.name for e in results[::3]] == ["dnb", "patstat", "fodors_zagat", "demo"]
    demo_vigie, demo_baseline = results[9], results[10]
    # Measured (vigie-er/1.3): Vigie (name, number, phone, postcode) P 1.000 R 0.987
    # F1 0.993 [1.2: R 0.989, F1 0.995: "Renov. Prima" is now rightly ambiguous between two
    # SRLs]; baseline WRatio ≥ 87: P 0.963 R 0.908 F1 0.935.
    assert demo_vigie.precision >= 0.98 and demo_vigie.f1 >= 0.99
    assert demo_baseline.threshold_note.startswith("WRatio ≥ 87 ")
    text = out.getvalue()
    labels = ("dnb", "patstat", "fodors_zagat", "demo", "0.991 / 0.912 / 0.950", "WRatio ≥ 66.5")
    for label in labels:
        assert label in text
    assert "not run" in text  # the Splink column, when not asked for


def test_splink_baseline_beside_vigie() -> None:
    """Splink (the ``bench`` extra, installed for the benchmark) trained on the restaurants."""
    out = io.StringIO()
    results = run_evaluation(None, ["fodors_zagat"], Console(file=out, width=260))
    vigie, splink = results[0], results[3]
    assert splink.system == "splink" and splink.n_queries == 331
    assert splink.threshold_note.startswith("match weight ≥ ")
    assert splink.threshold_note.endswith("name + phone")
    # Measured: Splink P 0.991 R 0.946 F1 0.968; Vigie F1 0.973.
    assert splink.f1 > 0.9
    assert vigie.f1 >= splink.f1
    assert "Splink" in out.getvalue()


def test_without_splink_the_column_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(splink_baseline, "splink_available", lambda: False)
    monkeypatch.setattr(vigie_evaluate, "splink_available", lambda: False)
    out = io.StringIO()
    results = run_evaluation(None, ["patstat"], Console(file=out, width=400))
    assert [e.system for e in results] == ["vigie", "baseline", "vigie+possible"]
    assert "not installed (pip install -e '.[bench]')" in out.getvalue()


def test_run_evaluation_rejects_unknown_set_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="unknown set"):
        run_evaluation(None, ["nope"], Console(file=io.StringIO()))
    with pytest.raises(EvaluationError, match="not found"):
        run_evaluation(tmp_path, ["patstat"], Console(file=io.StringIO()))
