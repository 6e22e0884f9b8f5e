"""Find tell-tale phrases in untrusted ad text, accent- and case-insensitively, on whole words,
skipping negated ones, and quote them exactly as written.

A :class:`Phrase` is a regular expression written on *folded* text (lower case, accents removed,
typographic apostrophes made plain) in which a plain space stands for "one or more spaces,
hyphens or apostrophes". Matches are bounded by non-word characters on both sides, so
``cash`` never matches inside ``cashier``.

Negation: a match is dropped when one of :data:`NEGATORS` ("pas", "geen", "no", "kein", "sans",
"against"…) occurs among the :data:`NEGATION_WINDOW` words before it, within the same clause
(clauses end at ``. , ; : ! ? ( ) | •`` and line breaks). "pas de logement fourni" and
"we never pay cash in hand" are therefore not indicators, but "sans papiers, logement fourni" is
two. A phrase may also list ``exclude_before`` words that cancel it the same way (e.g. "ouvert"
before "7/7": the shop is open every day, not the worker).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

NEGATION_WINDOW = 4
NEGATORS = frozenset(
    {
        # fr
        "pas", "non", "aucun", "aucune", "jamais", "ni", "sans", "contre", "interdit",
        # nl
        "geen", "niet", "nooit", "zonder", "tegen", "verboden",
        # en
        "no", "not", "never", "without", "against", "nor", "forbidden",
        # de
        "kein", "keine", "keinen", "nicht", "nie", "ohne", "gegen", "verboten",
    }
)
_CLAUSE_END = re.compile(r"[.;:!?,()\[\]|•\n\r]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"}


def _fold_char(char: str) -> str:
    char = _APOSTROPHES.get(char, char)
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_FOLDED: dict[str, str] = {}  # character → its folded form (a bounded alphabet)
_LAST_FOLD: dict[str, tuple[str, list[int]]] = {}  # the last few texts (rules share a text)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` (casefold, strip accents, plain apostrophes) and map every folded character
    back to the index of the original character it came from. (Do not change the list.)"""
    done = _LAST_FOLD.get(text)
    if done is not None:
        return done
    if text.isascii():  # folding is lower-casing, one character for one
        folded = text.lower().replace("`", "'")
        result = (folded, list(range(len(text))))
    elif (plain := _fold_non_ascii(text)) is not None:  # "é" → "e", "’" → "'": one for one
        result = (plain.lower().replace("`", "'"), list(range(len(text))))
    else:
        out: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(text):
            piece = _FOLDED.get(char)
            if piece is None:
                piece = _FOLDED[char] = _fold_char(char)
            if len(piece) == 1:
                out.append(piece)
                origin.append(index)
            else:
                out.extend(piece)
                origin.extend([index] * len(piece))
        result = ("".join(out), origin)
    if len(_LAST_FOLD) >= 8:
        _LAST_FOLD.pop(next(iter(_LAST_FOLD)))
    _LAST_FOLD[text] = result
    return result


def _fold_non_ascii(text: str) -> str | None:
    """``text`` with each non-ASCII character replaced by its fold, when every one of them
    folds to a single character that lower-casing leaves alone (accented letters, typographic
    apostrophes, dashes, €…); else ``None``. Lower-casing the result then folds the ASCII
    rest as :func:`_fold_char` would and leaves the folds as they are."""
    for char in {c for c in text if not c.isascii()}:
        piece = _FOLDED.get(char)
        if piece is None:
            piece = _FOLDED[char] = _fold_char(char)
        if len(piece) != 1 or piece.lower() != piece:
            return None
        text = text.replace(char, piece)
    return text


def compile_phrase(pattern: str) -> re.Pattern[str]:
    """A folded-text pattern with word boundaries around it, in which a space means
    ``[\\s'-]+`` (one or more separators) and `` ?`` means ``[\\s'-]*`` (optional ones)."""
    body = pattern.replace(" ?", r"[\s'\-]*").replace(" ", r"[\s'\-]+")
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


@dataclass(frozen=True)
class Phrase:
    """One indicator: an id, its category, a plain-English gloss and the folded pattern."""

    id: str
    category: str
    gloss: str
    pattern: str
    exclude_before: frozenset[str] = field(default_factory=frozenset)

    def compiled(self) -> re.Pattern[str]:
        return _compiled(self.pattern)


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    if pattern not in _CACHE:
        _CACHE[pattern] = compile_phrase(pattern)
    return _CACHE[pattern]


_ANY: dict[tuple[str, ...], re.Pattern[str]] = {}


def _any_of(phrases: list[Phrase]) -> re.Pattern[str]:
    """One pattern matching wherever one of ``phrases`` matches: their alternation, with the
    same word boundaries. At each position it tries every phrase (and every way each can
    match), so its leftmost match starts where the leftmost match of any phrase starts, and
    it finds nothing only where no phrase matches."""
    key = tuple(p.pattern for p in phrases)
    found = _ANY.get(key)
    if found is None:
        found = _ANY[key] = compile_phrase("|".join(f"(?:{p})" for p in key))
    return found


@dataclass(frozen=True)
class Hit:
    """A phrase found in the text: the quote as written and where it was."""

    phrase: Phrase
    quote: str
    start: int
    end: int
    negated_by: str | None = None

    def as_fact(self) -> dict[str, str | int | None]:
        return {
            "indicator": self.phrase.id,
            "category": self.phrase.category,
            "meaning": self.phrase.gloss,
            "quote": self.quote,
            "offset": self.start,
            "negated_by": self.negated_by,
        }


def _blocking_word(folded: str, start: int, words: frozenset[str]) -> str | None:
    """The first of ``words`` among the few words before ``start`` in the same clause."""
    window_start = 0
    for m in _CLAUSE_END.finditer(folded, 0, start):
        window_start = m.end()
    before = _WORD.findall(folded[window_start:start])[-NEGATION_WINDOW:]
    for word in reversed(before):
        if word in words or any(word.endswith(f"'{w}") for w in words):
            return word
        if word.endswith("n't"):
            return word
    return None


def find_phrases(text: str, phrases: list[Phrase]) -> list[Hit]:
    """Every match of ``phrases`` in ``text``, negated ones included (``negated_by`` set),
    in text order; overlapping matches of the same category keep the first and longest."""
    if not text:
        return []
    folded, origin = fold_with_map(text)
    # Most texts hold none of the phrases: one pass of their alternation says so, instead of
    # one pass per phrase; else every phrase is searched from the first place any matches
    # (the look-behind still sees the characters before it).
    first = _any_of(phrases).search(folded)
    if first is None:
        return []
    begin = first.start()
    hits: list[Hit] = []
    for phrase in phrases:
        for m in phrase.compiled().finditer(folded, begin):
            start, end = m.start(), m.end()
            quote = text[origin[start]:origin[end - 1] + 1]
            blocker = _blocking_word(folded, start, NEGATORS)
            if blocker is None and phrase.exclude_before:
                blocker = _blocking_word(folded, start, phrase.exclude_before)
            hits.append(Hit(phrase, quote, origin[start], origin[end - 1] + 1, blocker))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for hit in hits:
        if any(
            k.phrase.category == hit.phrase.category and k.start <= hit.start < k.end
            for k in kept
        ):
            continue
        kept.append(hit)
    return kept
