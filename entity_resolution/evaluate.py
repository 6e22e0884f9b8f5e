"""Measure the matcher on labelled data: precision, recall, F1.

A labelled query says which register key it should match (or None: it should match nothing).
The matcher's prediction is its best candidate whose outcome is accepted (by default only
``"match"``; pass ``accept=("match", "possible")`` to measure what reaches a reviewer):

- prediction == expected → true positive;
- a prediction that is not the expected key → false positive (and, if a key was expected,
  also a false negative);
- no prediction although a key was expected → false negative.
"""

from __future__ import annotations

import csv
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path

from entity_resolution.matcher import Matcher, MatchQuery
from entity_resolution.register import RegisterEntry


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Counts and rates of one evaluation run."""

    queries: int
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def summary(self) -> str:
        return (
            f"{self.queries} queries: precision {self.precision:.3f}, recall "
            f"{self.recall:.3f}, F1 {self.f1:.3f} (TP {self.true_positives}, "
            f"FP {self.false_positives}, FN {self.false_negatives})"
        )


def evaluate(
    matcher: Matcher,
    labelled: Iterable[tuple[MatchQuery, Hashable | None]],
    accept: tuple[str, ...] = ("match",),
) -> Evaluation:
    """Run ``matcher`` on every labelled query and count the outcomes."""
    n = tp = fp = fn = 0
    for query, expected in labelled:
        n += 1
        predicted = next((c.key for c in matcher.match(query) if c.outcome in accept), None)
        if predicted is not None and predicted == expected:
            tp += 1
            continue
        if predicted is not None:
            fp += 1
        if expected is not None:
            fn += 1
    return Evaluation(n, tp, fp, fn)


def synthetic_enterprise_number(i: int) -> str:
    """A valid (mod 97) enterprise number for test registers: 1000.000.0xx + i."""
    first8 = 10_000_000 + i
    return f"{first8:08d}{97 - first8 % 97:02d}"


def load_parallel_names(
    register_csv: Path, queries_csv: Path, column: str = "company_name"
) -> tuple[list[tuple[int, RegisterEntry]], list[tuple[MatchQuery, int]]]:
    """Two CSVs where row i of the second is a variant of row i of the first (the layout of
    DeNederlandscheBank/name_matching's test set): register entries keyed by row number and
    labelled queries."""

    def names(path: Path) -> list[str]:
        with path.open(encoding="utf-8", newline="") as f:
            return [row[column] for row in csv.DictReader(f)]

    originals, variants = names(register_csv), names(queries_csv)
    entries = [
        (i, RegisterEntry(synthetic_enterprise_number(i), name)) for i, name in enumerate(originals)
    ]
    queries = [(MatchQuery(name=name), i) for i, name in enumerate(variants) if i < len(originals)]
    return entries, queries
