"""A cheap test that a name comparison cannot reach a score (:class:`NameBound`): most
names of a shortlist score far below what could still be reported, and proving it costs a
fraction of scoring them.

The matcher uses it to skip the scoring of a register name whose score could not keep its
entry in the running; a name that passes the test is scored in full, so results are never
changed (``tests/entity_resolution/test_name_bound.py`` checks the bound against
:func:`~entity_resolution.compare.name_score.score_profiles` on thousands of pairs, and the
matcher with it against the matcher without it).
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import mul

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel

from entity_resolution.compare.name_profile import (
    _EPS,
    ABBREVIATION_SIMILARITY,
    COMPACT_SIMILARITY_MIN,
    CONTAINED_EXTRA_WEIGHT,
    INITIAL_SIMILARITY,
    MISTYPED_LETTERS_PER_EDIT,
    WEAK_PAIR_FACTOR,
    WEAK_TOKEN_SIMILARITY,
    WHOLE_MIN_LENGTH,
    WHOLE_SIMILARITY_MIN,
    NameProfile,
)
from entity_resolution.compare.name_readings import _garbled_form, _mistyped, _readings
from entity_resolution.compare.name_score import _abbreviates, _whole_similarity
from entity_resolution.compare.words import (
    GENERIC_WEIGHT,
    GENERIC_WORDS,
    common_word_shortenings,
    token_weight,
)
from entity_resolution.geo import place_name_words

#: Sums of word weights are added in another order than the scorer adds them, and a
#: similarity computed in a batch may differ from the scorer's in its last bit: a bound is
#: raised by this much, and similarities are taken from this much under a threshold, so
#: that rounding never puts the bound under the score it bounds.
BOUND_MARGIN = 1e-9
#: Query names of more words than this are not bounded (a word's partners are kept as bits).
MAX_QUERY_WORDS = 60

#: What a register word can earn against a query (see :meth:`NameBound.add`): the factor
#: of its own weight, the query's share, and the query words it may be paired with (bits).
_Column = tuple[float, float, int]
_NOTHING: _Column = (0.0, 0.0, 0)
_WEAK_SCALE = max(1.0, WEAK_PAIR_FACTOR)  # a weak pair may count more than its similarity


class NameBound:
    """For one query name: whether a register name surely scores below a limit.

    :meth:`below` is True only when ``score_profiles(query, entry).score < limit``. The
    argument, following :func:`~entity_resolution.compare.name_score._score_profiles` and
    :func:`~entity_resolution.compare.name_score.score_profiles`:

    1. **The word score** is ``matched / total``. Each word of either name is in at most
       one pair — of the main pairing, or a weak pair — and a pair ``(i, j)`` of query word
       ``i`` and register word ``j`` adds ``s × (qᵢ + rⱼ)`` to ``matched``, ``s`` its
       similarity and ``q``, ``r`` the word weights (a weak pair adds ``WEAK_PAIR_FACTOR ×
       s × 2`` for two words of weight 1: the same split). Let ``cᵢⱼ`` be the most a pair
       of the two words can count (:meth:`add`). Charging each pair to its register word,
       ``matched ≤ A = Σⱼ (rⱼ × maxᵢ cᵢⱼ + maxᵢ qᵢ × cᵢⱼ)`` over the register name's words.
       ``total`` is the sum ``T`` of all weights, except when one name is *contained* in
       the other: then every word of the shorter name (two or more) is in the main pairing,
       no weak pair is left (one needs an unpaired word on both sides) and the unpaired
       words, all in the longer name, count ``CONTAINED_EXTRA_WEIGHT`` (``h``, one half):
       ``total = h × T + (1 − h) × W``, ``W`` the weight of the paired words, at least that
       of the shorter name; and ``matched ≤ A_main``, ``A`` with the main pairing's credits
       only. Containment is possible only for a name of two words or more whose every word
       may be paired in the main pairing; the bound is then the larger of ``A / T`` and
       ``A_main / (h × T + (1 − h) × W_shorter)``, else ``A / T``.
    2. **Names written together** ("vanderhaegen" / "van der haegen") score their
       similarity without spaces when it reaches ``COMPACT_SIMILARITY_MIN``: computed as
       the scorer does. Names of the same letters score 1.0, however short; names of the
       same words in any order are covered by 1 (each word earns 1.0 with its equal).
    3. **The whole names with their legal forms** score
       :func:`~entity_resolution.compare.name_score._whole_similarity`, and **the name
       mistyped word for word** :func:`~entity_resolution.compare.name_readings._mistyped`:
       computed as the scorer does, without the further conditions under which it uses
       them (a distinctive word paired, the words left alike), which can only lower the
       score.
    4. **The caps** (only common words shared, two towns, two trades) and ``min(…, 1)``
       only lower the score.
    5. **Other readings** (a garbled legal form or "and", an acronym) may raise the score
       up to ``GARBLED_CAP``: when :func:`~entity_resolution.compare.name_readings._readings`
       finds any for either name — asked as if the plain score were 0, which lets it try
       every reading it could try — the name is never said to be below.

    Bounds are raised by ``BOUND_MARGIN`` against rounding. What each register word can
    earn against the query is computed once per query (:meth:`add`, for all the words of a
    shortlist at once)."""

    __slots__ = (
        "query", "_columns", "_bits", "_prefixes", "_firsts", "_towns", "_initials",
        "_joined", "_acronyms", "_short", "_shorteners", "_ij", "_y",
    )  # fmt: skip

    def __init__(self, query: NameProfile) -> None:
        self.query = query
        self._columns: dict[str, _Column] = {}
        self._bits: list[int] | None = None

    def add(self, words: Iterable[str]) -> None:
        """Work out what each register word can earn against the query's words (those not
        already known), in one batch.

        ``cᵢⱼ``, the most query word ``i`` and register word ``j`` can count in a pair, is
        at most the largest that a rule of ``_word_pair`` or ``_weak_pairs`` could give:

        - their similarity (``Indel``), from ``WEAK_TOKEN_SIMILARITY`` up: 1.0 for equal
          words, at least ``TOKEN_SIMILARITY_MIN`` for alike words, at most
          ``WEAK_PAIR_FACTOR`` × it (1) for a weak pair; the same with "ij" written "y"
          when there is an "ij" and a "y" between the two words (else it changes nothing
          or is not tried);
        - ``ABBREVIATION_SIMILARITY`` when one shortens the other
          (:func:`~entity_resolution.compare.name_score._abbreviates`);
        - 1.0 for two town names, ``INITIAL_SIMILARITY`` for a letter and a word it starts.

        The similarities come from one ``rapidfuzz.process.cdist`` call over all the new
        words (its threshold lowered by ``BOUND_MARGIN``); the other rules concern few
        words, found by set operations."""
        columns = self._columns
        new = [w for w in words if w not in columns]
        if not new:
            return
        if self._bits is None:
            self._prepare()
        # one row per new word: its similarity with each query word
        rows = process.cdist(
            new,
            self.query.tokens,
            scorer=Indel.normalized_similarity,
            score_cutoff=WEAK_TOKEN_SIMILARITY - _EPS - BOUND_MARGIN,
            dtype=np.float64,
        ).tolist()
        self._special(new, rows)
        weights, bits = self.query.weights, self._bits
        for word, row in zip(new, rows):  # noqa: B905 — one row per word
            best = max(row)
            if best:
                # a weak pair counts WEAK_PAIR_FACTOR × its similarity
                scale = _WEAK_SCALE
                mask = 0
                for value, bit in zip(row, bits):  # noqa: B905 — one bit per query word
                    if value:
                        mask |= bit
                columns[word] = (scale * best, scale * max(map(mul, row, weights)), mask)
            else:
                columns[word] = _NOTHING

    def _prepare(self) -> None:
        tokens = self.query.tokens
        self._bits = [1 << k for k in range(len(tokens))]
        # shortenings of the query's common words ("constr" for "construction")
        self._prefixes: dict[str, list[int]] = {}
        for k, a in enumerate(tokens):
            if token_weight(a) == GENERIC_WEIGHT:
                for n in range(3, len(a) - 1):
                    self._prefixes.setdefault(a[:n], []).append(k)
        self._firsts = {a[0] for a in tokens if len(a) >= 3}  # a letter may be their initial
        towns = place_name_words()
        self._towns = [k for k, a in enumerate(tokens) if a in towns]
        self._initials = [k for k, a in enumerate(tokens) if len(a) == 1]
        self._joined = self.query.compact == "".join(tokens)
        # what initials of the query spell, and the query words initials may spell
        self._acronyms: set[str] = set()
        if len(tokens) >= 3:  # (only names of three words or more are read as acronyms)
            initials = "".join([t[0] for t in tokens])
            for start in range(len(initials) - 2):
                for end in range(start + 3, min(len(initials), start + 6) + 1):
                    self._acronyms.add(initials[start:end])
        self._short = [t for t in tokens if 3 <= len(t) <= 6 and t.isalpha()]
        # the query words that may shorten a register word (_abbreviates): at least three
        # letters, not a common word, and a prefix two letters shorter at least of a common
        # word, or digits (a number weighs as much as a common word); most queries have none
        shortenings = common_word_shortenings()
        self._shorteners = [
            (k, a)
            for k, a in enumerate(tokens)
            if len(a) >= 3 and a not in GENERIC_WORDS and (a in shortenings or a.isdigit())
        ]
        self._ij = any("ij" in a for a in tokens)
        self._y = any("y" in a for a in tokens)

    def _special(self, new: list[str], rows: list[list[float]]) -> None:
        """Raise ``rows`` for the pairs that the rules other than similarity may pair."""
        tokens = self.query.tokens
        shortened = self._prefixes.keys() & new if self._prefixes else ()
        # the words a shorter word may shorten: common words, and numbers (weighing as much);
        # only the query's _shorteners can shorten one
        common = (
            [b for b in new if len(b) >= 5 and token_weight(b) == GENERIC_WEIGHT]
            if self._shorteners
            else ()
        )
        towns = place_name_words().intersection(new) if self._towns else ()
        letters = self._firsts.intersection(new)
        if shortened or common or towns or letters or self._initials:
            at = {b: j for j, b in enumerate(new)}
            for b in shortened:  # a register word shortens a query word
                row = rows[at[b]]
                for k in self._prefixes[b]:
                    row[k] = max(row[k], ABBREVIATION_SIMILARITY)
            for b in common:  # a query word shortens a register word
                row = rows[at[b]]
                for k, a in self._shorteners:
                    if b.startswith(a) and _abbreviates(a, b):
                        row[k] = max(row[k], ABBREVIATION_SIMILARITY)
            for b in towns:
                row = rows[at[b]]
                for k in self._towns:
                    row[k] = 1.0
            for b in letters:  # a letter of the register name, a query word
                row = rows[at[b]]
                for k, a in enumerate(tokens):
                    if len(a) >= 3 and a[0] == b:
                        row[k] = max(row[k], INITIAL_SIMILARITY)
            for k in self._initials:  # a letter of the query, a register word
                for j, b in enumerate(new):
                    if len(b) >= 3 and b[0] == tokens[k]:
                        rows[j][k] = max(rows[j][k], INITIAL_SIMILARITY)
        # "ij" read as "y": only for pairs with an "ij" and a "y" between them
        query_ij, query_y = self._ij, self._y
        if query_ij and query_y:
            ij = list(range(len(new)))
        elif query_y:
            ij = [j for j, b in enumerate(new) if "ij" in b]
        elif query_ij:
            ij = [j for j, b in enumerate(new) if "y" in b]
        else:
            ij = [j for j, b in enumerate(new) if "ij" in b and "y" in b]
        if not ij:
            return
        read = process.cdist(
            [new[j].replace("ij", "y") for j in ij],
            [a.replace("ij", "y") for a in tokens],
            scorer=Indel.normalized_similarity,
            score_cutoff=WEAK_TOKEN_SIMILARITY - _EPS - BOUND_MARGIN,
            dtype=np.float64,
        ).tolist()
        for j, again in zip(ij, read):  # noqa: B905 — one row per word
            rows[j] = list(map(max, rows[j], again))

    def below(self, entry: NameProfile, limit: float) -> bool:
        """``score_profiles(self.query, entry).score < limit``, for certain (False when it
        may reach it)."""
        query = self.query
        if not query.tokens or not entry.tokens:
            return limit > 0.0  # an empty name scores 0
        if query.compact == entry.compact or len(query.tokens) > MAX_QUERY_WORDS:
            return False  # the same letters score 1.0, however the words are cut
        columns = self._columns
        total = query.total + entry.total
        matched = 0.0
        mask = 0
        entry_paired = True
        for word, w in zip(entry.tokens, entry.weights):  # noqa: B905 — as many
            found = columns.get(word)
            if found is None:
                self.add(dict.fromkeys(entry.tokens))
                found = columns[word]
            r_credit, q_credit, bits = found
            matched += w * r_credit + q_credit
            mask |= bits
            if not bits:
                entry_paired = False
        if matched / total + BOUND_MARGIN >= limit:
            return False
        # containment: a name of two words or more whose every word may be paired
        shorter = None
        if len(query.tokens) >= 2 and mask == (1 << len(query.tokens)) - 1:
            shorter = query.total
        if len(entry.tokens) >= 2 and entry_paired:
            shorter = entry.total if shorter is None else min(shorter, entry.total)
        if shorter is not None:
            least = CONTAINED_EXTRA_WEIGHT * total + (1.0 - CONTAINED_EXTRA_WEIGHT) * shorter
            if matched / least + BOUND_MARGIN >= limit:
                return False
        return not self._other_ways(entry, limit)

    def _other_ways(self, entry: NameProfile, limit: float) -> bool:
        """Whether a way of scoring other than the words (2, 3 and 5 of the class docstring)
        may reach ``limit``. The Indel distance ``d`` of the two names without spaces (the
        letters to delete and to add to turn one into the other) rules most of them out:

        - written together, the names score ``1 − d ÷ (their letters)``, counted from
          ``COMPACT_SIMILARITY_MIN`` up;
        - written whole with legal forms of ``f`` and ``g`` letters, the names are at least
          ``d − f − g`` apart (deleting the forms turns them back into the names without
          spaces), which must be at most ``1 − WHOLE_SIMILARITY_MIN`` of their letters;
        - mistyped word for word, with ``n`` words each as long give or take one letter and
          ``e`` letters struck wrong (Levenshtein), each word is at most ``2 × e`` Indel
          edits from the other and the names ``d ≤ 2 × e``; ``e`` at most one in
          ``MISTYPED_LETTERS_PER_EDIT`` of the letters of the longer words, which are at
          most ``(letters of both + n) ÷ 2``: so ``MISTYPED_LETTERS_PER_EDIT × d ≤ letters
          of both + n`` (when the names without spaces are their words joined).

        What passes these tests is computed as the scorer does. Readings: a garbled legal
        form is looked for as the scorer does (its preconditions first); an acronym needs a
        word of one name of three to six letters spelt by initials of the other (looked up
        in the query's initials, or the query's words in the entry's); a garbled "and" as
        :func:`~entity_resolution.compare.name_readings._readings` does, when one name
        joins words with "&"."""
        query = self.query
        qc, rc = query.compact, entry.compact
        d = Indel.distance(qc, rc)
        letters = len(qc) + len(rc)
        together = 1.0 - d / letters
        if (
            min(len(qc), len(rc)) >= 6
            and together >= COMPACT_SIMILARITY_MIN - _EPS - BOUND_MARGIN
            and together + BOUND_MARGIN >= limit
        ):
            return True
        f = len(query.form.key) if query.form is not None else 0
        g = len(entry.form.key) if entry.form is not None else 0
        if (
            min(len(qc) + f, len(rc) + g) >= WHOLE_MIN_LENGTH
            and d - f - g <= (1.0 - WHOLE_SIMILARITY_MIN + _EPS) * (letters + f + g) + 1e-6
            and _whole_similarity(query, entry) + BOUND_MARGIN >= limit
        ):
            return True
        n = len(query.tokens)
        if n == len(entry.tokens) and abs(len(qc) - len(rc)) <= n:
            joined = self._joined and rc == "".join(entry.tokens)
            if not joined or MISTYPED_LETTERS_PER_EDIT * d <= letters + n:
                mistyped = _mistyped(query, entry)
                if mistyped is not None and mistyped[0] + BOUND_MARGIN >= limit:
                    return True
        # readings of the query given the entry, then of the entry given the query
        m = len(entry.tokens)
        if query.form is None:
            if entry.form is not None and n >= 2 and _garbled_form(query, entry):
                return True
        elif entry.form is None and m >= 2 and _garbled_form(entry, query):
            return True
        if entry.joined != query.joined:
            if entry.joined and n >= 3 and _readings(query, entry, 0.0):
                return True
            if query.joined and m >= 3 and _readings(entry, query, 0.0):
                return True
        if n >= 3 and not self._acronyms.isdisjoint(entry.tokens):
            return True
        if m >= 3 and self._short:
            initials = "".join([t[0] for t in entry.tokens])
            for word in self._short:
                if word in initials:
                    return True
        return False
