"""What an enterprise's register status and juridical situation mean for the rules.

The KBO/BCE gives every registered entity a *status* (``AC`` active, ``ST`` stopped/struck off)
and a *juridical situation* (code table ``JuridicalSituation``, 3 characters). The public search
pages show only the label ("Situation normale", "Ouverture de faillite", "Vrijwillige ontbinding
– vereffening"…), the Open Data files only the code; an :class:`~storage.models.Employer` may
carry either or both. So the classification below looks at the code first and falls back to
the label's words.

Codes and where they were checked (the full code table is not in the shared data):

- ``000`` Situation normale / Normale toestand, ``001`` Création juridique / Juridische
  oprichting, ``002`` Prorogation / Verlenging — ``realdata/B/kbo_opendata_sample_rows_2025/
  code_excerpt.csv`` (KBO Open Data extract #136).
- ``010`` Ontbinding van rechtswege (dissolution by law), ``012`` Vervroegde ontbinding
  (early/voluntary dissolution – liquidation), ``013`` Gerechtelijke ontbinding (judicial
  dissolution), ``014`` Sluiting vereffening (closure of liquidation) — FPS Economy, "KBO
  datakwaliteit" page (economie.fgov.be, consulted 2025).
- ``050`` Opening faillissement / Ouverture de faillite — public KBO re-use code mappings and the
  ``Employer.juridical_situation`` column documentation ("050 bankruptcy").

Any other code is "not normal"; the label, when present, tells which kind.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

SituationClass = Literal[
    "normal", "bankruptcy", "liquidation", "dissolution", "reorganisation", "other", "unknown"
]

NORMAL_CODES = frozenset({"000", "001", "002"})
CODE_CLASSES: dict[str, SituationClass] = {
    "000": "normal",
    "001": "normal",
    "002": "normal",
    "010": "dissolution",
    "012": "liquidation",
    "013": "dissolution",
    "014": "liquidation",
    "050": "bankruptcy",
}

# Words of the FR/NL/DE/EN labels, accent-folded and lower-cased; first hit wins.
_LABEL_CLASSES: list[tuple[SituationClass, re.Pattern[str]]] = [
    ("bankruptcy", re.compile(r"faillite|faillissement|failliet|bankrupt|konkurs|insolven")),
    ("liquidation", re.compile(r"liquidation|vereffening|liquidatie|abwicklung")),
    ("dissolution", re.compile(r"dissolution|ontbinding|dissolved|auflosung|nullite|nietigheid")),
    (
        "reorganisation",
        re.compile(r"reorganisation|reorganisatie|concordat|akkoord|sursis|opschorting"),
    ),
    (
        "normal",
        re.compile(
            r"situation normale|normale toestand|normal situation|gewohnlicher zustand"
            r"|creation juridique|juridische oprichting|juristische grundung|prorogation"
            r"|verlenging|verlangerung"
        ),
    ),
]

# Situations under which an enterprise should not be recruiting or trading as usual.
SERIOUS_CLASSES = frozenset({"bankruptcy", "liquidation", "dissolution"})

LABELS_EN: dict[str, str] = {
    "normal": "normal situation",
    "bankruptcy": "bankruptcy",
    "liquidation": "liquidation",
    "dissolution": "dissolution",
    "reorganisation": "judicial reorganisation",
    "other": "a non-normal juridical situation",
    "unknown": "unknown juridical situation",
}


def fold(text: str) -> str:
    """Lower-case and strip accents (``Clôture`` → ``cloture``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def classify_situation(code: str | None, label: str | None = None) -> SituationClass:
    """Classify a juridical situation from its KBO code and/or its label (any language).

    A known code decides; an unknown code is "other" unless its label says more; without
    either the situation is "unknown".
    """
    code = (code or "").strip()
    if code.isdigit():
        code = code.zfill(3)
    if code in CODE_CLASSES:
        return CODE_CLASSES[code]
    if label:
        folded = fold(label)
        for klass, pattern in _LABEL_CLASSES:
            if pattern.search(folded):
                return klass
    if code:
        return "other"
    return "unknown" if not label else "other"


_ACTIVE = {"ac", "actif", "actief", "active", "aktiv"}
_STRUCK_OFF = {"st", "arrete", "arretee", "stopgezet", "stopped", "struck off", "radie", "radiee"}


def status_class(status: str | None) -> Literal["active", "struck_off", "unknown"]:
    """``AC``/"Actif"/"Actief" → active; ``ST``/"Arrêté"/"Stopgezet" → struck_off."""
    if not status:
        return "unknown"
    folded = fold(status).strip()
    if folded in _ACTIVE:
        return "active"
    if folded in _STRUCK_OFF:
        return "struck_off"
    return "unknown"


def situation_text(code: str | None, label: str | None) -> str:
    """The situation as the register says it, e.g. ``"Ouverture de faillite" (code 050)``."""
    parts = []
    if label:
        parts.append(f'"{label}"')
    if code:
        parts.append(f"(code {code})")
    if not parts:
        return "(no juridical situation recorded)"
    return " ".join(parts)
