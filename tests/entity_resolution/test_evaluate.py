"""Precision/recall/F1 of the matcher and of the exhaustive WRatio baseline on three labelled
sets: DeNederlandscheBank/name_matching's 500 pairs, dedupe-examples' 102 clusters of Dutch
patent applicants, and the Fodors-Zagat restaurants. Floors are pinned a little below the
figures measured with matcher vigie-er/1.2 (1.3 for DNB; given in the comments, older ones in
brackets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from entity_resolution.evaluate import (
    Counts,
    Evaluation,
    best_threshold,
    count,
    evaluate,
    evaluate_dnb,
    evaluate_fodors_zagat,
    evaluate_patstat,
    load_dnb,
    load_fodors_zagat,
    load_patstat,
    prf,
    wratio_tops,
)
from entity_resolution.matcher import Matcher, MatchQuery
from entity_resolution.register import RegisterEntry


def test_metrics_exact_on_a_hand_made_example() -> None:
    # TP, FP+FN (wrong key), FN (nothing found), TN (nothing expected, nothing found),
    # FP (something found where nothing was expected).
    c = count(["a", "a", None, None, "b"], ["a", "b", "b", None, None])
    assert (c.queries, c.tp, c.fp, c.fn) == (5, 1, 2, 2)
    assert prf(1, 2, 2) == (1 / 3, 1 / 3, 1 / 3)
    assert prf(3, 1, 0) == (0.75, 1.0, 6 / 7)
    assert prf(0, 0, 0) == (1.0, 1.0, 1.0)  # nothing predicted, nothing expected
    assert prf(0, 1, 1) == (0.0, 0.0, 0.0)
    e = Counts(4, 3, 1, 0).evaluation("tiny", "note", "baseline")
    assert e == Evaluation("tiny", 4, 0.75, 1.0, 6 / 7, 3, 1, 0, "note", "baseline")


def test_best_threshold_on_a_given_grid() -> None:
    # Splink's match weights are not on the WRatio grid: the grid is the scores seen
    tops = [("a", 7.5), ("b", -1.25), ("x", 3.0)]
    threshold, c = best_threshold(tops, ["a", "b", None], [7.5, 3.0, -1.25])
    assert threshold == -1.25 and (c.tp, c.fp, c.fn) == (2, 1, 0)  # F1 0.8 beats 0.667


def test_best_threshold_on_a_hand_made_example() -> None:
    tops = [("a", 90.0), ("b", 80.0), ("x", 70.0), ("c", 60.0)]
    expected = ["a", "b", None, "c"]
    threshold, c = best_threshold(tops, expected)
    # ≥ 80: TP 2, FN 1 → F1 0.8; ≥ 60: TP 3, FP 1 → F1 6/7, the best. Every threshold in
    # [0, 60] gives those counts; ties keep the higher threshold: 60.
    assert threshold == 60.0
    assert (c.tp, c.fp, c.fn) == (3, 1, 0)


def test_evaluate_counts_on_a_small_register() -> None:
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
    assert (result.n_queries, result.tp, result.fp, result.fn) == (4, 1, 1, 2)
    assert result.precision == 0.5 and result.recall == 1 / 3
    assert round(result.f1, 3) == 0.4
    tops = wratio_tops(entries, [q for q, _ in labelled])
    assert tops[0] == ("a", pytest.approx(97.1, abs=0.1)) and tops[1] == ("b", 100.0)


def test_sets_load_with_expected_counts(
    dnb_dir: Path, patstat_dir: Path, fodors_zagat_dir: Path
) -> None:
    dnb = load_dnb(dnb_dir / "test_names.csv", dnb_dir / "adjusted_test_names.csv")
    assert len(dnb.entries) == len(dnb.queries) == 500
    assert dnb.queries[0] == (MatchQuery(name="Schumm\x15PLC"), 0)  # a control char, as published

    patstat = load_patstat(patstat_dir / "patstat_reference.csv")
    assert len(patstat.entries) == 102  # one per leuven_id cluster
    assert len(patstat.queries) == 1098  # 1,200 distinct (cluster, spelling) − 102
    assert all(expected is not None for _, expected in patstat.queries)
    assert dict(patstat.entries)["569309"].name == "Akzo Nobel N.V."  # its most frequent

    fz = load_fodors_zagat(
        fodors_zagat_dir / "fodors.csv",
        fodors_zagat_dir / "zagats.csv",
        fodors_zagat_dir / "matches_fodors_zagats.csv",
    )
    assert len(fz.entries) == 533 and len(fz.queries) == 331
    assert sum(e is not None for _, e in fz.queries) == 112
    # US phones normalised to E.164 on both sides ("310/246-1501", "310-475-3585").
    assert dict(fz.entries)["534"].phone == "+13102461501"
    assert fz.queries[0][0].phone == "+13104753585"


def test_dnb(dnb_dir: Path) -> None:
    r = evaluate_dnb(dnb_dir)
    # Measured (vigie-er/1.4): Vigie P 0.991 R 0.912 F1 0.950 [1.3: 0.991 / 0.892 / 0.939;
    # 1.2: 0.991 / 0.888 / 0.937; 1.1: 0.992 / 0.726 / 0.838]; with possibles P 0.987
    # R 0.930 F1 0.958; baseline WRatio ≥ 66.5: P 0.948 R 0.946 F1 0.947. Names mistyped word
    # for word ("Mitlhell GrWup" / "Mitchell Group") now read as one name: 10 more matches.
    assert r.vigie.n_queries == 500
    assert r.vigie.precision >= 0.99
    assert r.vigie.f1 >= 0.949
    assert r.vigie.f1 >= r.baseline.f1
    assert r.reviewed.f1 >= 0.955
    assert r.baseline.system == "baseline" and r.baseline.n_queries == 500
    assert r.baseline.threshold_note.startswith("WRatio ≥ 66.5 ")
    assert r.baseline.f1 == pytest.approx(0.947, abs=0.001)


def test_dnb_blocking_loses_nothing(dnb_dir: Path) -> None:
    """Every DNB query's true entry that the matcher returns when it scores *every* register
    entry (no blocking) is also returned with blocking: names with two typos in a word
    ("Dakubxwski", "Ober]r\x86nner") are found by the segment index."""
    dnb = load_dnb(dnb_dir / "test_names.csv", dnb_dir / "adjusted_test_names.csv")
    blocked = Matcher(dnb.entries)
    exhaustive = Matcher(dnb.entries)
    everyone = list(range(len(exhaustive)))
    exhaustive._candidates = lambda p: everyone  # type: ignore[method-assign]
    found = lost = 0
    for query, expected in dnb.queries:
        if any(c.key == expected for c in exhaustive.match(query)):
            found += 1
            lost += not any(c.key == expected for c in blocked.match(query))
    assert found == 468  # true entry among the results (outcome match or possible; 466 in 1.3)
    assert lost == 0  # 4 with vigie-er/1.2 (one-typo neighbours only)


def test_patstat(patstat_dir: Path) -> None:
    r = evaluate_patstat(patstat_dir)
    # Measured: Vigie P 1.000 R 0.842 F1 0.914 [1.1: 1.000 / 0.815 / 0.898]; with possibles
    # P 0.999 R 0.892 F1 0.942; baseline WRatio ≥ 86: P 0.998 R 0.810 F1 0.894.
    assert r.vigie.precision >= 0.99
    assert r.vigie.f1 >= 0.91
    assert r.vigie.f1 >= r.baseline.f1
    assert r.reviewed.precision >= 0.99 and r.reviewed.f1 >= 0.935
    assert r.baseline.threshold_note.startswith("WRatio ≥ 86 ")
    assert r.baseline.f1 == pytest.approx(0.894, abs=0.001)


def test_fodors_zagat(fodors_zagat_dir: Path) -> None:
    r = evaluate_fodors_zagat(fodors_zagat_dir)
    # Measured: Vigie (name + phone) P 0.982 R 0.964 F1 0.973 [1.1: 0.942 / 0.875 / 0.907,
    # when a different phone was no evidence against]; with possibles R 1.000; baseline
    # WRatio ≥ 95: P 0.978 R 0.812 F1 0.888.
    assert r.vigie.n_queries == 331
    assert r.vigie.precision >= 0.97
    assert r.vigie.f1 >= 0.97
    assert r.vigie.f1 >= r.baseline.f1
    assert r.reviewed.recall == 1.0
    assert r.baseline.threshold_note.startswith("WRatio ≥ 95 ")
    assert r.baseline.f1 == pytest.approx(0.888, abs=0.001)


def test_unperturbed_names_all_match_themselves(dnb_dir: Path) -> None:
    dnb = load_dnb(dnb_dir / "test_names.csv", dnb_dir / "adjusted_test_names.csv")
    labelled = [(MatchQuery(name=e.name), k) for k, e in dnb.entries]
    identity = evaluate(Matcher(dnb.entries), labelled)
    assert identity.f1 == 1.0
