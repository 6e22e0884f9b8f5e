"""Rule ``below_minimum_wage`` — a job ad offers pay below the Belgian guaranteed minimum wage.

Risk served (MISSION.md, risk 4 "Economic exploitation and trafficking": "wages far below the
legal minimum"; also risk 2, undeclared work, when the pay is offered in cash).

Data needed: the ad's salary as parsed by :func:`signals.wages.wage_from_fields` (structured
``salary_min``/``salary_max``/``salary_unit``/``salary_currency`` from schema.org
``baseSalary``, else the free text ``salary_text``: hourly, daily, weekly, monthly or yearly,
converted at 38 h/week); the posting date (``raw["date_posted"]``, else the capture time) to
pick the minimum in force that day from ``signals/data/minimum_wage.json`` (RMMMG / GGMMI,
CCT n° 43, with the day each figure applies from and its source); the ad's text for cash-pay
wording and for student/youth wording; the matched employer's NACE codes and the ad's wording
for the sector (:mod:`signals.sectors`).

Why it fires: even the highest pay offered, per hour in EUR, is below the hourly minimum in
force on the posting date. Severity: **medium**; **high** when it is under 75 % of the
minimum or the ad also says the pay is in cash / undeclared; one step lower when the period
(hour/month) had to be inferred from the amount or the ad is aimed at students or minors
(legal youth minimums are lower); one step higher in a high-risk sector.
The rationale gives the amount as written, the hourly figure, the minimum and its source.

Known false positives: student jobs and workers under 18 (CCT 50 youth rates from 67 %; a
16-year-old's legal minimum is EUR 8.59/h), apprentices and trainees (not employees); sector
scales never go below the RMMMG, so a sector minimum is not a false positive; net pay read as
gross (net is lower, so a net figure slightly under the gross minimum can be legal); piece-rate
or tip-based pay with a small fixed part; amounts in another currency are never compared; a
typo in the ad ("1,400" meant as a monthly EUR 1.400 part-time pay for 20 h/week — part-time
monthly pay is not converted to the hours worked, as the ad rarely states them).
"""

from __future__ import annotations

import re
from datetime import date

from signals.base import (
    Finding,
    RecordContext,
    describe_capture,
    describe_employer,
    lower_severity,
    raise_severity,
    record_district,
    record_seen_at,
    record_title,
)
from signals.minimum_wage import lowest_youth_hourly, minimum_on
from signals.phrases import find_phrases
from signals.register_status import fold
from signals.rules.exploitation_wording import PHRASES as EXPLOITATION_PHRASES
from signals.sectors import describe_hits, sector_hits
from signals.wages import FAR_BELOW_RATIO, Wage, wage_from_fields

RULE = "below_minimum_wage"
SEVERITY = "medium"
VERSION = "1"
DESCRIPTION = (
    "Job ad offering pay below the Belgian guaranteed minimum wage (RMMMG) in force on the "
    "posting date."
)
RISK = "4. Economic exploitation and trafficking (wages below the legal minimum)"

CASH_PHRASES = [p for p in EXPLOITATION_PHRASES if p.category == "cash"]
_YOUTH = re.compile(
    r"\b(?:etudiants?|etudiante?s?|student(?:en|in)?s?|jobistes?|jobstudent(?:en)?|stagiaires?"
    r"|stage|apprenti(?:e)?s?|leerling(?:en)?|stagiair(?:s|es)?|minderjarig(?:en)?"
    r"|mineurs?|1[5-7] (?:ans|jaar|years))\b"
)


def _posting_day(ctx: RecordContext) -> date | None:
    raw = ctx.record.raw or {}
    text = str(raw.get("date_posted") or "")[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        seen = record_seen_at(ctx)
        return seen.date() if seen is not None else None


def _text(ctx: RecordContext) -> str:
    raw = ctx.record.raw or {}
    parts = [(ctx.record.normalized or {}).get("text") or ctx.record.title,
             raw.get("description"), raw.get("salary_text")]
    return " \n".join(str(p) for p in parts if p)


def evaluate(ctx: RecordContext) -> list[Finding]:
    record = ctx.record
    if record.kind != "job_ad":
        return []
    wage: Wage | None = wage_from_fields(record.raw or {})
    if wage is None or wage.hourly_max_eur is None:
        return []
    day = _posting_day(ctx)
    minimum = minimum_on(day)
    if wage.hourly_max_eur >= minimum.hourly_eur:
        return []
    text = _text(ctx)
    cash = [h for h in find_phrases(text, CASH_PHRASES) if h.negated_by is None]
    youth = _YOUTH.search(fold(text))
    employer = ctx.matched_employer
    sectors = sector_hits(record, employer)
    ratio = wage.hourly_max_eur / minimum.hourly_eur
    severity = "high" if ratio < FAR_BELOW_RATIO or cash else "medium"
    if wage.unit_inferred:
        severity = lower_severity(severity)
    if youth:
        severity = lower_severity(severity)
    if sectors:
        severity = raise_severity(severity)

    sentences = [
        f'The job ad "{record_title(record)}" seen at {describe_capture(ctx.capture, record.url)}'
        + (f", posted {day.isoformat()}" if day else "")
        + (f', by "{record.employer_name}"' if record.employer_name else "")
        + (f", matched to {describe_employer(employer)}" if employer is not None else "")
        + f", offers {wage.describe()}, i.e. at most EUR {wage.hourly_max_eur:.2f} per hour "
        f"({ratio:.0%} of the minimum).",
        f"The Belgian guaranteed minimum for a worker aged 18 or more on that date is "
        f"{minimum.describe()}.",
    ]
    if cash:
        sentences.append(
            "The ad also says the pay is in cash: "
            + "; ".join(f'"{h.quote}"' for h in cash) + "."
        )
    if youth:
        sentences.append(
            f'The ad mentions "{youth.group(0)}": lower legal youth/student minimums may apply '
            f"(down to EUR {lowest_youth_hourly():.2f}/h for a 16-year-old)."
        )
    if wage.unit_inferred:
        sentences.append("The pay period was not written and was inferred from the amount.")
    if sectors:
        sentences.append(f"High-risk sector: {describe_hits(sectors)}.")
    sentences.append("Check the pay actually declared (DmfA) for this employer's workers.")
    facts = {
        "title": record_title(record),
        "url": record.url,
        "date_posted": day,
        "wage": wage.as_facts(),
        "hourly_max_eur": wage.hourly_max_eur,
        "minimum_hourly_eur": minimum.hourly_eur,
        "minimum_monthly_eur": minimum.monthly_eur,
        "minimum_valid_from": minimum.valid_from,
        "minimum_source": minimum.source,
        "ratio_to_minimum": round(ratio, 4),
        "cash_wording": [h.quote for h in cash],
        "youth_wording": youth.group(0) if youth else None,
        "sectors": [h.as_fact() for h in sectors],
        "enterprise_number": employer.enterprise_number if employer is not None else None,
    }
    return [
        Finding(
            rule=RULE,
            severity=severity,
            title=f"Pay below the legal minimum ({wage.hourly_max_eur:.2f} EUR/h) — "
            f'"{record_title(record)[:80]}"',
            rationale=" ".join(sentences),
            subject_type="record",
            subject_key=record.fingerprint,
            employer_id=employer.id if employer is not None else None,
            district=record_district(ctx),
            facts=facts,
            evidence=ctx.sighting(),
            support=ctx.register_support() if employer is not None else [],
            version=VERSION,
            seen_at=record_seen_at(ctx),
        )
    ]
