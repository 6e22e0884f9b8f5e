"""Other readings of a name: a garbled legal form, a garbled "and", initials spelling an
acronym, and the whole name mistyped word for word (:func:`_mistyped`). A reading counts at
most ``GARBLED_CAP``: it is a reading, not what is written."""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from entity_resolution.compare.name_profile import (
    ACRONYM_ONLY_BELOW,
    GARBLED_CAP,
    MISTYPED_LETTERS_PER_EDIT,
    MISTYPED_MIN_WORD,
    MISTYPED_WORD_SHARE,
    NameProfile,
)
from entity_resolution.compare.words import COUNTRY_WORDS, GENERIC_WORDS, token_weight
from entity_resolution.names import legal_form_relation

_AND = ("and", "und")


def _readings(
    a: NameProfile, b: NameProfile, plain_score: float
) -> list[tuple[NameProfile, str, str]]:
    """``a`` read with one garbled small word put right, given ``b``: (reading, the word,
    what it is read as). Acronyms are tried only for names that otherwise barely compare
    (``plain_score`` below ``ACRONYM_ONLY_BELOW``)."""
    out: list[tuple[NameProfile, str, str]] = []
    word = None
    if a.form is None and b.form is not None and len(a.tokens) >= 2:
        word = _garbled_form(a, b)
    if word is not None and b.form is not None:
        n = len(a.tokens) - 1
        read = NameProfile(
            a.tokens[:n], a.weights[:n], sum(a.weights[:n]), "".join(a.tokens[:n]), b.form
        )
        out.append((read, word, f"the legal form {b.form.abbreviation}"))
    acronym = (
        _acronym_run(a, b) if plain_score < ACRONYM_ONLY_BELOW and len(a.tokens) >= 3 else None
    )
    if acronym is not None:
        start, end, letters = acronym
        tokens = (*a.tokens[:start], letters, *a.tokens[end:])
        weights = (*a.weights[:start], 1.0, *a.weights[end:])
        read = NameProfile(tokens, weights, sum(weights), "".join(tokens), a.form, a.joined)
        out.append((read, " ".join(a.tokens[start:end]), f"its initials '{letters.upper()}'"))
    if b.joined and not a.joined and len(a.tokens) >= 3:
        for k in range(1, len(a.tokens) - 1):
            token = a.tokens[k]
            if (
                len(token) == 3
                and token not in b.tokens
                and any(Levenshtein.distance(token, c, score_cutoff=1) <= 1 for c in _AND)
            ):
                tokens = a.tokens[:k] + a.tokens[k + 1 :]
                weights = a.weights[:k] + a.weights[k + 1 :]
                read = NameProfile(tokens, weights, sum(weights), "".join(tokens), a.form, True)
                out.append((read, token, "'and'"))
                break
    return out


def _acronym_run(a: NameProfile, b: NameProfile) -> tuple[int, int, str] | None:
    """A run of at least three words of ``a`` whose initials spell a word of ``b`` that ``a``
    does not have ("International Business Machine" / "IBM"): (start, end, the word)."""
    if len(a.tokens) < 3:
        return None
    words = [t for t in b.tokens if 3 <= len(t) <= 6 and t.isalpha() and t not in a.tokens]
    if not words:
        return None
    initials = "".join(t[0] for t in a.tokens)
    for word in words:
        start = initials.find(word)
        if start >= 0:
            return start, start + len(word), word
    return None


def _garbled_form(a: NameProfile, b: NameProfile) -> str | None:
    """``a``'s last word, when ``a`` has no legal form, ``b`` has a short one (an
    abbreviation) and the word is one typo from it, or two when both are short and alike
    (same first letter, or only letters of the form: "lr" for "ltd", "cl" for "llc"); the
    word must not be one of ``b``'s words."""
    if a.form is not None or b.form is None or len(a.tokens) < 2:
        return None
    word, key = a.tokens[-1], b.form.key
    if not 2 <= len(word) <= len(key) + 1 or len(key) > 5 or word in b.tokens:
        return None
    distance = Levenshtein.distance(word, key, score_cutoff=2)
    alike = word[0] == key[0] or set(word) <= set(key)
    if distance <= 1 or (distance == 2 and len(word) <= 3 and len(key) >= 3 and alike):
        return word
    return None


def _mistyped(query: NameProfile, entry: NameProfile) -> tuple[float, int, int] | None:
    """The two names read as one name mistyped, word for word: ``(score, letters struck
    wrong, letters)``, or None.

    Typing and OCR noise changes letters, not the shape of a name: the words stay as many,
    in the same order, each as long (give or take one letter). When two names keep that
    shape with most letters in place, the changed letters are read as typos ("Mitlhell
    GrWup" / "Mitchell Group") instead of each word being scored on its own. It needs:

    - at most one letter in five of the whole name struck wrong
      (``MISTYPED_LETTERS_PER_EDIT``) and, in each word, one in five (the standard of a
      typo; words of four letters or less never change a letter: "Maes" is not "Maas");
    - two in five of a word (``MISTYPED_WORD_SHARE``) only where the word is plainly
      garbled — it mixes digits into letters ("Kessler-4fsco"), or it is no common word
      and stands where the other name has one ("Ratke GroqX" / "Ratke Group") — or where
      two other distinctive words agree ("Swzer, Harris and Limtel");
    - a distinctive word that agrees to within one letter in five (common words alone
      never make a reading); two different common words are two words, not a typo
      ("Centrum" / "Centre"); numbers never change;
    - for a one-word name, the same legal form (or its successor) on both sides, as the
      agreeing second clue; legal forms of different kinds never.

    The score counts a letter struck wrong as one edit over the letters of both names (not
    as a letter dropped plus one added), capped at ``GARBLED_CAP``."""
    q, r = query.tokens, entry.tokens
    # each word may gain or lose one letter: a cheap test that rejects most pairs
    if len(q) != len(r) or not q or abs(len(query.compact) - len(entry.compact)) > len(q):
        return None
    if len(q) == 1 and (query.form is None or entry.form is None):
        return None
    edits = letters = both = anchors = 0
    loose = 0  # words with more than one letter in five struck wrong
    for i, (a, b) in enumerate(zip(q, r, strict=True)):
        longest = max(len(a), len(b))
        letters += longest
        both += len(a) + len(b)
        distinctive = query.weights[i] == 1.0 and entry.weights[i] == 1.0
        if a == b:
            anchors += distinctive
            continue
        if (
            abs(len(a) - len(b)) > 1
            or min(len(a), len(b)) < MISTYPED_MIN_WORD
            or longest <= MISTYPED_MIN_WORD
            or a.isdigit()
            or b.isdigit()
            or (_known_word(a) and _known_word(b))
        ):
            return None
        limit = int(longest * MISTYPED_WORD_SHARE)
        d = Levenshtein.distance(a, b, score_cutoff=limit)
        if d > limit:
            return None
        if d * MISTYPED_LETTERS_PER_EDIT <= longest:  # a typo: the word agrees
            anchors += distinctive
        elif not _garbled_word(a, b):
            loose += 1
        edits += d
    if not edits or not anchors or edits * MISTYPED_LETTERS_PER_EDIT > letters:
        return None
    if loose and (loose > 1 or anchors < 2):
        return None
    relation = legal_form_relation(query.form, entry.form)
    if relation == "different" or (len(q) == 1 and relation not in ("same", "successor")):
        return None
    return min(GARBLED_CAP, 1.0 - edits / both), edits, letters


def _known_word(word: str) -> bool:
    """A word of the vocabulary of company names (common, place or country word, article)."""
    return token_weight(word) != 1.0 or word in COUNTRY_WORDS


def _garbled_word(a: str, b: str) -> bool:
    """One of two words is plainly garbled: it mixes digits into letters, or it is no
    common word and the other is one of five letters or more ("groqx" for "group")."""
    for x, y in ((a, b), (b, a)):
        if not x.isalpha() and any(c.isalpha() for c in x):
            return True
        if len(y) >= 5 and y in GENERIC_WORDS and not _known_word(x):
            return True
    return False
