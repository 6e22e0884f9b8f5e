"""Measure the matcher on labelled data: precision, recall, F1, beside a plain baseline.

A labelled query says which register key it should match (or None: it should match nothing).
The matcher's prediction is its best candidate whose outcome is accepted (by default only
``"match"``; pass ``accept=("match", "possible")`` to measure what reaches a reviewer):

- prediction == expected → true positive;
- a prediction that is not the expected key → false positive (and, if a key was expected,
  also a false negative);
- no prediction although a key was expected → false negative.

The **baseline** is an exhaustive fuzzy search: ``rapidfuzz.process.extractOne`` with
``fuzz.WRatio`` over every register name (pre-processed with ``utils.default_process``); it
predicts its best name when the score reaches a threshold chosen to maximise the baseline's
F1 on the same labelled set (an optimistic baseline: tuned on the test data). It sees only
names; Vigie gets whatever else the set provides (phone), as the pipeline would pass it.

The **Splink baseline** (:mod:`entity_resolution.splink_baseline`, only when the optional
``bench`` extra is installed) is a Fellegi-Sunter model trained without labels on the same
register and queries; it sees the name and what else the set gives (phone, postcode,
number). Its threshold on the match weight is also chosen for the best F1 on the set.

Labelled sets (loaders take file paths; nothing is read at import time):

- :func:`load_dnb` — DeNederlandscheBank/name_matching: row i of the perturbed file matches
  row i of the original file;
- :func:`load_patstat` — dedupe-examples' Dutch patent applicants: one representative name
  per ``leuven_id`` cluster (its most frequent spelling) is the register, every other distinct
  spelling a query that must match its cluster;
- :func:`load_fodors_zagat` — Magellan's Fodors-Zagat restaurants: Fodors is the register,
  each Zagat row a query, the gold file says which Fodors row (if any) it is.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from rapidfuzz import fuzz, process, utils

from entity_resolution.identifiers import normalize_phone
from entity_resolution.matcher import MATCH, Matcher, MatchQuery
from entity_resolution.register import RegisterEntry

THRESHOLDS = [t / 2 for t in range(0, 201)]  # 0, 0.5, … 100 (WRatio scores are 0–100)
DNB_FILES = ("test_names.csv", "adjusted_test_names.csv")
PATSTAT_FILE = "patstat_reference.csv"
FODORS_ZAGAT_FILES = ("fodors.csv", "zagats.csv", "matches_fodors_zagats.csv")

Labelled = list[tuple[MatchQuery, Hashable | None]]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The result of one system on one labelled set.

    ``system`` is ``"vigie"`` or ``"baseline"``; ``threshold_note`` says what counted as a
    declared match (the outcome accepted, or the WRatio threshold chosen).
    """

    name: str
    n_queries: int
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int
    threshold_note: str
    system: str = "vigie"

    def summary(self) -> str:
        return (
            f"{self.name} ({self.system}): {self.n_queries} queries, precision "
            f"{self.precision:.3f}, recall {self.recall:.3f}, F1 {self.f1:.3f} (TP {self.tp}, "
            f"FP {self.fp}, FN {self.fn}; {self.threshold_note})"
        )


@dataclass(slots=True)
class Counts:
    """Confusion counts, filled one (prediction, expected) pair at a time."""

    queries: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: Hashable | None, expected: Hashable | None) -> None:
        self.queries += 1
        if predicted is not None and predicted == expected:
            self.tp += 1
            return
        if predicted is not None:
            self.fp += 1
        if expected is not None:
            self.fn += 1

    def evaluation(self, name: str, threshold_note: str, system: str = "vigie") -> Evaluation:
        p, r, f = prf(self.tp, self.fp, self.fn)
        return Evaluation(
            name, self.queries, p, r, f, self.tp, self.fp, self.fn, threshold_note, system
        )


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 (precision/recall 1.0 when nothing was predicted/expected)."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def count(predictions: Iterable[Hashable | None], expected: Iterable[Hashable | None]) -> Counts:
    """Confusion counts of aligned predictions and expected keys."""
    counts = Counts()
    for p, e in zip(predictions, expected, strict=True):
        counts.add(p, e)
    return counts


# --------------------------------------------------------------------------- the two systems


def vigie_predictions(
    matcher: Matcher, queries: Iterable[MatchQuery], accept: tuple[str, ...] = ("match",)
) -> list[Hashable | None]:
    """For each query, the key of the best candidate whose outcome is accepted, else None."""
    return [next((c.key for c in matcher.match(q) if c.outcome in accept), None) for q in queries]


def evaluate(
    matcher: Matcher,
    labelled: Iterable[tuple[MatchQuery, Hashable | None]],
    accept: tuple[str, ...] = ("match",),
    name: str = "",
) -> Evaluation:
    """Run ``matcher`` on every labelled query and count the outcomes."""
    pairs = list(labelled)
    predictions = vigie_predictions(matcher, (q for q, _ in pairs), accept)
    return count(predictions, (e for _, e in pairs)).evaluation(
        name, f"outcome in {{{', '.join(accept)}}}"
    )


def wratio_tops(
    entries: Sequence[tuple[Hashable, RegisterEntry]], queries: Iterable[MatchQuery]
) -> list[tuple[Hashable | None, float]]:
    """For each query name, the best (key, WRatio score) over every register name."""
    keys = [k for k, _ in entries]
    names = [utils.default_process(e.name) for _, e in entries]
    out: list[tuple[Hashable | None, float]] = []
    for query in queries:
        found = process.extractOne(
            utils.default_process(query.name or ""), names, scorer=fuzz.WRatio, processor=None
        )
        out.append((keys[found[2]], float(found[1])) if found else (None, 0.0))
    return out


def best_threshold(
    tops: Sequence[tuple[Hashable | None, float]],
    expected: Sequence[Hashable | None],
    thresholds: Sequence[float] | None = None,
) -> tuple[float, Counts]:
    """The threshold that maximises F1 (ties: the higher threshold) and its counts.

    ``thresholds`` defaults to the WRatio grid 0, 0.5, … 100."""
    grid = THRESHOLDS if thresholds is None else sorted(thresholds)
    best_t, best, best_f1 = (grid[-1] if grid else 100.0), Counts(), -1.0
    for t in grid:
        counts = count([k if k is not None and s >= t else None for k, s in tops], expected)
        f1 = prf(counts.tp, counts.fp, counts.fn)[2]
        if f1 >= best_f1:
            best_t, best, best_f1 = t, counts, f1
    return best_t, best


@dataclass(frozen=True, slots=True)
class LabelledSet:
    """A register, labelled queries, and what the matcher is given (``vigie_note``)."""

    name: str
    entries: list[tuple[Hashable, RegisterEntry]]
    queries: Labelled
    vigie_note: str = "name only"


class SetEvaluation(NamedTuple):
    """One labelled set measured four ways: Vigie's declared matches, the tuned WRatio
    baseline, what Vigie sends to a reviewer (outcome ``"match"`` or ``"possible"``), and the
    Splink baseline (None when Splink is not installed or was not asked for)."""

    vigie: Evaluation
    baseline: Evaluation
    reviewed: Evaluation
    splink: Evaluation | None = None


def splink_evaluation(labelled: LabelledSet) -> Evaluation | None:
    """The Splink baseline on one set, its match-weight threshold tuned for the best F1;
    None when Splink (the ``bench`` extra) is not installed."""
    from entity_resolution.splink_baseline import splink_available, splink_tops

    if not splink_available():
        return None
    queries = [q for q, _ in labelled.queries]
    expected = [e for _, e in labelled.queries]
    tops = splink_tops(labelled.entries, queries)
    grid = sorted({s for k, s in tops if k is not None})
    threshold, counts = best_threshold(tops, expected, grid or [0.0])
    given = "name" + "".join(
        f" + {what}"
        for what, attr in (("phone", "phone"), ("postcode", "postcode"), ("number", "number"))
        if any(getattr(q, attr) for q in queries)
    )
    return counts.evaluation(
        labelled.name,
        f"match weight ≥ {threshold:.2f} (best F1 on this set); {given}",
        "splink",
    )


def evaluate_set(labelled: LabelledSet, splink: bool = False) -> SetEvaluation:
    """Vigie, the baseline and Vigie-with-possibles on one labelled set, scored the same way;
    with ``splink``, also the Splink baseline (when installed)."""
    matcher = Matcher(labelled.entries)
    queries = [q for q, _ in labelled.queries]
    expected = [e for _, e in labelled.queries]
    strict: list[Hashable | None] = []
    loose: list[Hashable | None] = []
    for query in queries:
        found = matcher.match(query)  # best first: a "match" always precedes a "possible"
        strict.append(next((c.key for c in found if c.outcome == MATCH), None))
        loose.append(found[0].key if found else None)
    vigie = count(strict, expected).evaluation(
        labelled.name, f"outcome match (score ≥ {matcher.t_match:g}); {labelled.vigie_note}"
    )
    reviewed = count(loose, expected).evaluation(
        labelled.name,
        f"outcome match or possible (score ≥ {matcher.t_possible:g}); {labelled.vigie_note}",
        "vigie+possible",
    )
    threshold, counts = best_threshold(wratio_tops(labelled.entries, queries), expected)
    baseline = counts.evaluation(
        labelled.name, f"WRatio ≥ {threshold:g} (best F1 on this set); name only", "baseline"
    )
    return SetEvaluation(vigie, baseline, reviewed, splink_evaluation(labelled) if splink else None)


# --------------------------------------------------------------------------- loaders


def synthetic_enterprise_number(i: int) -> str:
    """A valid (mod 97) enterprise number for test registers: 1000.000.0xx + i."""
    first8 = 10_000_000 + i
    return f"{first8:08d}{97 - first8 % 97:02d}"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_parallel_names(
    register_csv: Path, queries_csv: Path, column: str = "company_name"
) -> tuple[list[tuple[int, RegisterEntry]], list[tuple[MatchQuery, int]]]:
    """Two CSVs where row i of the second is a variant of row i of the first (the layout of
    DeNederlandscheBank/name_matching's test set): register entries keyed by row number and
    labelled queries."""
    originals = [row[column] for row in _rows(register_csv)]
    variants = [row[column] for row in _rows(queries_csv)]
    entries = [
        (i, RegisterEntry(synthetic_enterprise_number(i), name)) for i, name in enumerate(originals)
    ]
    queries = [(MatchQuery(name=name), i) for i, name in enumerate(variants) if i < len(originals)]
    return entries, queries


def load_dnb(register_csv: Path, queries_csv: Path) -> LabelledSet:
    """DNB synthetic pairs: register = originals, queries = perturbed (row i ↔ row i)."""
    entries, queries = load_parallel_names(register_csv, queries_csv)
    return LabelledSet("dnb", list(entries), list(queries))


def load_patstat(reference_csv: Path) -> LabelledSet:
    """Patent-applicant clusters (``leuven_id``, ``person_name``): the most frequent spelling
    of each cluster (ties: the first seen) is its register entry; every other distinct
    spelling is a query labelled with its cluster."""
    spellings: dict[str, Counter[str]] = {}
    for row in _rows(reference_csv):
        name = row["person_name"].strip()
        if name:
            spellings.setdefault(row["leuven_id"], Counter())[name] += 1
    entries: list[tuple[Hashable, RegisterEntry]] = []
    queries: Labelled = []
    for i, (cluster, names) in enumerate(spellings.items()):
        representative = names.most_common(1)[0][0]
        entries.append((cluster, RegisterEntry(synthetic_enterprise_number(i), representative)))
        queries += [(MatchQuery(name=n), cluster) for n in names if n != representative]
    return LabelledSet("patstat", entries, queries)


def _us_phone(text: str) -> str | None:
    return normalize_phone(text, region="US")


def load_fodors_zagat(fodors_csv: Path, zagats_csv: Path, matches_csv: Path) -> LabelledSet:
    """Restaurants: Fodors rows are the register (name, street, city, phone), Zagat rows the
    queries (name and phone; phones normalised as US numbers to E.164). A Zagat row absent
    from the gold file must match nothing. Street and city are stored on the entries but the
    matcher's places are Belgian postcodes, so they do not count."""
    gold = {row["zagats_id"]: row["fodors_id"] for row in _rows(matches_csv)}
    entries: list[tuple[Hashable, RegisterEntry]] = [
        (
            row["id"],
            RegisterEntry(
                synthetic_enterprise_number(i),
                row["name"],
                street=row["addr"],
                municipality=row["city"],
                phone=_us_phone(row["phone"]),
                country="US",
            ),
        )
        for i, row in enumerate(_rows(fodors_csv))
    ]
    queries: Labelled = [
        (MatchQuery(name=row["name"], phone=_us_phone(row["phone"])), gold.get(row["id"]))
        for row in _rows(zagats_csv)
    ]
    return LabelledSet("fodors_zagat", entries, queries, "name + phone (US, E.164)")


# --------------------------------------------------------------------------- one call per set


def evaluate_dnb(directory: Path, splink: bool = False) -> SetEvaluation:
    """Vigie and the baselines on DeNederlandscheBank/name_matching's 500 pairs in
    ``directory``."""
    return evaluate_set(load_dnb(*(directory / f for f in DNB_FILES)), splink)


def evaluate_patstat(directory: Path, splink: bool = False) -> SetEvaluation:
    """Vigie and the baselines on the Dutch patent-applicant clusters in ``directory``."""
    return evaluate_set(load_patstat(directory / PATSTAT_FILE), splink)


def evaluate_fodors_zagat(directory: Path, splink: bool = False) -> SetEvaluation:
    """Vigie and the baselines on the Fodors-Zagat restaurants in ``directory``."""
    return evaluate_set(load_fodors_zagat(*(directory / f for f in FODORS_ZAGAT_FILES)), splink)
