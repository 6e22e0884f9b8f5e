"""Legal-form comparator: two forms agree, succeeded one another (2019 Belgian Companies
Code) or differ (an association against a company counts more than two kinds of company)."""

from __future__ import annotations

from entity_resolution.compare.features import (
    W_LEGAL_FORM_OTHER,
    W_LEGAL_FORM_OTHER_COMPANY,
    W_LEGAL_FORM_SAME,
    Feature,
)
from entity_resolution.names import LegalForm, NormalizedName, is_non_profit, legal_form_relation


def compare_legal_forms(
    query: NormalizedName, entry: NormalizedName, *, source: str = "the ad"
) -> Feature | None:
    """Legal forms of two names: agree (+), succeeded one another (neutral) or differ (−)."""
    return compare_legal_form_values(query.legal_form, entry.legal_form, source=source)


#: compare_legal_form_values by the identity of the two forms and the source (the forms are
#: kept with the answer, so that their ids are not reused while it is remembered).
_FORM_PAIRS: dict[tuple[int, int, str], tuple[LegalForm, LegalForm, Feature | None]] = {}


def compare_legal_form_values(
    a: LegalForm | None, b: LegalForm | None, *, source: str = "the ad"
) -> Feature | None:
    """Two legal forms (query's, register's): agree (+), succeeded one another (neutral) or
    differ (−); None when either is unknown. Remembered (forms are few and the matcher asks
    for every candidate; hashing a form's fields each time would cost more than the
    comparison)."""
    if a is None or b is None:
        return None
    key = (id(a), id(b), source)
    hit = _FORM_PAIRS.get(key)
    if hit is not None and hit[0] is a and hit[1] is b:
        return hit[2]
    found = _compare_legal_forms(a, b, source)
    if len(_FORM_PAIRS) >= 4096:
        _FORM_PAIRS.clear()
    _FORM_PAIRS[key] = (a, b, found)
    return found


def _compare_legal_forms(a: LegalForm, b: LegalForm, source: str) -> Feature | None:
    relation = legal_form_relation(a, b)
    if relation is None or a is None or b is None:
        return None
    if relation == "same":
        if a.abbreviation == b.abbreviation:
            return Feature(
                "legal_form", 1.0, W_LEGAL_FORM_SAME, f"Same legal form: {a.describe()}."
            )
        common = next((c for c in a.elf_codes if c in b.elf_codes), None)
        return Feature(
            "legal_form",
            1.0,
            W_LEGAL_FORM_SAME,
            f"Same legal form: {a.abbreviation} in {source}, {b.abbreviation} in the register"
            + (f" (ELF {common})." if common else "."),
        )
    if relation == "successor":
        return Feature(
            "legal_form_successor",
            1.0,
            0.0,
            f"Legal forms {a.abbreviation} and {b.abbreviation} differ, but one "
            "replaced the other under the 2019 Belgian Companies Code.",
        )
    if is_non_profit(a) or is_non_profit(b):
        return Feature(
            "legal_form_differs",
            1.0,
            W_LEGAL_FORM_OTHER,
            f"Legal forms differ: {a.describe()} vs {b.describe()}; an association and a "
            "company are different kinds of body.",
        )
    return Feature(
        "legal_form_differs",
        1.0,
        W_LEGAL_FORM_OTHER_COMPANY,
        f"Legal forms differ: {a.describe()} vs {b.describe()}; both are companies and the "
        "form is often written loosely, so this counts only a little against.",
    )
