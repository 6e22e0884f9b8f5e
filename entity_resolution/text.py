"""Text folding shared by the normalisers: lower case, no accents, no ligatures.

``fold("Société Générale Œuvres")`` → ``"societe generale oeuvres"``. NFKD decomposition removes
combining accents; letters that do not decompose (ł, ø, đ, ß, æ, œ, ı …) are mapped by hand so
that Polish, Nordic and German names fold the same way on both sides of a comparison.
"""

from __future__ import annotations

import re
import unicodedata

_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
        "ĳ": "ij",
        "Ĳ": "ij",
        "ŀ": "l",
        "Ŀ": "l",
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "‐": "-",
        "‑": "-",
        "–": "-",
        "—": "-",
    }
)
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, accent-free, ligature-free form of ``text`` with single spaces."""
    s = str(text)
    if not s.isprintable():
        # C0 controls (tab, stray separators) become spaces; C1 controls (U+0080–U+009F, the
        # usual mojibake of a lost letter) and other unprintables are dropped.
        s = "".join(
            ch if ch.isprintable() else (" " if ch < "\x20" or ch == "\x7f" else "") for ch in s
        )
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s.translate(_SPECIAL))
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
        s = s.casefold().translate(_SPECIAL)
    else:
        s = s.lower()
    return _SPACES.sub(" ", s).strip()


def fold_key(text: str) -> str:
    """``fold`` with every non-alphanumeric run turned into one space (for name look-ups)."""
    return _SPACES.sub(" ", re.sub(r"[^0-9a-z]+", " ", fold(text))).strip()
