"""The matcher's shortcuts change nothing: which candidates it skips, and how its results travel
from worker processes, give the very candidates (scores, reasons, entries) of the plain method.
"""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from entity_resolution.compare import (
    W_LEGAL_FORM_SAME,
    W_POSTCODE_SAME,
    Feature,
    NameProfile,
    score_profiles,
)
from entity_resolution.compare.name_feature import compare_names
from entity_resolution.index import NameColumn, name_label
from entity_resolution.matcher import (
    AMBIGUITY_MARGIN,
    IDENTIFIER_METHODS,
    POSSIBLE,
    Candidate,
    Matcher,
    MatchQuery,
    _name_score,
)
from entity_resolution.names import normalize_name
from tests.entity_resolution.generated import generated


class Unpruned(Matcher):
    """The matcher as it was before its candidates were bounded by the clues the query can
    give: every candidate of a query with an identifier is compared in full, and the others are
    bounded as if the query had a postcode and a legal form."""

    def _worth_scoring(self, p):  # type: ignore[no-untyped-def]
        pool = self._candidates(p)
        if p.numbers or p.phones or p.emails or p.email_domains or p.websites:
            return pool
        keep = (1.0 - W_POSTCODE_SAME) * (1.0 - W_LEGAL_FORM_SAME)
        bounds = []
        for i in pool:
            found = self._best_name(i, p)
            if found is None:
                continue
            bound = 1.0 - (1.0 - found[0].score) * keep
            if bound >= self.t_possible:
                bounds.append((bound, i))
        bounds.sort(reverse=True)
        head = self.max_candidates + 5
        return [i for n, (bound, i) in enumerate(bounds) if n < head or bound >= self.t_match]


class PlainNames(Matcher):
    """The matcher scoring every name of every entry of the shortlist, even when several
    entries store the very same name (the matcher scores such a name once per query)."""

    def _best_name(self, i, p):  # type: ignore[no-untyped-def]
        if i in p.name_results:
            return p.name_results[i]
        found = None
        if p.profile is not None and p.profile.tokens:
            for n, profile in self._name_column.profiles(i):
                result = score_profiles(p.profile, profile)
                if found is None or result.score > found[0].score:
                    found = (result, n, profile.form)
        p.name_results[i] = found
        return found


class EagerReasons(Matcher):
    """The matcher writing the reason of a candidate's name feature as soon as the candidate
    is scored — for every candidate compared, as before the reasons were left to the
    candidates returned — with the very call the matcher made then."""

    written = 0

    def _score(self, i, p):  # type: ignore[no-untyped-def]
        c = super()._score(i, p)
        name_at = p.unexplained.pop(i, None)  # so that _explain_name leaves it alone
        if c is not None and name_at is not None:
            result, n, _form = p.name_results[i]
            best = self._name_column.name(i, n)
            c.explanation[name_at] = compare_names(
                p.name, best, source=p.query.source, entry_label=name_label(n, best.original),
                result=result,
            )  # fmt: skip
            self.written += 1
        return c


class EveryCrossRule(Matcher):
    """The matcher looking at every candidate for the rules across candidates (ambiguity, a
    number pointing elsewhere), whether or not the query has a number — as before those
    rules skipped what a query without a number cannot trigger."""

    def _apply_cross_rules(self, scored, p):  # type: ignore[no-untyped-def]
        by_name = sorted(
            (k for k, (_i, c) in enumerate(scored) if c.method not in IDENTIFIER_METHODS),
            key=lambda k: -scored[k][1].score,
        )
        top = scored[by_name[0]][1].score if by_name else 0.0
        tied = [k for k in by_name if top - scored[k][1].score < AMBIGUITY_MARGIN]
        if top >= self.t_match and len(tied) >= 2:
            listing = ", ".join(self._shown(*scored[k]) for k in tied[:4])
            for k in tied:
                i, c = scored[k]
                note = Feature(
                    "rule_ambiguous", 0.0, 0.0,
                    f"{len(tied)} register entries match about equally well "
                    f"({listing}): a person must choose; none of them is declared a match.",
                )  # fmt: skip
                scored[k] = (
                    i,
                    Candidate(c.key, min(c.score, self.t_match - 0.01), POSSIBLE, c.method,
                              [*c.explanation, note]),
                )  # fmt: skip
        identified = [k for k, (_i, c) in enumerate(scored) if c.method in IDENTIFIER_METHODS]
        if not identified:
            return
        strongest = max(
            (ic for ic in scored if ic[1].method not in IDENTIFIER_METHODS),
            key=lambda ic: _name_score(ic[1]),
            default=None,
        )
        if strongest is None or _name_score(strongest[1]) < self.t_match:
            return
        strongest_score = _name_score(strongest[1])
        for k in identified:
            i, c = scored[k]
            if _name_score(c) >= strongest_score:
                continue
            note = Feature(
                "similar_name_elsewhere", 0.0, 0.0,
                f"Another register entry, {self._shown(*strongest)}, has a name "
                f"{round(strongest_score * 100)} % similar to the name in "
                f"{p.query.source}; the number decides, but check that the number is not "
                "borrowed.",
            )  # fmt: skip
            scored[k] = (i, Candidate(c.key, c.score, c.outcome, c.method, [*c.explanation, note]))


@pytest.fixture(scope="module")
def sample() -> tuple[list[tuple[str, object]], list[MatchQuery]]:
    entries, queries = generated(register_seed=11, size=4_000, sample_seed=3, sources=500,
                                 queries=600, query_seed=2)
    # contact clues the generated queries lack: an entry's e-mail or its domain as a website,
    # under the entry's name or another one
    with_mail = [e for e in entries if e.email][:60]
    for k, e in enumerate(with_mail):
        name = e.name if k % 2 else entries[k].name
        if k % 3:
            queries.append(MatchQuery(name=name, email=e.email, postcode=e.postcode))
        else:
            queries.append(MatchQuery(name=name, website="www." + e.email.split("@")[1]))
    with_phone = [e for e in entries if e.phone][:40]
    for k, e in enumerate(with_phone):  # the entry's phone under another entry's name
        queries.append(MatchQuery(name=entries[-k - 1].name, phone=e.phone))
    return [(e.enterprise_number, e) for e in entries], queries


def test_skipped_candidates_change_no_result(sample) -> None:  # type: ignore[no-untyped-def]
    entries, queries = sample
    fast, plain = Matcher(entries), Unpruned(entries)
    found = [fast.match(q) for q in queries]
    assert found == [plain.match(q) for q in queries]
    assert sum(bool(f) for f in found) > 400  # the sample exercises real matches
    assert sum(len(f) > 1 for f in found) > 50
    with_phone = [f for f, q in zip(found, queries, strict=True) if q.phone]
    assert any(c.method == "phone" for f in with_phone for c in f)
    assert any(x.name == "domain" for f in found for c in f for x in c.explanation)


def test_name_reasons_written_for_the_returned_candidates_only_are_the_same(sample) -> None:  # type: ignore[no-untyped-def]
    entries, queries = sample
    fast, eager = Matcher(entries), EagerReasons(entries)
    found = [fast.match(q) for q in queries]
    assert found == [eager.match(q) for q in queries]
    names = [f for cands in found for c in cands for f in c.explanation if f.name == "name"]
    reasons = [f.reason for f in names]
    assert len(reasons) > 400 and all("'" in r for r in reasons)  # each shows both names
    # the sample has queries with more candidates than are returned: reasons were saved
    assert eager.written > sum(len(cands) for cands in found) + 50


def test_a_name_shared_by_entries_is_scored_once_with_the_same_result(sample) -> None:  # type: ignore[no-untyped-def]
    entries, queries = sample
    fast, plain = Matcher(entries), PlainNames(entries)
    found = [fast.match(q) for q in queries]
    assert found == [plain.match(q) for q in queries]
    # the sample has shortlists where several entries bear the same name
    shared = 0
    for q in queries[:200]:
        p = fast._prepare(q)
        pool = fast._candidates(p)
        fast._worth_scoring(p)
        names = sum(len(fast._name_column.records(i)) for i in pool)
        shared += names > len(p.name_scores)
    assert shared > 10


def test_cross_rules_skipped_for_queries_without_a_number_change_no_result(sample) -> None:  # type: ignore[no-untyped-def]
    generated_entries, queries = sample
    # the generated numbers fail their check digits: give the entries valid ones, so that
    # numbers in queries identify entries
    entries = []
    for k, (_key, e) in enumerate(generated_entries):
        base = 2_000_000 + k
        number = f"{base:08d}{97 - base % 97:02d}"
        entries.append((number, dataclasses.replace(e, enterprise_number=number)))  # type: ignore[call-arg]
    by_name: dict[str, list[object]] = {}
    for _key, e in entries:
        by_name.setdefault(e.name, []).append(e)  # type: ignore[attr-defined]
    # names borne by two entries (ambiguous without a number), with and without the number
    # of one of them, and entries' names with another entry's number
    twins = [group for group in by_name.values() if len(group) >= 2][:40]
    extra = [MatchQuery(name=g[0].name) for g in twins]  # type: ignore[attr-defined]
    extra += [MatchQuery(name=g[0].name, number=g[1].enterprise_number) for g in twins]  # type: ignore[attr-defined]
    extra += [
        MatchQuery(name=entries[k][1].name, number=entries[k + 1][1].enterprise_number)  # type: ignore[attr-defined]
        for k in range(0, 120, 3)
    ]
    fast, every = Matcher(entries), EveryCrossRule(entries)
    found = [fast.match(q) for q in [*queries, *extra]]
    assert found == [every.match(q) for q in [*queries, *extra]]
    notes = [f.name for cands in found for c in cands for f in c.explanation]
    assert notes.count("rule_ambiguous") > 10  # both rules ran
    assert notes.count("similar_name_elsewhere") > 5


def test_workers_send_rows_that_become_the_same_candidates(sample) -> None:  # type: ignore[no-untyped-def]
    entries, queries = sample
    matcher = Matcher(entries)
    alone = [matcher.match(q) for q in queries[:200]]
    assert matcher.match_many(queries[:200], workers=2, chunk=16) == alone
    assert all(c.entry is not None for found in alone for c in found)


def test_candidates_read_their_entry_when_asked_and_pickle_it(sample) -> None:  # type: ignore[no-untyped-def]
    entries, queries = sample
    matcher = Matcher(entries)
    by_key = dict(entries)
    found = [c for q in queries[:100] for c in matcher.match(q)]
    assert len(found) > 50
    # pickled before its entry is read: the entry goes along, not the index it is read from
    first = pickle.loads(pickle.dumps(found[0]))
    assert first.stored_entry == by_key[found[0].key] and len(pickle.dumps(found[0])) < 4_000
    assert first == found[0]
    assert all(c.entry == by_key[c.key] for c in found)
    assert all(c.stored_entry is c.entry for c in found)  # read once, then kept
    rows = [dataclasses.replace(c, stored_entry=None) for c in found]
    assert rows == found and all(c.entry is None for c in rows)  # keys only: still equal


def test_features_pickle_as_their_values() -> None:
    feature = Feature("name", 0.9231, 1.0, "Names are 92 % similar ('peeters' vs 'peters').")
    again = pickle.loads(pickle.dumps(feature))
    assert again == feature and type(again) is Feature
    assert len(pickle.dumps(feature)) < 150  # no per-object field names
    with pytest.raises(AttributeError):
        again.score = 0.1  # type: ignore[misc]  # still frozen


def test_name_column_gives_profiles_and_names_by_position() -> None:
    column = NameColumn()
    first = normalize_name("Bouwwerken Peeters B.V.B.A.")
    other = normalize_name("Peeters & Zonen")
    column.append([(0, first), (2, other)])
    column.append([])
    assert column.profiles(0) == [(0, NameProfile.of(first)), (2, NameProfile.of(other))]
    assert column.name(0, 2) == other and column.name(0, 0) == first
    assert column.profiles(0)[1][1].joined  # "&" kept as the joined flag
    assert column.profiles(1) == [] and column[1] == []
