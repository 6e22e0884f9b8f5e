"""A normalised name prepared for scoring (:class:`NameProfile`), the result of a name
comparison (:class:`NameScore`), and the thresholds of name scoring."""

from __future__ import annotations

from dataclasses import dataclass

from entity_resolution.compare.words import token_weight
from entity_resolution.names import LegalForm, NormalizedName

GENERIC_ONLY_CAP = 0.5  # the best a name can score if only generic words agree
OTHER_PLACE_CAP = 0.55  # the best a name can score when each names a different town
OTHER_TRADE_CAP = 0.55  # the best a name can score when each names a different trade
TOKEN_SIMILARITY_MIN = 0.8  # below this two words count as different …
WEAK_TOKEN_SIMILARITY = 0.6  # … but from this up, distinctive words still earn some credit
WEAK_PAIR_FACTOR = 1.0
WEAK_MIN_LENGTH = 5
ABBREVIATION_SIMILARITY = 0.9  # a common word and its shortening ("constr" / "construction")
INITIAL_SIMILARITY = 0.5  # a single letter and a word it is the initial of ("P." / "Pieter")
COMPACT_SIMILARITY_MIN = 0.9  # names compared without spaces count from this similarity up
WHOLE_SIMILARITY_MIN = 0.85  # names with their legal forms, written out whole (see below)
WHOLE_MIN_LENGTH = 7
WHOLE_LETTERS_PER_EDIT = 6  # one letter changed, added or dropped per six letters (min. 2)
CONTAINED_EXTRA_WEIGHT = 0.5  # words only the longer name has, when it holds the shorter
ACRONYM_ONLY_BELOW = 0.6  # names that compare better are not read as acronyms
GARBLED_CAP = 0.95  # the most a name read with a garbled word put right can score
MISTYPED_LETTERS_PER_EDIT = 5  # a mistyped name: at most one letter in five struck wrong …
MISTYPED_WORD_SHARE = 0.4  # … and at most two in five of any one word
MISTYPED_MIN_WORD = 4  # a changed word has four letters or more, and five on one side
# rapidfuzz turns a similarity cutoff into a distance cutoff in floating point: a pair exactly
# at the cutoff (one letter changed in a five-letter word: 0.8) is lost unless the cutoff is
# lowered by a margin larger than that rounding.
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class NameScore:
    """A name comparison: ``score`` and how it was reached (for the reason)."""

    score: float
    how: str  # identical, same_words, identical_compact, tokens, compact, whole, contained,
    # mistyped, garbled, generic_only, other_place, other_trade, empty
    shared: tuple[str, ...] = ()
    places: tuple[str, str] | None = None  # (query's, entry's) town or trade when they differ
    garbled: tuple[str, str, str] | None = None  # (side, word, what it is read as)
    typos: tuple[int, int] | None = None  # mistyped: (letters struck wrong, letters)


@dataclass(frozen=True, slots=True)
class NameProfile:
    """A normalised name prepared for scoring (word weights computed once)."""

    tokens: tuple[str, ...]
    weights: tuple[float, ...]
    total: float
    compact: str
    form: LegalForm | None = None
    joined: bool = False  # the name joins words with "&" / "and" / "en" …

    @classmethod
    def of(cls, name: NormalizedName) -> NameProfile:
        weights = tuple(token_weight(t) for t in name.tokens)
        joined = "&" in name.core.split()
        return cls(name.tokens, weights, sum(weights), name.compact, name.legal_form, joined)

    @property
    def whole(self) -> str:
        """The name as registered, without spaces: core then legal form ("murrayllc")."""
        return self.compact + self.form.key if self.form is not None else self.compact
