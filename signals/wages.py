"""Read the pay an ad offers and compare it with the Belgian legal minimum.

Ads state pay as structured fields (schema.org ``baseSalary``: min/max/value, ``unitText``
HOUR|DAY|WEEK|MONTH|YEAR, currency) or as free text in any of our languages ("€ 14,50 / heure",
"2.300 EUR bruto per maand", "6,50 euro per uur", "£9 per hour", "cash 6€/h", "€30k per year").
:func:`wage_from_fields` turns either into a :class:`Wage` with an hourly figure in EUR.

The reference is the national guaranteed average minimum monthly income (RMMMG / GGMMI,
collective agreement CCT/CAO n° 43 of the National Labour Council) for workers aged 18 and over:
**€ 2,111.89 gross per month from 1 February 2025**, i.e. **€ 12.8252 per hour at 38 h/week**
(FPS Employment, salairesminimums.be, table for 01/02/2025; Acerta and FEB/VBO notes of February
2025). It was € 2,070.48 from May 2024 to January 2025 (Securex). An ad is "far below" the
minimum when even the highest pay it offers is under :data:`FAR_BELOW_RATIO` (75 %) of it.

Conversions assume the Belgian full-time reference of 38 hours a week: a month is
38 × 52 / 12 = 164.67 h, a year 1,976 h, a day 7.6 h.

Known limits: a net figure is compared with the gross minimum as if it were gross (at the minimum
net is above 90 % of gross, so the 75 % margin still holds); youth (CCT 50, under 18) and student
minimums are lower (67–90 %), so a 16-year-old's legal wage can fall under the threshold;
non-EUR amounts are parsed but never compared (no exchange-rate guessing); an amount without a
unit gets one inferred from its size, and that inference is reported.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from signals.register_status import fold

MINIMUM_MONTHLY_EUR = 2111.89
MINIMUM_HOURLY_EUR = 12.8252
MINIMUM_VALID_FROM = date(2025, 2, 1)
MINIMUM_SOURCE = (
    "RMMMG (CCT n° 43, workers aged 18+), EUR 2,111.89 gross/month = EUR 12.8252/h at 38 h/week, "
    "in force from 2025-02-01 (FPS Employment, salairesminimums.be)"
)
FAR_BELOW_RATIO = 0.75
THRESHOLD_HOURLY_EUR = round(MINIMUM_HOURLY_EUR * FAR_BELOW_RATIO, 4)

HOURS_PER = {"HOUR": 1.0, "DAY": 7.6, "WEEK": 38.0, "MONTH": 38 * 52 / 12, "YEAR": 38 * 52.0}

_UNIT_ALIASES = {
    "HOUR": "HOUR", "H": "HOUR", "HOURLY": "HOUR", "PER_HOUR": "HOUR",
    "DAY": "DAY", "DAILY": "DAY",
    "WEEK": "WEEK", "WEEKLY": "WEEK",
    "MONTH": "MONTH", "MONTHLY": "MONTH",
    "YEAR": "YEAR", "YEARLY": "YEAR", "ANNUAL": "YEAR", "ANNUALLY": "YEAR",
}

_CURRENCIES: list[tuple[str, re.Pattern[str]]] = [
    ("EUR", re.compile(r"€|\beur\b|\beuros?\b")),
    ("GBP", re.compile(r"£|\bgbp\b|\bpounds?\b")),
    ("USD", re.compile(r"\$|\busd\b|\bdollars?\b")),
    ("PLN", re.compile(r"\bpln\b|\bzl\b|\bzloty")),
    ("CHF", re.compile(r"\bchf\b")),
    ("RON", re.compile(r"\bron\b|\blei\b")),
]

# Unit words after accent folding; '/h', '/u' and 'p/u' are the usual hourly shorthands.
_UNITS: list[tuple[str, re.Pattern[str]]] = [
    (
        "HOUR",
        re.compile(
            r"/\s*(?:h|u|hr|hrs|heure|uur|hour|std|stunde)\b|\bp/?u\b|\bper (?:hour|uur|u|heure|"
            r"stunde)\b|\bpar heure\b|\ba l'heure\b|\bl'heure\b|\bde l'heure\b|\bhoraire\b|"
            r"\bhourly\b|\ban hour\b|\buurloon\b|\bstundenlohn\b|\bpro stunde\b|\bper u\b"
        ),
    ),
    (
        "MONTH",
        re.compile(
            r"/\s*(?:mois|maand|month|mo|m|monat)\b|\b(?:par|per|a|pro|le) (?:mois|maand|month|"
            r"monat)\b|\bmensuel(?:le)?s?\b|\bmaandloon\b|\bmaandelijks\b|\bmonthly\b|"
            r"\bmonatlich\b|\bmaand\b|\bmois\b|\bmonth\b|\bp\.?m\.?(?=\s|$)"
        ),
    ),
    (
        "YEAR",
        re.compile(
            r"/\s*(?:an|jaar|year|yr|jahr)\b|\b(?:par|per|a|pro) (?:an|annee|jaar|year|jahr)\b|"
            r"\bannuel(?:le)?s?\b|\bjaarloon\b|\bjaarlijks\b|\bannual(?:ly)?\b|\bjahrlich\b|"
            r"\bp\.?a\.?(?=\s|$)|\bper annum\b|\bjaar\b|\byear\b"
        ),
    ),
    (
        "DAY",
        re.compile(
            r"/\s*(?:jour|j|dag|day|tag)\b|\b(?:par|per|a|pro) (?:jour|journee|dag|day|tag)\b|"
            r"\bdaily\b|\bdagloon\b|\btageslohn\b"
        ),
    ),
    (
        "WEEK",
        re.compile(
            r"/\s*(?:semaine|sem|week|wk|woche)\b|\b(?:par|per|a|pro) (?:semaine|week|woche)\b|"
            r"\bweekly\b|\bhebdomadaire\b|\bweekloon\b|\bwochentlich\b"
        ),
    ),
]

_NET = re.compile(r"\bnet(?:to)?\b|\bnetto\b")
_GROSS = re.compile(r"\bbrut(?:o|to)?\b|\bgross\b")

# A number: thousands groups with '.', ',', space or apostrophe, then an optional decimal part,
# then an optional 'k' (thousands).
_AMOUNT = re.compile(
    r"(?<![\w.,/])(\d{1,3}(?:[.,' \u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,3})?)"
    r"(\s?k\b)?"
)
# Numbers that are not money: hours, percentages, ages, days, dates, "7/7".
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:h\b|u\b|uur|heures?|hours?|hrs?|stunden|%|ans\b|jaar oud|years? old|jours|dagen|days"
    r"|jaar\b|jahre|years?\b|/\s*7|x\b|m2|m²|km|min)"
)
_CURRENCY_AFTER = re.compile(r"\s*(?:€|eur|euro|£|\$|pln|chf|gbp|usd)")
_CURRENCY_ANY = re.compile(r"€|\beur(?:os?)?\b|£|\$")
_CURRENCY_BEFORE = re.compile(r"(?:€|eur|euros?|£|\$|gbp|usd|pln|chf)\s*:?\s*$")
_RANGE_SEP = re.compile(r"^\s*(?:-|–|—|a|à|tot|to|bis|et|and|en)\s*$")


@dataclass(frozen=True)
class Wage:
    """Pay as offered: the amounts as stated, their unit and currency, and hourly EUR figures."""

    amount_min: float
    amount_max: float
    unit: str | None
    currency: str | None
    hourly_min_eur: float | None
    hourly_max_eur: float | None
    basis: str  # gross | net | unspecified
    text: str
    unit_inferred: bool = False
    currency_assumed: bool = False

    def as_facts(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """``EUR 6.00 per hour (stated as "cash 6€/h")``."""
        cur = self.currency or "?"
        amount = (
            f"{cur} {self.amount_min:,.2f}"
            if self.amount_min == self.amount_max
            else f"{cur} {self.amount_min:,.2f}–{self.amount_max:,.2f}"
        )
        unit = (self.unit or "unknown period").lower()
        notes = []
        if self.unit_inferred:
            notes.append("period inferred from the amount")
        if self.currency_assumed:
            notes.append("currency assumed EUR")
        if self.basis == "net":
            notes.append("stated as net")
        extra = f"; {', '.join(notes)}" if notes else ""
        return f'{amount} per {unit} (stated as "{self.text}"{extra})'


def parse_amount(text: str) -> float | None:
    """Read one amount written the Belgian, French, Dutch or English way.

    ``"2.300,00"`` → 2300.0, ``"2,300.00"`` → 2300.0, ``"6,50"`` → 6.5, ``"14.50"`` → 14.5,
    ``"2.300"`` → 2300.0 (a dot or comma followed by exactly three digits groups thousands),
    ``"2 300"`` → 2300.0, ``"30k"`` → 30000.0.
    """
    raw = text.strip().lower().replace("\u00a0", " ").replace("\u202f", " ")
    multiplier = 1.0
    if raw.endswith("k"):
        multiplier, raw = 1000.0, raw[:-1].strip()
    raw = raw.replace(" ", "").replace("'", "").replace("’", "")
    if not raw or not re.fullmatch(r"[\d.,]+", raw) or not raw[0].isdigit():
        return None
    last_dot, last_comma = raw.rfind("."), raw.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal = "." if last_dot > last_comma else ","
        thousands = "," if decimal == "." else "."
        raw = raw.replace(thousands, "").replace(decimal, ".")
    elif last_dot >= 0 or last_comma >= 0:
        sep = "." if last_dot >= 0 else ","
        groups = raw.split(sep)
        if len(groups) > 2 or (len(groups[-1]) == 3 and len(groups[0]) <= 3):
            raw = raw.replace(sep, "")  # thousands separators
        else:
            raw = raw.replace(sep, ".")
    try:
        return float(raw) * multiplier
    except ValueError:
        return None


def _currency(folded: str) -> str | None:
    for code, pattern in _CURRENCIES:
        if pattern.search(folded):
            return code
    return None


def _unit_near(folded: str, after: int) -> str | None:
    """The unit word closest after position ``after``, else the first unit anywhere."""
    best: tuple[int, str] | None = None
    anywhere: tuple[int, str] | None = None
    for unit, pattern in _UNITS:
        for m in pattern.finditer(folded):
            if anywhere is None or m.start() < anywhere[0]:
                anywhere = (m.start(), unit)
            if m.start() >= after and (best is None or m.start() < best[0]):
                best = (m.start(), unit)
    chosen = best or anywhere
    return chosen[1] if chosen else None


def _infer_unit(amount: float) -> str | None:
    if amount < 60:
        return "HOUR"
    if 60 <= amount < 500:
        return "DAY"
    if 500 <= amount <= 8000:
        return "MONTH"
    if amount >= 12000:
        return "YEAR"
    return None


def normalize_unit(unit: str | None) -> str | None:
    """schema.org ``unitText`` (any case) → HOUR|DAY|WEEK|MONTH|YEAR, else ``None``."""
    if not unit:
        return None
    return _UNIT_ALIASES.get(unit.strip().upper().replace(" ", "_"))


def to_hourly_eur(amount: float, unit: str | None, currency: str | None) -> float | None:
    """An amount per ``unit`` in ``currency`` as EUR per hour (``None`` unless EUR)."""
    if unit not in HOURS_PER or currency != "EUR":
        return None
    return round(amount / HOURS_PER[unit], 4)


def _money_amounts(folded: str) -> list[tuple[int, int, float]]:
    """Amounts that look like money; when some sit next to a currency sign, only those."""
    found: list[tuple[int, int, float, bool]] = []
    for m in _AMOUNT.finditer(folded):
        tail = folded[m.end():]
        head = folded[max(0, m.start() - 6):m.start()]
        has_currency = bool(_CURRENCY_AFTER.match(tail) or _CURRENCY_BEFORE.search(head))
        if not has_currency and (_NOT_MONEY_AFTER.match(tail) or re.match(r"\s*/\s*\d", tail)):
            continue  # hours, ages, percentages, "7/7", dates
        value = parse_amount(m.group(1) + (m.group(2) or ""))
        if value is not None and value > 0:
            found.append((m.start(), m.end(), value, has_currency))
    for i in range(len(found) - 1):  # "12 - 14 €/h": the lower bound borrows the currency
        between = _CURRENCY_ANY.sub(" ", folded[found[i][1]:found[i + 1][0]])
        if found[i + 1][3] and not found[i][3] and _RANGE_SEP.match(between):
            found[i] = (*found[i][:3], True)
    if any(item[3] for item in found):
        found = [item for item in found if item[3]]
    return [(start, end, value) for start, end, value, _ in found]


@lru_cache(maxsize=4096)
def parse_salary_text(text: str | None) -> Wage | None:
    """Read a free-text salary ("900 EUR par mois", "€12 - €14 per hour", "cash 6€/h").

    Remembered (the result is frozen): two record rules read the same ad's salary, and a
    board repeats the same salary texts."""
    if not text or not text.strip():
        return None
    folded = fold(text.replace("\u00a0", " ").replace("\u2019", "'"))
    amounts = _money_amounts(folded)
    if not amounts:
        return None
    first = amounts[0]
    low = high = first[2]
    end = first[1]
    if len(amounts) > 1:
        second = amounts[1]
        between = _CURRENCY_ANY.sub(" ", folded[first[1]:second[0]])
        if _RANGE_SEP.match(between) or re.search(r"(?:entre|tussen|between|from|van|de|von)\s*$",
                                                   folded[max(0, first[0] - 10):first[0]]):
            low, high = sorted((first[2], second[2]))
            end = second[1]
    currency = _currency(folded)
    currency_assumed = currency is None
    currency = currency or "EUR"
    unit = _unit_near(folded, end)
    unit_inferred = False
    if unit is None:
        unit = _infer_unit(high)
        unit_inferred = unit is not None
    basis = "net" if _NET.search(folded) else "gross" if _GROSS.search(folded) else "unspecified"
    return Wage(
        amount_min=low,
        amount_max=high,
        unit=unit,
        currency=currency,
        hourly_min_eur=to_hourly_eur(low, unit, currency),
        hourly_max_eur=to_hourly_eur(high, unit, currency),
        basis=basis,
        text=text.strip(),
        unit_inferred=unit_inferred,
        currency_assumed=currency_assumed,
    )


def _field_amount(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return parse_amount(str(value))


def wage_from_fields(fields: dict[str, Any]) -> Wage | None:
    """The wage of a job ad from its raw ``fields``: structured salary first, then the text.

    Structured fields are ``salary_min``, ``salary_max`` (either may be alone),
    ``salary_unit`` (HOUR|DAY|WEEK|MONTH|YEAR) and ``salary_currency``; ``salary_text`` is the
    free text. When the structured amounts lack a unit or currency, the text supplies them.
    """
    text = fields.get("salary_text")
    text = str(text).strip() if text else ""
    from_text = parse_salary_text(text) if text else None
    low, high = _field_amount(fields.get("salary_min")), _field_amount(fields.get("salary_max"))
    if low is None and high is None:
        return from_text
    values = sorted(v for v in (low, high) if v is not None)
    low, high = values[0], values[-1]
    unit = normalize_unit(fields.get("salary_unit"))
    unit_inferred = False
    if unit is None and from_text is not None and not from_text.unit_inferred:
        unit = from_text.unit
    if unit is None:
        unit = _infer_unit(high)
        unit_inferred = unit is not None
    currency_field = fields.get("salary_currency")
    currency = str(currency_field).strip().upper() if currency_field else None
    currency_assumed = False
    if currency is None and from_text is not None and not from_text.currency_assumed:
        currency = from_text.currency
    if currency is None:
        currency, currency_assumed = "EUR", True
    basis = from_text.basis if from_text is not None else "unspecified"
    shown = text or f"{low:g}–{high:g} {currency} per {unit or '?'}"
    return Wage(
        amount_min=low,
        amount_max=high,
        unit=unit,
        currency=currency,
        hourly_min_eur=to_hourly_eur(low, unit, currency),
        hourly_max_eur=to_hourly_eur(high, unit, currency),
        basis=basis,
        text=shown,
        unit_inferred=unit_inferred,
        currency_assumed=currency_assumed,
    )


def far_below_minimum(wage: Wage | None) -> bool:
    """True when even the best pay offered is under 75 % of the hourly legal minimum."""
    return (
        wage is not None
        and wage.hourly_max_eur is not None
        and wage.hourly_max_eur < THRESHOLD_HOURLY_EUR
    )
