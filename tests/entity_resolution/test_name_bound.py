"""The name bound (:mod:`entity_resolution.compare.name_bound`) never rules out a name that
reaches the limit, and the matcher skipping the names it rules out gives the very results of
the matcher scoring every name — on the real labelled sets (DNB pairs, Dutch patent
applicants, Fodors-Zagat restaurants with phones) and on generated KBO-like queries (with
postcodes, phones and numbers), thousands of queries in all."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from entity_resolution.compare import NameProfile, score_profiles
from entity_resolution.compare.name_bound import NameBound
from entity_resolution.evaluate import (
    DNB_FILES,
    FODORS_ZAGAT_FILES,
    PATSTAT_FILE,
    load_dnb,
    load_fodors_zagat,
    load_patstat,
)
from entity_resolution.matcher import Matcher, MatchQuery
from entity_resolution.names import normalize_name
from tests.entity_resolution.conftest import DNB, REALWORLD
from tests.entity_resolution.generated import generated

# the least name scores the matcher asks for (queries with and without postcode and legal
# form, and the rank bound), the thresholds, and scores around them
LIMITS = (0.3, 0.50464, 0.528, 0.578, 0.599, 0.6, 0.85, 0.95)


class Counting(Matcher):
    """The matcher, counting the names its bound ruled out."""

    ruled_out = 0

    def _worth_scoring(self, p):  # type: ignore[no-untyped-def]
        worth = super()._worth_scoring(p)
        self.ruled_out += len(p.below)
        return worth


class Unbounded(Matcher):
    """The matcher scoring every name of every candidate (no name bound)."""

    def _prepare(self, query):  # type: ignore[no-untyped-def]
        p = super()._prepare(query)
        p.bound = None
        return p


def _generated() -> tuple[list[tuple[Any, Any]], list[MatchQuery]]:
    entries, queries = generated(register_seed=5, size=4_000, sample_seed=7, sources=1_200,
                                 queries=900, query_seed=4)
    return [(e.enterprise_number, e) for e in entries], queries


@pytest.fixture(scope="module")
def labelled_sets() -> dict[str, tuple[list[tuple[Any, Any]], list[MatchQuery]]]:
    dnb = load_dnb(*(DNB / f for f in DNB_FILES))
    patstat = load_patstat(REALWORLD / "dedupe_patstat_nl" / PATSTAT_FILE)
    fz = load_fodors_zagat(*(REALWORLD / "magellan_fodors_zagats" / f for f in FODORS_ZAGAT_FILES))
    sets = {s.name: (s.entries, [q for q, _expected in s.queries]) for s in (dnb, patstat, fz)}
    sets["generated"] = _generated()
    return sets


def test_the_matcher_gives_the_results_of_scoring_every_name(labelled_sets) -> None:  # type: ignore[no-untyped-def]
    skipped = queries = 0
    scores: list[float] = []
    for entries, batch in labelled_sets.values():
        fast = Counting(entries)
        every = copy.copy(fast)  # the same index, scoring every name
        every.__class__ = Unbounded
        for q in batch:
            found = fast.match(q)
            assert found == every.match(q), q
            scores += [c.score for c in found]
        skipped += fast.ruled_out
        queries += len(batch)
    assert queries > 2_500
    assert skipped > queries  # names were ruled out: more than one per query on average
    # candidates at the thresholds: just reaching "possible" and "match"
    assert sum(0.6 <= s < 0.62 for s in scores) > 20
    assert sum(0.85 <= s < 0.87 for s in scores) > 20


def test_a_name_ruled_out_scores_below_the_limit(labelled_sets) -> None:  # type: ignore[no-untyped-def]
    pairs = ruled_out = 0
    for entries, batch in labelled_sets.values():
        matcher = Matcher(entries)
        column = matcher._name_column
        for q in batch:
            p = matcher._prepare(q)
            if p.bound is None:
                continue
            pool = matcher._candidates(p)
            p.bound.add(column.words_of(column.records(i) for i in pool))
            for i in pool:
                for record in column.records(i):
                    profile = column.profile(record)
                    score = score_profiles(p.profile, profile).score
                    # at the score itself the name reaches the limit: never ruled out
                    limits = (*LIMITS, score, math.nextafter(score, 2.0))
                    for limit in limits:
                        if p.bound.below(profile, limit):
                            assert score < limit, (q.name, record, limit)
                            ruled_out += limit == 0.599
                    pairs += 1
    assert pairs > 20_000
    assert ruled_out > pairs // 2  # most shortlist names are ruled out at the usual limit


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ("International Business Machines", "IBM"),  # an acronym
        ("Emard Hnc", "Emard Inc"),  # a garbled legal form
        ("Temry aUd Sons", "Terry and Sons"),  # a garbled "and"
        ("Mitlhell GrWup", "Mitchell Group"),  # mistyped word for word
        ("Munray LLC", "Murray LLC"),  # the whole names
        ("vanderhaegen bouw", "van der haegen bouw"),  # written together
        ("Bruxelles Car Wash", "Brussel Car Wash"),  # one town in two languages
        ("Jacobs Nett.", "Jacobs Nettoyage"),  # a shortening
        ("P. Peeters", "Pieter Peeters"),  # an initial
        ("Bakkerij Dijck", "Bakkery Dyck"),  # "ij" written "y"
        ("Koninklijke Philips", "Koninklijke Philips Electronics"),  # contained
        ("Bruen-Hyqney", "Bruen-Heaney"),  # a weak pair
        ("Peeters 123", "Peeters 123456"),  # a number read as the start of a longer one
    ],
)
def test_the_other_ways_of_scoring_are_never_ruled_out(query: str, entry: str) -> None:
    a, b = NameProfile.of(normalize_name(query)), NameProfile.of(normalize_name(entry))
    for x, y in ((a, b), (b, a)):
        score = score_profiles(x, y).score
        bound = NameBound(x)
        bound.add(y.tokens)
        assert score >= 0.6
        assert not bound.below(y, score)
