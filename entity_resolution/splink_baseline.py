"""A second baseline: a Fellegi-Sunter model trained with Splink 5 (DuckDB backend).

Splink is an optional benchmark dependency (``pip install -e '.[bench]'``); it is imported
only inside :func:`splink_tops`, so Vigie runs without it and :func:`splink_available` says
whether it can be measured.

The model links the register (left) with the queries (right), ``link_only``:

- comparisons: the whole name (pre-processed like the WRatio baseline: lower case,
  punctuation removed) in levels exact / Jaro-Winkler ≥ 0.95 / ≥ 0.88 / Levenshtein ≤ 2 /
  Jaro-Winkler ≥ 0.7 / else; the first word of the name (exact / Jaro-Winkler ≥ 0.88 / else);
  the words of the name as a set (≥ 2 shared / 1 shared / none); and, where the set gives
  them, phone, postcode and enterprise number, exact;
- blocking (which pairs are scored): the same first three letters, the same first word, the
  same last word, a shared word, or — where given — the same phone, postcode or number;
- training, unsupervised: u probabilities from random sampling of pairs, then m
  probabilities by expectation maximisation on pairs sharing a word of the name (and on
  pairs sharing a phone or postcode where given, which trains the name comparisons).

For each query the best-scoring register entry is its prediction; the threshold on the match
weight is chosen, like the WRatio baseline's, to maximise F1 on the same set (optimistic).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Hashable, Sequence
from typing import Any

from rapidfuzz import utils

from entity_resolution.identifiers import normalize_enterprise_number, normalize_phone
from entity_resolution.register import RegisterEntry

SPLINK_VERSION = "5.0.0"
NOT_INSTALLED = "not installed (pip install -e '.[bench]')"
SEED = 42
U_MAX_PAIRS = 1e6


def splink_available() -> bool:
    """Whether Splink (the ``bench`` extra) can be imported."""
    return importlib.util.find_spec("splink") is not None


def _words(name: str) -> list[str]:
    return name.split() if name else []


def _row(uid: int, name: str, phone: str | None, postcode: str | None, number: str | None):
    processed = utils.default_process(name or "")
    words = _words(processed)
    return {
        "unique_id": uid,
        "name": processed or None,
        "first_word": words[0] if words else None,
        "last_word": words[-1] if words else None,
        "prefix3": processed[:3] or None,
        "words": words or None,
        "phone": phone,
        "postcode": postcode,
        "number": number,
    }


def _query_fields(query: Any) -> tuple[str | None, str | None, str | None]:
    phone = normalize_phone(query.phone) if query.phone else None
    phone = phone or (query.phone if query.phone and query.phone.startswith("+") else None)
    number = normalize_enterprise_number(query.number) if query.number else None
    return phone, (query.postcode or None), number


def splink_tops(
    entries: Sequence[tuple[Hashable, RegisterEntry]], queries: Sequence[Any]
) -> list[tuple[Hashable | None, float]]:
    """For each query (a ``MatchQuery``), the best (key, match weight) Splink gives it among
    the pairs its blocking rules generate; (None, -inf) when no pair was generated."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    left = [
        _row(
            i,
            e.name,
            e.phone if e.phone and e.phone.startswith("+") else normalize_phone(e.phone),
            e.postcode or None,
            normalize_enterprise_number(e.enterprise_number),
        )
        for i, (_, e) in enumerate(entries)
    ]
    right = [_row(j, q.name or "", *_query_fields(q)) for j, q in enumerate(queries)]
    given = [
        c
        for c in ("phone", "postcode", "number")
        if any(r[c] for r in right) and any(r[c] for r in left)
    ]
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name"),
            cll.JaroWinklerLevel("name", 0.95),
            cll.JaroWinklerLevel("name", 0.88),
            cll.LevenshteinLevel("name", 2),
            cll.JaroWinklerLevel("name", 0.7),
            cll.ElseLevel(),
        ],
    )
    comparisons: list[Any] = [
        name,
        cl.JaroWinklerAtThresholds("first_word", [0.88]),
        cl.ArrayIntersectAtSizes("words", [2, 1]),
        *(cl.ExactMatch(c) for c in given),
    ]
    blocking: list[Any] = [
        block_on("prefix3"),
        block_on("first_word"),
        block_on("last_word"),
        block_on("words", arrays_to_explode=["words"]),
        *(block_on(c) for c in given),
    ]
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_matching_columns=False,
    )
    db = DuckDBAPI()
    register = db.register(left, dataset_display_name="register")
    asked = db.register(right, dataset_display_name="queries")
    logging.getLogger("splink").setLevel(logging.ERROR)
    linker = Linker([register, asked], settings, log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_word"), record_sample_proportion=1.0
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("prefix3"), record_sample_proportion=1.0
    )
    for c in given:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(c), record_sample_proportion=1.0
        )
    pairs = linker.inference.predict().as_record_list()
    best: dict[int, tuple[float, int]] = {}
    for p in pairs:
        if p["source_dataset_l"] == "register":
            i, j = p["unique_id_l"], p["unique_id_r"]
        else:
            i, j = p["unique_id_r"], p["unique_id_l"]
        weight = float(p["match_weight"])
        if j not in best or weight > best[j][0]:
            best[j] = (weight, i)
    keys = [k for k, _ in entries]
    return [
        (keys[best[j][1]], best[j][0]) if j in best else (None, float("-inf"))
        for j in range(len(queries))
    ]
