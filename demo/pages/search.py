"""The keyword filter of the demo boards' search pages (``?q=``), as a real board's box.

Words: every word of the query must appear (accents and case ignored) in one of the ad's
searchable texts (title, employer, number, phone, place). Numbers: a query that is a phone or
enterprise number (at least six digits, no letters) matches an ad whose texts contain its last
eight digits, however they are written ("0470 12 34 56", "+32 470 123 456", "BE 0123.456.789").
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces: ``"Éts Dupont-Sàrl"`` →
    ``"ets dupont sarl"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.sub(" ", bare.casefold()).split())


def query_matches(query: str, texts: list[str | None]) -> bool:
    """Whether an ad with these searchable ``texts`` is a hit for ``query``."""
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 6 and not re.search(r"[^\W\d_]", query):
        tail = digits[-8:]
        return any(tail in re.sub(r"\D", "", t) for t in texts if t)
    words = fold(query).split()
    if not words:
        return True
    haystack = " " + " ".join(fold(t) for t in texts if t) + " "
    return all(f" {w}" in haystack for w in words)
