"""Rule ``sector_risk`` — an ad, listing or company site in a high-risk sector.

Risk served (MISSION.md, risk 4 "Economic exploitation and trafficking": hand car washes,
second-hand clothing, night shops, massage parlours, bars, exotic horeca, domestic work (au
pairs, cleaning, care), construction, cleaning, transport, temp work; risk 5 for construction).

Data needed: the matched employer's NACE-BEL codes (``Employer.nace_codes``, from the register)
and the record's own words: a listing's category, the title and description of an ad or
listing (:mod:`signals.sectors` lists the codes and the FR/NL/EN wording per sector).

Why it fires: the register's NACE codes of the firmly matched employer (a match, or a positive
human judgement) or the record's wording place it in one of the sectors of
:data:`signals.sectors.SECTORS`. Severity: **low** — a sector is not a wrong; it is context
that raises the severity of the other rules (``below_minimum_wage``,
``recent_enterprise_many_ads``, ``foreign_no_establishment``, ``domiciliation``) by one step.
One signal per firmly matched employer (each ad or listing adds an occurrence and its
evidence), else one per record; the rationale names the NACE codes and quotes the words.

Known false positives: by design most firms of these sectors are honest; generic words
("restaurant", "nettoyage", "renovation") also occur in ads of other sectors (a hotel
receptionist, a software firm's office cleaning clause); a NACE code describes the
enterprise, not necessarily the advertised job; a company site lists every activity.
"""

from __future__ import annotations

from signals.base import (
    Finding,
    RecordContext,
    describe_capture,
    describe_employer,
    employer_subject_key,
    record_district,
    record_seen_at,
    record_title,
)
from signals.sectors import describe_hits, sector_hits

RULE = "sector_risk"
SEVERITY = "low"
VERSION = "1"
DESCRIPTION = (
    "Ad, listing or site in a high-risk sector (car wash, night shop, massage, cleaning, "
    "construction, au pair, horeca, transport…): context that raises other signals."
)
RISK = "4. Economic exploitation and trafficking (high-risk sectors); 5. Construction (art. 30bis)"

KINDS = ("job_ad", "listing", "website")
WHAT = {"job_ad": "job ad", "listing": "service listing", "website": "company website"}


def evaluate(ctx: RecordContext) -> list[Finding]:
    record = ctx.record
    if record.kind not in KINDS:
        return []
    employer = ctx.matched_employer
    hits = sector_hits(record, employer)
    if not hits:
        return []
    sectors = sorted({h.sector for h in hits})
    rationale = (
        f'The {WHAT[record.kind]} "{record_title(record)}" seen at '
        f"{describe_capture(ctx.capture, record.url)}"
        + (f', by "{record.employer_name}"' if record.employer_name else "")
        + (f", matched to {describe_employer(employer)}" if employer is not None else "")
        + f", is in a high-risk sector: {describe_hits(hits)}. "
        "A sector alone proves nothing; it raises the weight of other signals on this "
        "record or employer."
    )
    facts = {
        "record_kind": record.kind,
        "title": record_title(record),
        "url": record.url,
        "sectors": sectors,
        "hits": [h.as_fact() for h in hits],
        "nace_codes": list(employer.nace_codes or []) if employer is not None else [],
        "enterprise_number": employer.enterprise_number if employer is not None else None,
    }
    return [
        Finding(
            rule=RULE,
            severity=SEVERITY,
            title=f"High-risk sector ({', '.join(sectors)}) — \"{record_title(record)[:80]}\"",
            rationale=rationale,
            subject_type="employer" if employer is not None else "record",
            subject_key=employer_subject_key(employer) if employer is not None
            else record.fingerprint,
            employer_id=employer.id if employer is not None else None,
            district=record_district(ctx),
            facts=facts,
            evidence=ctx.sighting(),
            support=ctx.register_support() if employer is not None else [],
            version=VERSION,
            seen_at=record_seen_at(ctx),
        )
    ]
