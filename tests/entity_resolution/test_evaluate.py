"""Precision/recall/F1 of the matcher on DeNederlandscheBank/name_matching's 500 labelled
pairs (row i of adjusted_test_names.csv is a perturbed copy of row i of test_names.csv)."""

from __future__ import annotations

from pathlib import Path

from entity_resolution.evaluate import Evaluation, evaluate, load_parallel_names
from entity_resolution.matcher import Matcher, MatchQuery
from entity_resolution.register import RegisterEntry


def test_evaluation_counts() -> None:
    entries = [
        ("a", RegisterEntry("0200065765", "Bouwwerken Peeters")),
        ("b", RegisterEntry("0200068636", "Farys")),
    ]
    matcher = Matcher(entries)
    labelled = [
        (MatchQuery(name="Bouwwerken Peters"), "a"),  # found: TP
        (MatchQuery(name="Farys"), "a"),  # wrong entry: FP and FN
        (MatchQuery(name="Someone Else"), "b"),  # nothing found: FN
        (MatchQuery(name="Nobody"), None),  # correctly nothing
    ]
    result = evaluate(matcher, labelled)
    assert result == Evaluation(queries=4, true_positives=1, false_positives=1, false_negatives=2)
    assert result.precision == 0.5 and result.recall == 1 / 3
    assert round(result.f1, 3) == 0.4


def test_dnb_name_matching(dnb_dir: Path) -> None:
    entries, queries = load_parallel_names(
        dnb_dir / "test_names.csv", dnb_dir / "adjusted_test_names.csv"
    )
    assert len(entries) == len(queries) == 500
    matcher = Matcher(entries)
    strict = evaluate(matcher, queries)
    # Measured with matcher vigie-er/1.0: precision 0.992, recall 0.702, F1 0.822.
    assert strict.precision >= 0.99
    assert strict.f1 >= 0.82
    reviewed = evaluate(matcher, queries, accept=("match", "possible"))
    # What reaches a reviewer (match or possible): precision 0.971, recall 0.794, F1 0.873.
    assert reviewed.recall >= 0.79
    assert reviewed.f1 >= 0.87
    # Unperturbed names all match themselves.
    identity = evaluate(matcher, [(MatchQuery(name=e.name), k) for k, e in entries])
    assert identity.f1 == 1.0
