"""Matching: the Vigie matcher against an exhaustive fuzzy search over every register name.

Register: the demo world's employers plus deterministic KBO-like filler
(:mod:`benchmarks.filler`). Labelled queries:

- every demo job ad, labelled with its true poster (``DemoAd.employer_number``; ``None`` for
  unknown Belgian businesses and foreign firms, which must match nothing);
- spelling variants of each register employer's name, written the way ads write them
  (:func:`demo.spelling.written_name`: legal form or not, old/new form, dots, case, typos,
  abbreviations), labelled with that employer.

Scoring (the same for both sides): a labelled query is a true positive when the top answer is
its employer and is declared a match; any other declared match is a false positive (and, when
an employer was expected, also a false negative); no match where one was expected is a false
negative. Vigie declares a match when its best candidate has outcome ``"match"``; the
baseline when its best ``fuzz.WRatio`` score reaches a threshold, chosen to maximise the
baseline's F1 on this very set (an optimistic baseline: it is tuned on the test data).

Vigie is measured twice: on the name alone (like for like with the baseline) and on what the
pipeline passes (name, number, phone, postcode as written in the ad).
"""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from benchmarks.common import BenchResult, progress, timed, traced_peak_mb
from benchmarks.filler import demo_entries, filler_entries, keyed
from demo.spelling import written_name
from demo.world import World, build_world
from entity_resolution.evaluate import Counts, prf
from entity_resolution.matcher import Matcher, MatchQuery

QUICK = {"world_size": 300, "filler": 2_000, "variants": 2}
DEFAULT = {"world_size": 2_000, "filler": 20_000, "variants": 2}
THRESHOLDS = [t / 2 for t in range(0, 201)]  # 0, 0.5, … 100 (WRatio scores are 0–100)


@dataclass(frozen=True)
class LabelledQuery:
    """One query in two forms (name only, and as the pipeline builds it) and its answer."""

    origin: str  # "ad" | "variant"
    poster: str  # "register" | "unknown" | "foreign"
    name_only: MatchQuery
    full: MatchQuery
    expected: str | None  # enterprise number of the true employer, None = must not match


class Scores(Counts):
    """The evaluation's confusion counts, with the rates the benchmark reports."""

    @property
    def precision(self) -> float:
        return prf(self.tp, self.fp, self.fn)[0]

    @property
    def recall(self) -> float:
        return prf(self.tp, self.fp, self.fn)[1]

    @property
    def f1(self) -> float:
        return prf(self.tp, self.fp, self.fn)[2]

    def as_dict(self) -> dict[str, float]:
        return {
            "queries": self.queries,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def labelled_queries(world: World, variants: int, seed: int = 1) -> list[LabelledQuery]:
    """Every ad of ``world`` plus ``variants`` written forms of each register employer."""
    out: list[LabelledQuery] = []
    for i in range(world.n_ads):
        ad = world.ad(i)
        out.append(
            LabelledQuery(
                "ad",
                ad.kind_of_poster,
                MatchQuery(name=ad.employer_name),
                MatchQuery(
                    name=ad.employer_name,
                    number=ad.company_number,
                    phone=ad.phone,
                    postcode=ad.postcode,
                ),
                ad.employer_number,
            )
        )
    rng = random.Random(f"vigie-benchmark-variants/{seed}")
    for e in world.employers:
        for _ in range(variants):
            language = rng.choice((e.language, e.language, "en"))
            name = written_name(e.name, e.legal_form, language, rng, e.abbreviation)
            query = MatchQuery(name=name)
            out.append(LabelledQuery("variant", "register", query, query, e.enterprise_number))
    return out


def vigie_predictions(matcher: Matcher, queries: Sequence[MatchQuery]) -> list[str | None]:
    """The key of the best candidate when it is declared a match, else None."""
    out: list[str | None] = []
    for query in queries:
        found = matcher.match(query)
        out.append(str(found[0].key) if found and found[0].outcome == "match" else None)
    return out


def score(
    predictions: Sequence[str | None], labelled: Sequence[LabelledQuery], origin: str | None = None
) -> Scores:
    s = Scores()
    for predicted, item in zip(predictions, labelled, strict=True):
        if origin is None or item.origin == origin:
            s.add(predicted, item.expected)
    return s


def best_threshold(
    tops: Sequence[tuple[str | None, float]], labelled: Sequence[LabelledQuery]
) -> tuple[float, Scores]:
    """The WRatio threshold that maximises F1 on ``labelled`` (ties: the higher threshold)."""
    best_t, best = 100.0, Scores()
    best_f1 = -1.0
    for t in THRESHOLDS:
        s = score([key if key is not None and sc >= t else None for key, sc in tops], labelled)
        if s.f1 >= best_f1:
            best_t, best, best_f1 = t, s, s.f1
    return best_t, best


def exhaustive_tops(
    names: Sequence[str], keys: Sequence[str], queries: Sequence[MatchQuery]
) -> list[tuple[str | None, float]]:
    """For each query name, the best (key, WRatio score) over every register name."""
    out: list[tuple[str | None, float]] = []
    for query in queries:
        found = process.extractOne(
            utils.default_process(query.name or ""), names, scorer=fuzz.WRatio, processor=None
        )
        out.append((keys[found[2]], float(found[1])) if found else (None, 0.0))
    return out


def run_matching(
    world_size: int = 300,
    filler: int = 2_000,
    variants: int = 2,
    seed: int = 7,
    measure_memory: bool = True,
) -> BenchResult:
    """Build both, run every labelled query through both, score them; see the module doc."""
    result = BenchResult(
        "matching",
        "Matching ads to the register",
        "rapidfuzz process.extractOne, fuzz.WRatio over every register name (1 thread)",
        params={
            "world_seed": seed,
            "world_size": world_size,
            "filler_entries": filler,
            "variants_per_employer": variants,
        },
    )
    world = build_world(seed, world_size)
    entries = keyed(demo_entries(world) + filler_entries(filler, world))
    labelled = labelled_queries(world, variants)
    result.params.update(
        {
            "register_entries": len(entries),
            "queries": len(labelled),
            "queries_from_ads": sum(q.origin == "ad" for q in labelled),
            "queries_must_not_match": sum(q.expected is None for q in labelled),
        }
    )

    progress("matching", f"{len(entries)} register entries, {len(labelled)} labelled queries")
    matcher, build_s = timed(lambda: Matcher(entries))
    keys = [key for key, _ in entries]
    names, prep_s = timed(lambda: [utils.default_process(e.name) for _, e in entries])

    name_queries = [q.name_only for q in labelled]
    full_queries = [q.full for q in labelled]
    n_q = len(labelled)
    v_name, v_name_s = timed(lambda: vigie_predictions(matcher, name_queries))
    v_full, v_full_s = timed(lambda: vigie_predictions(matcher, full_queries))
    progress(
        "matching",
        f"Vigie: {n_q / v_name_s:.0f} q/s (name only), "
        f"{n_q / v_full_s:.0f} q/s (full); now the exhaustive baseline",
    )
    tops, rf_s = timed(lambda: exhaustive_tops(names, keys, name_queries))
    threshold, rf_scores = best_threshold(tops, labelled)
    rf_preds = [k if k is not None and s >= threshold else None for k, s in tops]

    n = len(labelled)
    s_name, s_full = score(v_name, labelled), score(v_full, labelled)
    result.compare("build / index time", "s", build_s, prep_s, higher_is_better=False)
    result.compare("queries/s (name only)", "q/s", n / v_name_s, n / rf_s)
    result.compare("queries/s (name+ids)", "q/s", n / v_full_s, n / rf_s)
    result.compare("precision (name only)", "", s_name.precision, rf_scores.precision)
    result.compare("recall (name only)", "", s_name.recall, rf_scores.recall)
    result.compare("F1 (name only)", "", s_name.f1, rf_scores.f1)
    result.compare("F1 (name+ids)", "", s_full.f1, rf_scores.f1)
    result.figures = {
        "baseline_threshold_wratio": threshold,
        "vigie_name_only": s_name.as_dict(),
        "vigie_full_query": s_full.as_dict(),
        "baseline": rf_scores.as_dict(),
        "by_origin": {
            origin: {
                "vigie_name_only": score(v_name, labelled, origin).as_dict(),
                "vigie_full_query": score(v_full, labelled, origin).as_dict(),
                "baseline": score(rf_preds, labelled, origin).as_dict(),
            }
            for origin in ("ad", "variant")
        },
        "false_matches_on_unknown_or_foreign": {
            "vigie_name_only": _false_on_unknown(v_name, labelled),
            "vigie_full_query": _false_on_unknown(v_full, labelled),
            "baseline": _false_on_unknown(rf_preds, labelled),
        },
        "seconds": {
            "vigie_build": build_s,
            "vigie_name_queries": v_name_s,
            "vigie_full_queries": v_full_s,
            "baseline_prep": prep_s,
            "baseline_queries": rf_s,
        },
    }
    if measure_memory:
        progress("matching", "memory of each index, in fresh processes")
        result.peak_memory_mb = {
            side: round(_in_fresh_process(_index_memory, side, seed, world_size, filler), 1)
            for side in ("vigie", "baseline")
        }
        result.memory_method = (
            "tracemalloc peak while building the index, in a fresh process (cold caches, "
            "untimed)"
        )
    result.notes.append(
        "'name+ids': Vigie gets the ad's name, number, phone and postcode as the pipeline "
        "passes them; the baseline can only use the name"
    )
    result.notes.append(
        f"baseline threshold WRatio ≥ {threshold:g}, tuned on the same labelled set (optimistic)"
    )
    return result


def _index_memory(side: str, seed: int, world_size: int, filler: int) -> float:
    """MB allocated at peak while building one side's index (run in a fresh process)."""
    world = build_world(seed, world_size)
    entries = keyed(demo_entries(world) + filler_entries(filler, world))
    if side == "vigie":
        return traced_peak_mb(lambda: Matcher(entries))[1]
    return traced_peak_mb(lambda: [utils.default_process(e.name) for _, e in entries])[1]


def _in_fresh_process(fn: Callable[..., float], *args: object) -> float:
    """``fn(*args)`` in a newly spawned interpreter: nothing cached from this process."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return float(pool.apply(fn, args))


def _false_on_unknown(predictions: Sequence[str | None], labelled: Sequence[LabelledQuery]) -> int:
    return sum(
        p is not None for p, q in zip(predictions, labelled, strict=True) if q.expected is None
    )


def run(quick: bool = False) -> BenchResult:
    return run_matching(**(QUICK if quick else DEFAULT))
