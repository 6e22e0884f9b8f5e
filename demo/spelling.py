"""How ads write a registered name: legal form or not, old vs new form, dots, case, typos, "&".

The register says "Bouwwerken Peeters" (BVBA); ads say "BOUWWERKEN PEETERS BV",
"Bouwwerken Peters b.v.b.a." or "Bouww. Peeters". The matcher has to see through that.
"""

from __future__ import annotations

import random

from demo.vocab import LEGAL_FORMS

# Old (pre-2019 Companies Code) forms and what they became.
NEW_FORM = {"BVBA": "BV", "SPRL": "SRL", "CVBA": "CV", "SCRL": "SC"}
OLD_FORM = {"BV": "BVBA", "SRL": "SPRL"}  # people keep writing the form they knew
ABBREVIATIONS = {
    "Bouwwerken": "Bouww.", "Construction": "Constr.", "Transports": "Transp.",
    "Transport": "Transp.", "Nettoyage": "Nett.", "Schoonmaak": "Schoonm.",
    "Restaurant": "Resto", "Boulangerie": "Boul.", "Bakkerij": "Bakk.", "Rénovation": "Rénov.",
    "Renovatie": "Renov.", "Logistique": "Log.", "Logistiek": "Log.",
}
AMPERSANDS = ((" et ", " & "), (" en ", " & "), (" & ", " et "), (" & ", " en "))


def form_abbreviation(legal_form: str, language: str) -> str:
    form = LEGAL_FORMS[legal_form]
    return form.abbr_nl if language == "nl" else form.abbr_fr


def dotted_form(abbr: str) -> str:
    """"BVBA" -> "B.V.B.A."; mixed-case forms like "CommV" are left alone."""
    if abbr.isupper() and len(abbr) <= 5:
        return ".".join(abbr) + "."
    return abbr


def typo(text: str, rng: random.Random) -> str:
    """One-letter slip inside a word (never the first letter): drop, double or swap."""
    positions = [i for i in range(1, len(text) - 1)
                 if text[i].isalpha() and text[i - 1].isalpha() and text[i + 1].isalpha()]
    if not positions:
        return text
    i = rng.choice(positions)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def abbreviate(name: str) -> str:
    for long, short in ABBREVIATIONS.items():
        if long in name.split():
            return name.replace(long, short, 1)
    return name


def written_name(name: str, legal_form: str, language: str, rng: random.Random,
                 abbreviation: str | None = None) -> str:
    """One plausible way an ad or listing writes a registered employer's name."""
    if abbreviation and rng.random() < 0.08:
        return abbreviation
    base = name
    if rng.random() < 0.15:
        for old, new in AMPERSANDS:
            if old in base:
                base = base.replace(old, new)
                break
    if rng.random() < 0.12:
        base = abbreviate(base)
    if rng.random() < 0.15:
        base = typo(base, rng)
    form = form_abbreviation(legal_form, language)
    roll = rng.random()
    if roll < 0.35:
        written = base  # no legal form
    elif roll < 0.65:
        written = f"{base} {form}"
    elif roll < 0.80:
        other = NEW_FORM.get(form) or OLD_FORM.get(form) or form
        written = f"{base} {other}"  # old form written as the new one, or the reverse
    elif roll < 0.90:
        written = f"{base} {dotted_form(form)}"
    else:
        written = f"{form} {base}"
    case = rng.random()
    if case < 0.10:
        written = written.upper()
    elif case < 0.15:
        written = written.lower()
    return written
