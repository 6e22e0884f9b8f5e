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

Per set, ``blocking_lost`` counts the queries whose true entry the matcher returns (match or
possible) when it scores *every* register entry but not with its blocking index: recall lost
to blocking, gross (vigie-er/1.3: 0 on dnb, fodors_zagat and demo, 1 of 990 on patstat: a
name glued to its legal form, "HUNTERDOUGLASINDUSTRIESB.V."; vigie-er/1.2 lost 4 on dnb).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.common import BenchResult, progress, timed
from entity_resolution.evaluate import (
    DNB_FILES,
    FODORS_ZAGAT_FILES,
    PATSTAT_FILE,
    Evaluation,
    LabelledSet,
    load_dnb,
    load_fodors_zagat,
    load_patstat,
)
from entity_resolution.matcher import Matcher
from entity_resolution.splink_baseline import SPLINK_VERSION, splink_available
from vigie.evaluate import DEFAULT_DATA_ROOT, DEMO_SIZE, FOLDERS, SETS, load_demo, set_runners


def labelled_set(name: str, root: Path = DEFAULT_DATA_ROOT) -> LabelledSet:
    """The labelled set ``name`` as ``vigie evaluate`` loads it."""
    if name == "dnb":
        return load_dnb(*(root / FOLDERS[name] / f for f in DNB_FILES))
    if name == "patstat":
        return load_patstat(root / FOLDERS[name] / PATSTAT_FILE)
    if name == "fodors_zagat":
        return load_fodors_zagat(*(root / FOLDERS[name] / f for f in FODORS_ZAGAT_FILES))
    return load_demo(**DEMO_SIZE)


def blocking_lost(labelled: LabelledSet) -> dict[str, object]:
    """Queries whose true entry is returned when every entry is scored, and how many of
    those the matcher with its blocking index misses (with up to five of their names)."""
    blocked = Matcher(labelled.entries)
    exhaustive = Matcher(labelled.entries)
    everyone = list(range(len(exhaustive)))
    exhaustive._candidates = lambda p: everyone  # type: ignore[method-assign]
    found, lost = 0, []
    for query, expected in labelled.queries:
        if expected is None or not any(c.key == expected for c in exhaustive.match(query)):
            continue
        found += 1
        if not any(c.key == expected for c in blocked.match(query)):
            lost.append(query.name)
    return {"found_exhaustively": found, "lost": len(lost), "examples": lost[:5]}


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
        progress("accuracy", f"{name}: recall lost to blocking (every entry scored)")
        lost = blocking_lost(labelled_set(name))
        result.figures[name]["blocking_lost"] = lost
        result.notes.append(
            f"{name}: blocking lost {lost['lost']} of the {lost['found_exhaustively']} true "
            "entries found when every register entry is scored"
        )
    if not with_splink:
        result.notes.append("Splink baseline not installed: install the optional 'bench' extra")
    result.notes.append(
        "baseline thresholds tuned on the same labelled sets (optimistic); Vigie's are fixed"
    )
    return result
