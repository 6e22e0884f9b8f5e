"""Accuracy: Vigie's declared matches against two baselines on four labelled sets.

The sets and the scoring are those of ``vigie evaluate`` (:mod:`vigie.evaluate`,
:mod:`entity_resolution.evaluate`): DeNederlandscheBank synthetic pairs (``dnb``), Dutch
patent-applicant clusters (``patstat``), Fodors-Zagat restaurants (``fodors_zagat``) and the
demo register with its ads and spelling variants (``demo``). Each row compares Vigie's F1 (or
precision) with a baseline's, ratio Vigie ÷ baseline:

- **WRatio**: rapidfuzz ``extractOne`` with ``fuzz.WRatio`` over every register name;
- **Splink 5**: a Fellegi-Sunter model trained without labels (DuckDB backend), only when the
  ``bench`` extra is installed (``pip install -e '.[bench]'``); otherwise its rows are
  missing and a note says so.

Both baselines have their threshold chosen for the best F1 on the very set (optimistic);
Vigie uses its fixed ``t_match``. ``--quick`` runs the same sets (they are small).
"""

from __future__ import annotations

from benchmarks.common import BenchResult, progress, timed
from entity_resolution.evaluate import Evaluation
from entity_resolution.splink_baseline import SPLINK_VERSION, splink_available
from vigie.evaluate import DEFAULT_DATA_ROOT, SETS, set_runners


def _figures(e: Evaluation | None) -> dict[str, object] | None:
    if e is None:
        return None
    return {
        "precision": round(e.precision, 4),
        "recall": round(e.recall, 4),
        "f1": round(e.f1, 4),
        "tp": e.tp,
        "fp": e.fp,
        "fn": e.fn,
        "threshold": e.threshold_note,
    }


def run(quick: bool = False) -> BenchResult:
    """Every labelled set through Vigie, WRatio and (if installed) Splink."""
    with_splink = splink_available()
    result = BenchResult(
        "accuracy",
        "Matching accuracy on labelled sets",
        "rapidfuzz WRatio (exhaustive) and Splink "
        f"{SPLINK_VERSION} (Fellegi-Sunter, EM), thresholds tuned for best F1",
        params={"sets": list(SETS), "splink": SPLINK_VERSION if with_splink else "not installed"},
    )
    runners = set_runners(DEFAULT_DATA_ROOT, with_splink)
    for name in SETS:
        progress("accuracy", f"{name}: Vigie, WRatio" + (", Splink" if with_splink else ""))
        measured, seconds = timed(runners[name])
        vigie, wratio, splink = measured.vigie, measured.baseline, measured.splink
        result.compare(f"{name} F1 vs WRatio", "", vigie.f1, wratio.f1)
        if splink is not None:
            result.compare(f"{name} F1 vs Splink", "", vigie.f1, splink.f1)
        result.compare(f"{name} precision vs WRatio", "", vigie.precision, wratio.precision)
        result.figures[name] = {
            "queries": vigie.n_queries,
            "vigie": _figures(vigie),
            "vigie_match_or_possible": _figures(measured.reviewed),
            "wratio": _figures(wratio),
            "splink": _figures(splink),
            "seconds": round(seconds, 2),
        }
    if not with_splink:
        result.notes.append("Splink baseline not installed: install the optional 'bench' extra")
    result.notes.append(
        "baseline thresholds tuned on the same labelled sets (optimistic); Vigie's are fixed"
    )
    return result
