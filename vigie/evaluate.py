"""``vigie evaluate``: the matcher beside two baselines on labelled data.

Baselines: an exhaustive fuzzy search (rapidfuzz WRatio, names only) and a Fellegi-Sunter
model trained without labels with Splink 5 (name, plus phone / postcode / number where the set
gives them). Both have their threshold tuned for the best F1 on the very set (optimistic).
Splink is the optional ``bench`` extra; without it the Splink column says how to install it.

Sets (see :mod:`entity_resolution.evaluate` for the scoring and the baseline):

- ``dnb`` — DeNederlandscheBank/name_matching, 500 synthetic names and perturbed copies;
- ``patstat`` — 102 clusters of Dutch patent-applicant names (dedupe-examples);
- ``fodors_zagat`` — the Fodors-Zagat restaurant benchmark (name + US phone);
- ``demo`` — the demo world's register padded with KBO-like filler, queried with every demo
  ad's employer (unknown Belgian businesses and foreign firms must match nothing) and with
  spelling variants of each employer's name, exactly as ``benchmarks/bench_matching.py``
  builds them. It lives here, not in ``entity_resolution``, which must not import ``demo``.

The three real sets are read from ``data_root/<folder>/`` (default: the copies bundled in
``tests/fixtures/realworld/``; ``/work/shared/realdata/C`` has the same layout).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from entity_resolution.evaluate import (
    Evaluation,
    LabelledSet,
    SetEvaluation,
    evaluate_dnb,
    evaluate_fodors_zagat,
    evaluate_patstat,
    evaluate_set,
)
from entity_resolution.splink_baseline import NOT_INSTALLED, splink_available
from vigie.errors import VigieError

DEFAULT_DATA_ROOT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "realworld"
FOLDERS = {
    "dnb": "dnb_name_matching",
    "patstat": "dedupe_patstat_nl",
    "fodors_zagat": "magellan_fodors_zagats",
}
SETS = (*FOLDERS, "demo")
DEMO_SEED = 7
DEMO_SIZE = {"world_size": 300, "filler": 2_000, "variants": 2}


class EvaluationError(VigieError):
    """An unknown labelled set or a missing data folder."""


def load_demo(
    seed: int = DEMO_SEED, world_size: int = 300, filler: int = 2_000, variants: int = 2
) -> LabelledSet:
    """The demo register (employers + filler) and its labelled queries, as the matching
    benchmark builds them; queries carry what the pipeline passes (name, number, phone,
    postcode as written in the ad; name only for the spelling variants)."""
    from benchmarks.bench_matching import labelled_queries
    from benchmarks.filler import demo_entries, filler_entries, keyed
    from demo.world import build_world

    world = build_world(seed, world_size)
    entries = keyed(demo_entries(world) + filler_entries(filler, world))
    queries = [(q.full, q.expected) for q in labelled_queries(world, variants)]
    return LabelledSet(
        "demo", list(entries), list(queries), "name + number + phone + postcode from the ad"
    )


def set_runners(data_root: Path, splink: bool) -> dict[str, Callable[[], SetEvaluation]]:
    return {
        "dnb": lambda: evaluate_dnb(data_root / FOLDERS["dnb"], splink),
        "patstat": lambda: evaluate_patstat(data_root / FOLDERS["patstat"], splink),
        "fodors_zagat": lambda: evaluate_fodors_zagat(data_root / FOLDERS["fodors_zagat"], splink),
        "demo": lambda: evaluate_set(load_demo(**DEMO_SIZE), splink),
    }


def run_evaluation(
    data_root: Path | None = None,
    sets: list[str] | None = None,
    console: Console | None = None,
    splink: bool = True,
) -> list[Evaluation]:
    """Evaluate the named sets (all by default) and print one Rich table row per set.

    Returns per set, in order: Vigie (declared matches), the WRatio baseline
    (``system == "baseline"``), Vigie with possibles (``"vigie+possible"``) and, when
    ``splink`` is asked for and installed, the Splink baseline (``"splink"``).
    """
    root = data_root or DEFAULT_DATA_ROOT
    chosen = list(sets) if sets else list(SETS)
    unknown = [s for s in chosen if s not in SETS]
    if unknown:
        raise EvaluationError(f"unknown set(s) {', '.join(unknown)}; known: {', '.join(SETS)}")
    missing = [
        str(root / FOLDERS[s]) for s in chosen if s in FOLDERS and not (root / FOLDERS[s]).is_dir()
    ]
    if missing:
        raise EvaluationError(f"labelled data folder(s) not found: {', '.join(missing)}")
    runners = set_runners(root, splink)
    results = [runners[s]() for s in chosen]
    (console or Console()).print(results_table(results, splink))
    return [e for r in results for e in r if e is not None]


def results_table(results: list[SetEvaluation], splink: bool = True) -> Table:
    """Set, queries, Vigie P/R/F1, Vigie with possibles, WRatio baseline P/R/F1 and its
    threshold, Splink baseline P/R/F1 and its threshold (or why it is missing)."""
    table = Table(title="Matcher evaluation on labelled data (P / R / F1)")
    table.add_column("set")
    table.add_column("queries", justify="right")
    table.add_column("Vigie (match)", justify="right")
    table.add_column("Vigie (match or possible)", justify="right")
    table.add_column("baseline WRatio", justify="right")
    table.add_column("baseline threshold", justify="right")
    table.add_column("baseline Splink 5", justify="right")
    table.add_column("Splink threshold", justify="right")
    table.add_column("Vigie was given")
    missing = escape(NOT_INSTALLED if splink and not splink_available() else "not run")
    for r in results:
        table.add_row(
            r.vigie.name,
            str(r.vigie.n_queries),
            _prf(r.vigie),
            _prf(r.reviewed),
            _prf(r.baseline),
            r.baseline.threshold_note.split(" (")[0],
            _prf(r.splink) if r.splink else missing,
            r.splink.threshold_note.split(" (")[0] if r.splink else "",
            r.vigie.threshold_note.split("; ", 1)[-1],
        )
    table.caption = (
        "Baselines, thresholds tuned for best F1 on the same set (optimistic): rapidfuzz "
        "extractOne, fuzz.WRatio over every register name (names only); Splink 5 (DuckDB), "
        "Fellegi-Sunter trained without labels (u by random sampling, m by EM) on name "
        "Jaro-Winkler/Levenshtein levels, first word, shared words, and phone / postcode / "
        "number exact where the set gives them."
    )
    return table


def _prf(e: Evaluation) -> str:
    return f"{e.precision:.3f} / {e.recall:.3f} / {e.f1:.3f}"
