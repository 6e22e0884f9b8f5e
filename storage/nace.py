"""NACE Rev. 2 sections (A–U) and the two-digit divisions each covers (Eurostat).

Pure data, imported by the models (to file a signal under its employer's sections when it is
written) and by the queue (the sector filter's labels).
"""

from __future__ import annotations

from collections.abc import Iterable

NACE_SECTIONS: dict[str, tuple[str, tuple[int, int]]] = {
    "A": ("Agriculture, forestry and fishing", (1, 3)),
    "B": ("Mining and quarrying", (5, 9)),
    "C": ("Manufacturing", (10, 33)),
    "D": ("Electricity, gas, steam", (35, 35)),
    "E": ("Water supply, waste", (36, 39)),
    "F": ("Construction", (41, 43)),
    "G": ("Wholesale and retail trade, repair of vehicles", (45, 47)),
    "H": ("Transportation and storage", (49, 53)),
    "I": ("Accommodation and food service", (55, 56)),
    "J": ("Information and communication", (58, 63)),
    "K": ("Financial and insurance", (64, 66)),
    "L": ("Real estate", (68, 68)),
    "M": ("Professional, scientific and technical", (69, 75)),
    "N": ("Administrative and support services (incl. cleaning, temp work)", (77, 82)),
    "O": ("Public administration", (84, 84)),
    "P": ("Education", (85, 85)),
    "Q": ("Health and social work", (86, 88)),
    "R": ("Arts, entertainment and recreation", (90, 93)),
    "S": ("Other services (incl. personal services)", (94, 96)),
    "T": ("Households as employers", (97, 98)),
    "U": ("Extraterritorial organisations", (99, 99)),
}
_SECTION_OF_DIVISION = {division: letter
                        for letter, (_, (low, high)) in NACE_SECTIONS.items()
                        for division in range(low, high + 1)}


def section_of(code: str) -> str | None:
    """The section of a NACE(-BEL) code given as digits (``"81210"`` → ``"N"``); ``None``
    for a code that is not digits or whose division is not in NACE Rev. 2."""
    digits = str(code).strip().replace(".", "")
    if len(digits) < 2 or not digits[:2].isdigit():
        return None
    return _SECTION_OF_DIVISION.get(int(digits[:2]))


def sections_of(codes: Iterable[str] | None) -> list[str]:
    """The distinct sections of a list of codes, sorted (unknown codes are left out)."""
    return sorted({s for s in (section_of(c) for c in codes or ()) if s is not None})
