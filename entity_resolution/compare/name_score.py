"""Name scoring: how similar two normalised names are, in 0..1, word-order free and typo
tolerant (:func:`score_names`, :func:`score_profiles`), with the rules that cap it (only
common words shared, two towns, two trades)."""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import Indel, Levenshtein

from entity_resolution.compare.name_profile import (
    _EPS,
    ABBREVIATION_SIMILARITY,
    ACRONYM_ONLY_BELOW,
    COMPACT_SIMILARITY_MIN,
    CONTAINED_EXTRA_WEIGHT,
    GARBLED_CAP,
    GENERIC_ONLY_CAP,
    INITIAL_SIMILARITY,
    OTHER_PLACE_CAP,
    OTHER_TRADE_CAP,
    TOKEN_SIMILARITY_MIN,
    WEAK_MIN_LENGTH,
    WEAK_PAIR_FACTOR,
    WEAK_TOKEN_SIMILARITY,
    WHOLE_LETTERS_PER_EDIT,
    WHOLE_MIN_LENGTH,
    WHOLE_SIMILARITY_MIN,
    NameProfile,
    NameScore,
)
from entity_resolution.compare.name_readings import _mistyped, _readings
from entity_resolution.compare.words import (
    COUNTRY_WORDS,
    GENERIC_WEIGHT,
    GENERIC_WORDS,
    PLACE_WEIGHT,
    TRADE_WORDS,
    token_weight,
)
from entity_resolution.geo import (
    lookup_postcode,
    place_name_words,
    postcode_for_name,
)
from entity_resolution.names import NormalizedName, legal_form_relation
from entity_resolution.slots import slot_maker


def score_names(query: NormalizedName, entry: NormalizedName) -> NameScore:
    """Similarity of two normalised names in 0..1, word-order free, typo tolerant.

    Words are paired one-to-one (best pairs first; a pair needs ≥ 80 % character similarity,
    exact for words under four letters, or one being a shortening of a common word: "constr"
    for "construction" counts 90 %; an initial and a word it starts counts 50 %; a town
    written in French and in Dutch is one town); the score is the weighted share of paired
    words on both sides, with generic words (bouw, cleaning, services …) weighing 0.5, places
    0.6 and articles 0.05. Distinctive words left unpaired that are still alike (60–80 %)
    earn that share without counting as shared. When every word of one name (two or more)
    is in the other, the other's extra words count half, unless one of them names a country
    or town (a branch). If no distinctive word is paired the score is capped at 0.5: sharing
    "cleaning services" does not make two companies the same (unless every word of both
    names is paired: "Car Wash Bruxellles" is the register's "Car Wash Bruxelles"). Names
    that each keep a different town or trade word are capped at 0.55. Names written
    together or apart ("vanderhaegen" / "van der haegen") compare as the joined strings, and
    names with a distinctive word in common also written out whole with their legal forms
    (a typo in "Munray LLC"). Names of the same shape — as many words, in the same order,
    each as long, most letters in place — are read as one name mistyped and scored by the
    letters struck wrong (:func:`_mistyped`; since vigie-er/1.4: "Mitlhell GrWup" /
    "Mitchell Group" 92 %, was 84 %). Garbled small words and acronyms: see
    :func:`score_profiles`.
    """
    return score_profiles(NameProfile.of(query), NameProfile.of(entry))


def score_profiles(query: NameProfile, entry: NameProfile) -> NameScore:
    """:func:`score_names` on prepared names (the matcher prepares register names once).

    A name may also be read otherwise, and the better reading counts (at most
    ``GARBLED_CAP``, since it is a reading): words whose initials spell a word of the other
    name as that acronym ("International Business Machine Corp." / "IBM Corp."); a last word
    one typo from the other name's legal form as that legal form ("Emard Hnc" / "Emard
    Inc", "Roberts L5C" / "Roberts LLC"); a middle word one letter from "and" as the
    connector "&" when the other name has one ("Temry aUd Sons" / "Terry and Sons")."""
    plain = _score_profiles(query, entry)
    if plain.score >= GARBLED_CAP:  # no reading can do better
        return plain
    best = plain
    for side, a, b in (("query", query, entry), ("entry", entry, query)):
        if not _may_read(a, b, plain.score):
            continue
        for read, word, meant in _readings(a, b, plain.score):
            found = (
                _score_profiles(read, entry) if side == "query" else _score_profiles(query, read)
            )
            score = round(min(found.score, GARBLED_CAP), 4)
            if score > best.score and found.how not in ("generic_only", "other_place", "empty"):
                how = "garbled" if found.how in _IDENTICAL else found.how
                best = _new_score(score, how, found.shared, found.places, (side, word, meant), None)
    return best


_IDENTICAL = ("identical", "identical_compact", "same_words")


def _may_read(a: NameProfile, b: NameProfile, plain_score: float) -> bool:
    """Whether :func:`_readings` can find any reading of ``a`` given ``b`` (its own
    preconditions, checked here without calling it: most pairs have none)."""
    n = len(a.tokens)
    return (
        (a.form is None and b.form is not None and n >= 2)
        or (plain_score < ACRONYM_ONLY_BELOW and n >= 3)
        or (b.joined and not a.joined and n >= 3)
    )

#: ``NameScore(score, how, shared, places, garbled, typos)`` without its frozen ``__init__``
#: (a name score is made for every name of every entry of a shortlist).
_new_score = slot_maker(NameScore)


@lru_cache(maxsize=65_536)
def _word_pair(a: str, b: str) -> tuple[float, bool, float]:
    """How two words pair, as far as the words alone decide: ``(alike, towns, initial)`` —
    ``alike`` is 1.0 for equal words, their similarity when ≥ ``TOKEN_SIMILARITY_MIN`` (both
    of four letters or more; the Dutch "ij" written "y" read as one), or
    ``ABBREVIATION_SIMILARITY`` when one shortens the other, else 0; ``towns`` says both are
    town names (whether they are one town depends on the words around them); ``initial`` is
    ``INITIAL_SIMILARITY`` when one is a single letter starting the other ("P." / "Pieter").

    Remembered: the words of a shortlist's names repeat (the query's own words, common
    surnames and trades), and so do the words of queries."""
    if a == b:
        return 1.0, False, 0.0
    if len(a) >= 4 and len(b) >= 4:
        similarity = Indel.normalized_similarity
        sim = similarity(a, b, score_cutoff=TOKEN_SIMILARITY_MIN - _EPS)
        if not sim and ("y" in a or "y" in b):  # Dutch "ij" written "y": Dyck, Dijck
            sim = similarity(
                a.replace("ij", "y"), b.replace("ij", "y"), score_cutoff=TOKEN_SIMILARITY_MIN - _EPS
            )
        if sim:
            return sim, False, 0.0
    if a[:1] == b[:1] and _abbreviates(a, b):  # a shortening starts as the word does
        return ABBREVIATION_SIMILARITY, False, 0.0
    town_words = place_name_words()
    towns = a in town_words and b in town_words
    initial = (len(a) == 1 and len(b) >= 3 and b[0] == a) or (
        len(b) == 1 and len(a) >= 3 and a[0] == b
    )
    return 0.0, towns, INITIAL_SIMILARITY if initial else 0.0


def _score_profiles(query: NameProfile, entry: NameProfile) -> NameScore:
    q, r = query.tokens, entry.tokens
    if not q or not r:
        return _new_score(0.0, "empty", (), None, None, None)
    if q == r:
        return _new_score(1.0, "identical", q, None, None, None)
    if query.compact == entry.compact:
        return _new_score(1.0, "identical_compact", q, None, None, None)
    if len(q) == len(r) and sorted(q) == sorted(r):
        return _new_score(1.0, "same_words", q, None, None, None)
    similarity = Indel.normalized_similarity
    pairs: list[tuple[float, int, int]] = []
    for i, a in enumerate(q):
        for j, b in enumerate(r):
            alike, towns, initial = _word_pair(a, b)
            if alike:
                pairs.append((alike, i, j))
            elif towns and _same_town(q, i, r, j):
                pairs.append((1.0, i, j))  # one town in two languages: Bruxelles / Brussel
            elif initial:
                pairs.append((initial, i, j))
    pairs.sort(reverse=True)
    used_q: set[int] = set()
    used_r: set[int] = set()
    matched = 0.0
    distinctive = False
    shared: list[tuple[int, str]] = []
    qw, rw = query.weights, entry.weights
    for sim, i, j in pairs:
        if i in used_q or j in used_r:
            continue
        used_q.add(i)
        used_r.add(j)
        matched += sim * (qw[i] + rw[j])
        shared.append((j, r[j]))
        if qw[i] == 1.0 and rw[j] == 1.0:
            distinctive = True
    if distinctive:
        matched += _weak_pairs(query, entry, used_q, used_r)
    total = query.total + entry.total
    how = "tokens"
    contained = _contained(query, entry, used_q, used_r, distinctive)
    if contained is not None:  # every word of the shorter name is in the longer one
        longer, used = (entry, used_r) if contained == "query" else (query, used_q)
        extra = sum(w for k, w in enumerate(longer.weights) if k not in used)
        total -= (1.0 - CONTAINED_EXTRA_WEIGHT) * extra
        how = "contained"
    score = matched / total if total else 0.0
    if min(len(query.compact), len(entry.compact)) >= 6:
        joined = similarity(
            query.compact, entry.compact, score_cutoff=COMPACT_SIMILARITY_MIN - _EPS
        )
        if joined > score:  # distinctive only if each name has a distinctive word
            score, how = joined, "compact"
            distinctive = 1.0 in query.weights and 1.0 in entry.weights
    if distinctive and score < WHOLE_SIMILARITY_MIN:
        whole = _whole_similarity(query, entry)
        if whole > score and _leftovers_alike(query, entry, used_q, used_r):
            score, how = whole, "whole"
    words = tuple([word for _, word in sorted(shared)])
    typos = None
    if score < GARBLED_CAP:
        mistyped = _mistyped(query, entry)
        if mistyped is not None and mistyped[0] > score:
            score, how, typos = mistyped[0], "mistyped", mistyped[1:]
    if score > OTHER_PLACE_CAP:
        towns = _different_towns(query, entry, used_q, used_r)
        if towns is not None:
            return _new_score(OTHER_PLACE_CAP, "other_place", words, towns, None, None)
    if score > OTHER_TRADE_CAP:
        trades = _different_trades(query, entry, used_q, used_r)
        if trades is not None:
            return _new_score(OTHER_TRADE_CAP, "other_trade", words, trades, None, None)
    # A name made only of common words ("Car Wash Bruxelles") is still a name: when every
    # word on both sides is paired, the cap would treat a typo worse than the identical name.
    whole = len(used_q) == len(q) and len(used_r) == len(r)
    if not distinctive and score > GENERIC_ONLY_CAP and not whole:
        return _new_score(GENERIC_ONLY_CAP, "generic_only", words, None, None, None)
    return _new_score(min(score, 1.0), how, words, None, None, typos)


def _leftovers_alike(
    query: NameProfile, entry: NameProfile, used_q: set[int], used_r: set[int]
) -> bool:
    """The words left unpaired on the two sides are still alike (at least
    ``WEAK_TOKEN_SIMILARITY`` written together), or one side has none left: a typo, not
    another word ("Feest-Funk" / "Fes-Funk", but not "ASML Holland" / "AMP Holland")."""
    a = "".join(t for k, t in enumerate(query.tokens) if k not in used_q)
    b = "".join(t for k, t in enumerate(entry.tokens) if k not in used_r)
    if not a or not b:
        return True
    return Indel.normalized_similarity(a, b) >= WEAK_TOKEN_SIMILARITY - _EPS


def _whole_similarity(query: NameProfile, entry: NameProfile) -> float:
    """Similarity of the two names written out whole with their legal forms, or 0.0 when the
    legal forms are of different kinds or the names differ by more than one letter per six
    (at least two): then a whole word differs. The matcher also asks that the words left
    unpaired be alike (:func:`_leftovers_alike`).

    A letter wrong in a one-word name ("Munray LLC" / "Murray LLC") or a garbled legal form
    ("Emard Hnc" / "Emard Inc") weighs less against the whole registered name than against
    one word; the matcher uses this only when a distinctive word already agrees."""
    a, b = query.whole, entry.whole
    if min(len(a), len(b)) < WHOLE_MIN_LENGTH:
        return 0.0
    edits = max(2, round(max(len(a), len(b)) / WHOLE_LETTERS_PER_EDIT))
    if abs(len(a) - len(b)) > edits or Levenshtein.distance(a, b, score_cutoff=edits) > edits:
        return 0.0
    if legal_form_relation(query.form, entry.form) == "different":
        return 0.0
    return Indel.normalized_similarity(a, b, score_cutoff=WHOLE_SIMILARITY_MIN - _EPS)


def _weak_pairs(
    query: NameProfile, entry: NameProfile, used_q: set[int], used_r: set[int]
) -> float:
    """Credit for distinctive words left unpaired on both sides that are still alike
    (``WEAK_TOKEN_SIMILARITY`` ≤ similarity < ``TOKEN_SIMILARITY_MIN``, five letters or more,
    lengths within one): two letters garbled in "Bruen-Hyqney" / "Bruen-Heaney". They add
    ``WEAK_PAIR_FACTOR`` × similarity of their weight but never count as shared words."""
    left_q = [
        (i, a)
        for i, a in enumerate(query.tokens)
        if i not in used_q and query.weights[i] == 1.0 and len(a) >= WEAK_MIN_LENGTH
    ]
    if not left_q:
        return 0.0
    left_r = [
        (j, b)
        for j, b in enumerate(entry.tokens)
        if j not in used_r and entry.weights[j] == 1.0 and len(b) >= WEAK_MIN_LENGTH
    ]
    pairs: list[tuple[float, int, int]] = []
    for i, a in left_q:
        for j, b in left_r:
            if abs(len(a) - len(b)) <= 1:
                sim = Indel.normalized_similarity(a, b, score_cutoff=WEAK_TOKEN_SIMILARITY - _EPS)
                if sim:
                    pairs.append((sim, i, j))
    credit = 0.0
    taken_q: set[int] = set()
    taken_r: set[int] = set()
    for sim, i, j in sorted(pairs, reverse=True):
        if i not in taken_q and j not in taken_r:
            taken_q.add(i)
            taken_r.add(j)
            credit += WEAK_PAIR_FACTOR * sim * 2.0
    return credit


def _contained(
    query: NameProfile, entry: NameProfile, used_q: set[int], used_r: set[int], distinctive: bool
) -> str | None:
    """Which name ("query" or "entry") has all its words, at least two, paired with words of
    the other, which has more ("Koninklijke Philips" in "Koninklijke Philips Electronics");
    None otherwise, when no distinctive word is paired, or when a word only the longer name
    has is a place or a country (a branch: "Du Pont de Nemours" and "Du Pont de Nemours
    Nederland")."""
    if not distinctive:
        return None
    if len(used_q) == len(query.tokens) >= 2 and len(entry.tokens) > len(used_r):
        side, longer, used = "query", entry, used_r
    elif len(used_r) == len(entry.tokens) >= 2 and len(query.tokens) > len(used_q):
        side, longer, used = "entry", query, used_q
    else:
        return None
    # "Du Pont de Nemours (Nederland)" is the Dutch branch, not the same firm
    for k, token in enumerate(longer.tokens):
        if k not in used and (longer.weights[k] == PLACE_WEIGHT or token in COUNTRY_WORDS):
            return None
    return side


def _abbreviates(a: str, b: str) -> bool:
    """One word is a shortening of the other, which is a common word ("constr" for
    "construction", "log" for "logistique"). A common word is never read as the shortening
    of a longer one ("bouw" is not short for "bouwwerken")."""
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return (
        len(short) >= 3
        and len(long) > len(short) + 1
        and long.startswith(short)
        and token_weight(long) == GENERIC_WEIGHT
        and short not in GENERIC_WORDS
    )


def _same_town(q: tuple[str, ...], i: int, r: tuple[str, ...], j: int) -> bool:
    """Words ``q[i]`` and ``r[j]`` are the same municipality under two names ("Bruxelles" /
    "Brussel", "Gand" / "Gent"); a town named in several words counts whole
    ("Louvain-la-Neuve" is not "Leuven")."""
    a, b = _municipality_at(q, i), _municipality_at(r, j)
    return a is not None and a == b


@lru_cache(maxsize=20_000)
def _municipality_at(tokens: tuple[str, ...], i: int) -> str | None:
    """NIS code of the municipality named by the longest run of words starting at ``i``."""
    for n in (3, 2, 1):
        if i + n <= len(tokens):
            postcode = postcode_for_name(" ".join(tokens[i : i + n]))
            if postcode is not None:
                place = lookup_postcode(postcode)
                return place.municipality_nis if place is not None else None
    return None


def _different_trades(
    query: NameProfile, entry: NameProfile, used_q: set[int], used_r: set[int]
) -> tuple[str, str] | None:
    """Each name keeps an unpaired trade word of its own ("Transport Peeters" / "Bouw
    Peeters", "Schilderwerken Maes" / "Dakwerken Maes"): two firms of the same family name in
    two trades. Words of one stem ("bouw" / "bouwwerken") are not two trades."""

    def trades(profile: NameProfile, used: set[int]) -> list[str]:
        return [t for k, t in enumerate(profile.tokens) if k not in used and t in TRADE_WORDS]

    if TRADE_WORDS.isdisjoint(query.tokens) or TRADE_WORDS.isdisjoint(entry.tokens):
        return None
    q_trades, r_trades = trades(query, used_q), trades(entry, used_r)
    for a in q_trades:
        for b in r_trades:
            if a[:4] != b[:4]:
                return a, b
    return None


def _different_towns(
    query: NameProfile, entry: NameProfile, used_q: set[int], used_r: set[int]
) -> tuple[str, str] | None:
    """Each name keeps an unpaired town name of its own ("… Jette" vs "… Mettet")."""
    towns_known = place_name_words()
    if towns_known.isdisjoint(query.tokens) or towns_known.isdisjoint(entry.tokens):
        return None

    def towns(profile: NameProfile, used: set[int]) -> list[str]:
        return [t for i, t in enumerate(profile.tokens) if i not in used and t in towns_known]

    q_towns, r_towns = towns(query, used_q), towns(entry, used_r)
    if q_towns and r_towns:
        return q_towns[0], r_towns[0]
    return None
