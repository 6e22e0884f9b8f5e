"""Rule ``domiciliation`` (network) — an advertising enterprise whose seat is an address that
hosts many enterprises (domiciliation office or letterbox).

Risk served (MISSION.md, risk 2 "fictitious employers" and risk 1 "bankruptcy carousels"):
shell and phoenix companies rent a seat at a domiciliation address — a letterbox shared by
dozens of enterprises — so that nobody can be found there; inspectors cannot visit a work place
that does not exist.

Data needed: register seats — ``Employer.street`` + ``Employer.postcode`` and the
:class:`~storage.models.Address` rows (kind ``seat``; from register pages and imports); the
enterprises' status (only active ones are counted); firm matches of ads, listings and websites
(:mod:`signals.firm_matches`, judgements applied) to find the enterprises that are actually
active on the web; NACE codes for the sector.

Why it fires: an address (street folded — case, accents, punctuation and box numbers removed —
plus postcode) is the seat of at least :data:`MIN_ENTERPRISES` active enterprises, and one of
them has firmly matched ads, listings or a website. Severity: **low** with
:data:`MIN_ENTERPRISES`–:data:`MANY_ENTERPRISES` − 1 enterprises, **medium** from
:data:`MANY_ENTERPRISES`; one step higher when the enterprise is not an ONSS employer while
advertising, or in a high-risk sector by its NACE codes. One signal per enterprise.

Known false positives: business centres, accountants' and lawyers' offices that legitimately
domicile client companies (domiciliation is lawful); large office towers and shopping centres
where many real firms sit; a group's holding and its subsidiaries at one head office; street
spellings that differ between sources split an address (under-counting, never over-counting).
"""

from __future__ import annotations

import re
from collections import defaultdict

from sqlmodel import Session, col, select

from signals.base import EvidenceRef, Finding, describe_employer, raise_severity
from signals.firm_matches import firm_matches
from signals.register_status import classify_situation, fold, status_class
from signals.sectors import describe_hits, nace_hits
from storage.models import Address, Employer

RULE = "domiciliation"
SEVERITY = "medium"
VERSION = "1"
DESCRIPTION = (
    "Advertising enterprise whose seat is shared by many enterprises (domiciliation / "
    "letterbox address)."
)
RISK = "2. Fictitious employers (letterbox companies); 1. Bankruptcy carousels"

KINDS = ("job_ad", "listing", "website")
MIN_ENTERPRISES = 5
MANY_ENTERPRISES = 10
_BOX = re.compile(r"\b(?:bte|boite|bus|box|bt)\.? ?\w+$")


def address_key(street: str | None, postcode: str | None) -> str | None:
    """``"Avenue Louise 54, bte 3"`` + ``1050`` → ``"1050|avenue louise 54"``."""
    if not street or not postcode:
        return None
    text = fold(street)
    text = re.sub(r"[^\w]+", " ", text).strip()
    text = _BOX.sub("", text).strip()
    text = re.sub(r"\s+", " ", text)
    return f"{str(postcode).strip()}|{text}" if text else None


def _active(employer: Employer) -> bool:
    situation = classify_situation(employer.juridical_situation, employer.juridical_situation_label)
    return status_class(employer.status) != "struck_off" and situation in ("normal", "unknown")


def evaluate_network(session: Session) -> list[Finding]:
    matches = firm_matches(session, KINDS)
    advertisers: dict[int, list[EvidenceRef]] = defaultdict(list)
    for fm in matches.values():
        if fm.employer.id is not None:
            advertisers[fm.employer.id].append(
                (fm.record.id, fm.record.last_capture_id or fm.record.capture_id))
    if not advertisers:
        return []
    residents: dict[str, set[int]] = defaultdict(set)
    shown: dict[str, str] = {}
    employers: dict[int, Employer] = {}
    for e in session.exec(select(Employer).where(col(Employer.street).is_not(None))):
        key = address_key(e.street, e.postcode)
        if key and e.id is not None and _active(e):
            residents[key].add(e.id)
            shown.setdefault(key, f"{e.street}, {e.postcode} {e.municipality or ''}".strip())
            employers[e.id] = e
    for a in session.exec(select(Address).where(Address.kind == "seat")):
        key = address_key(a.street, a.postcode)
        if key and a.employer_id not in residents[key]:
            e = employers.get(a.employer_id) or session.get(Employer, a.employer_id)
            if e is not None and e.id is not None and _active(e):
                residents[key].add(e.id)
                shown.setdefault(key, f"{a.street}, {a.postcode} {a.municipality or ''}".strip())
                employers[e.id] = e
    findings: list[Finding] = []
    for key, ids in sorted(residents.items()):
        if len(ids) < MIN_ENTERPRISES:
            continue
        for employer_id in sorted(ids & set(advertisers)):
            findings.append(_finding(employers[employer_id], shown[key], key,
                                     [employers[i] for i in sorted(ids)],
                                     advertisers[employer_id]))
    return findings


def _finding(employer: Employer, where: str, key: str, residents: list[Employer],
             evidence: list[EvidenceRef]) -> Finding:
    count = len(residents)
    severity = "medium" if count >= MANY_ENTERPRISES else "low"
    sectors = nace_hits(employer)
    if not employer.onss_employer or sectors:
        severity = raise_severity(severity)
    others = [e for e in residents if e.id != employer.id]
    named = "; ".join(describe_employer(e) for e in others[:8])
    more = f" and {len(others) - 8} more" if len(others) > 8 else ""
    rationale = (
        f"{describe_employer(employer)} has its registered seat at {where}, the seat of "
        f"{count} active enterprises according to the register: {named}{more}. "
        f"It is active on the web ({len(evidence)} ad(s), listing(s) or site(s) matched to it). "
        "A seat shared by this many enterprises is typically a domiciliation office: the work "
        "place must be found elsewhere."
        + ("" if employer.onss_employer else
           ' It does not have the quality "Employeur ONSS" in the register.')
        + (f" High-risk sector: {describe_hits(sectors)}." if sectors else "")
    )
    support: list[EvidenceRef] = [(None, e.capture_id) for e in residents[:20] if e.capture_id]
    facts = {
        "enterprise_number": employer.enterprise_number,
        "name": employer.name,
        "address": where,
        "address_key": key,
        "enterprises_at_address": count,
        "others": [{"enterprise_number": e.enterprise_number, "name": e.name} for e in others],
        "records_matched": len(evidence),
        "onss_employer": employer.onss_employer,
        "sectors": [h.as_fact() for h in sectors],
    }
    return Finding(
        rule=RULE,
        severity=severity,
        title=f"{employer.name}: seat shared with {count - 1} other enterprises ({where})",
        rationale=rationale,
        subject_type="employer",
        subject_key=employer.enterprise_number or f"employer-id:{employer.id}",
        employer_id=employer.id,
        district=employer.district,
        facts=facts,
        evidence=evidence,
        support=support,
        version=VERSION,
    )
