"""Rubrics of the Official Gazette: FR/NL/DE labels → stable codes, and persons named in text.

The annex "Personnes morales / Rechtspersonen" files each publication under one or more rubrics
("ONTSLAGEN - BENOEMINGEN -  STATUTEN (…)"); entries of the main Gazette (UBO strike-offs,
bankruptcy judgments) appear under the heading "N° BCE" / "KBO NR." / "ZDU NR." and say what
they are in their text line. Codes, most significant first: see :data:`CODES`.
"""

from __future__ import annotations

import re
import unicodedata

# Normalised rubric codes, most significant first (``rubric_code`` is the first one found).
CODES = (
    "bankruptcy",
    "dissolution",
    "struck_off",
    "appointment",
    "resignation",
    "seat_transfer",
    "constitution",
    "name_change",
    "capital",
    "statutes",
    "other",
)
# Keyword (accent-free, upper case) → codes; FR, NL and DE labels of the annex rubrics.
_RUBRIC_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("FAILLITE", ("bankruptcy",)),
    ("FAILLISSEMENT", ("bankruptcy",)),
    ("KONKURS", ("bankruptcy",)),
    ("DISSOLUTION", ("dissolution",)),
    ("LIQUIDAT", ("dissolution",)),
    ("ONTBINDING", ("dissolution",)),
    ("VEREFFEN", ("dissolution",)),
    ("AUFLOSUNG", ("dissolution",)),
    ("RUBRIQUE FIN", ("dissolution",)),
    ("RUBRIEK EINDE", ("dissolution",)),
    ("DEMISSION", ("resignation",)),
    ("ONTSLAG", ("resignation",)),
    ("RUCKTRITT", ("resignation",)),
    ("NOMINATION", ("appointment",)),
    ("BENOEMING", ("appointment",)),
    ("ERNENNUNG", ("appointment",)),
    ("SIEGE SOCIAL", ("seat_transfer",)),
    ("MAATSCHAPPELIJKE ZETEL", ("seat_transfer",)),
    ("GESELLSCHAFTSSITZ", ("seat_transfer",)),
    ("CONSTITUTION", ("constitution",)),
    ("OPRICHTING", ("constitution",)),
    ("GRUNDUNG", ("constitution",)),
    ("DENOMINATION", ("name_change",)),
    ("BENAMING", ("name_change",)),
    ("BEZEICHNUNG", ("name_change",)),
    ("CAPITAL", ("capital",)),
    ("KAPITAAL", ("capital",)),
    ("KAPITAL", ("capital",)),
    ("STATUT", ("statutes",)),
    ("SATZUNG", ("statutes",)),
)
# Entries of the main Gazette shown in the list under the heading "N° BCE" / "KBO NR." /
# "ZDU NR.": their meaning is in the text line (UBO strike-off, bankruptcy judgment…).
_NUMBER_HEADINGS = {"N° BCE", "KBO NR.", "ZDU NR.", "N° BCE.", "KBO NR", "ZDU NR"}
_TEXT_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("FAILLITE", "bankruptcy"),
    ("FAILLISSEMENT", "bankruptcy"),
    ("KONKURS", "bankruptcy"),
    ("RADIATION D'OFFICE", "struck_off"),
    ("AMBTSHALVE DOORHALING", "struck_off"),
    ("STREICHUNG VON AMTS WEGEN", "struck_off"),
    ("DISSOLUTION", "dissolution"),
    ("ONTBINDING", "dissolution"),
    ("AUFLOSUNG", "dissolution"),
)


# "Nomination : DUPONT Jean, gérant, à partir du 01/03/2024." (FR) /
# "Ontslag: PEETERS Jan, zaakvoerder, met ingang van 01/03/2024." (NL) /
# "Ernennung: …, ab dem 01/03/2024." (DE)
_PERSON = re.compile(
    r"(?P<action>Démission|Demission|Nomination|Ontslag|Benoeming|Rücktritt|Ernennung)\s*:\s*"
    r"(?P<name>[^,;:]+?)\s*,\s*(?P<function>[^,;.]+?)"
    r"(?:\s*,\s*(?:à partir du|met ingang van|ab dem)\s*(?P<date>\d{2}/\d{2}/\d{4}))?\s*[.;]",
    re.IGNORECASE,
)
_ACTIONS = {
    "demission": "resignation",
    "ontslag": "resignation",
    "rucktritt": "resignation",
    "nomination": "appointment",
    "benoeming": "appointment",
    "ernennung": "appointment",
}


def _fold(text: str) -> str:
    """Upper case without accents, for keyword tests on labels in three languages."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def rubric_parts(label: str) -> list[str]:
    """Split a combined label on the site's separator ``" -  "`` (dash and two spaces)."""
    parts: list[str] = []
    for piece in re.split(r"\s-\s{2,}", label):
        piece = " ".join(piece.split())
        if parts and re.fullmatch(r"[\d-]+", piece):
            parts[-1] = f"{parts[-1]} - {piece}"  # "ME. - COMPTES … -   87062-2975-011"
        elif piece:
            parts.append(piece)
    return parts


def _has_word(keyword: str, folded: str) -> bool:
    """``keyword`` at the start of a word ("NOMINATION" is not in "DENOMINATION")."""
    return re.search(r"(?<![A-Z])" + re.escape(keyword), folded) is not None


def rubric_codes(label: str, text: str | None = None) -> list[str]:
    """Normalised codes of a rubric label (FR/NL/DE), in :data:`CODES` order.

    The main-Gazette entries headed "N° BCE" / "KBO NR." / "ZDU NR." get their code from the
    text line ("radiation d'office …" → ``struck_off``, "faillite" → ``bankruptcy``).
    """
    folded = _fold(label)
    found: set[str] = set()
    for keyword, codes in _RUBRIC_KEYWORDS:
        if _has_word(keyword, folded):
            found.update(codes)
    if label.strip().upper() in _NUMBER_HEADINGS or not found:
        folded_text = _fold(text or "")
        for keyword, code in _TEXT_KEYWORDS:
            if _has_word(keyword, folded_text):
                found.add(code)
    return [code for code in CODES if code in found] or ["other"]


_NL_WORDS = (
    "ONTSLAG",
    "BENOEMING",
    "STATUTEN",
    "ZETEL",
    "KAPITAAL",
    "DIVERSEN",
    "JAARREKENING",
    "BENAMING",
    "ALGEMENE",
    "RUBRIEK",
    "KBO NR",
    "ONTBINDING",
    "VEREFFEN",
    "DOEL",
    "BOEKJAAR",
    "RECHTSVORM",
    "FAILLISSEMENT",
    "BALANS",
    "REKENING",
)
_DE_WORDS = ("ZDU NR", "SATZUNG", "RUCKTRITT", "ERNENNUNG", "GESELLSCHAFTSSITZ", "KONKURS")
_FR_WORDS = (
    "DEMISSION",
    "NOMINATION",
    "STATUTS",
    "SIEGE",
    "CAPITAL",
    "DIVERS",
    "COMPTES",
    "DENOMINATION",
    "ASSEMBLEE",
    "RUBRIQUE",
    "N° BCE",
    "DISSOLUTION",
    "LIQUIDATION",
    "OBJET",
    "EXERCICE",
    "FORME JURIDIQUE",
    "FAILLITE",
)


def rubric_language(label: str) -> str | None:
    """Language of a rubric label ("ONTSLAGEN - BENOEMINGEN" → "nl"), ``None`` if unknown."""
    folded = _fold(label)
    for language, words in (("de", _DE_WORDS), ("nl", _NL_WORDS), ("fr", _FR_WORDS)):
        if any(word in folded for word in words):
            return language
    return None


def persons_in_text(text: str | None) -> list[dict[str, str | None]]:
    """Persons named in a publication's text line: ``{"name", "action", "function", "date"}``.

    Only the explicit form "Nomination : NAME, function[, à partir du dd/mm/yyyy]." (and its
    NL/DE twins) is read; anything vaguer is left to a human reading the PDF.
    """
    persons = []
    for match in _PERSON.finditer(text or ""):
        action = _ACTIONS[_fold(match.group("action")).lower()]
        day = match.group("date")
        persons.append(
            {
                "name": " ".join(match.group("name").split()),
                "action": action,
                "function": match.group("function").strip(),
                "date": f"{day[6:]}-{day[3:5]}-{day[:2]}" if day else None,
            }
        )
    return persons
