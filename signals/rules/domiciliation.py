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
from collections.abc import Iterator

from sqlmodel import Session, col, select

from signals.base import EvidenceRef, Finding, describe_employer, raise_severity
from signals.firm_matches import CHUNK, firm_match_rows, load_by_id
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
    return _is_active(employer.status, employer.juridical_situation,
                      employer.juridical_situation_label)


def _is_active(status: str | None, situation: str | None, label: str | None) -> bool:
    return status_class(status) != "struck_off" and classify_situation(situation, label) in (
        "normal", "unknown")


_SEAT_COLUMNS = (Employer.id, Employer.street, Employer.postcode, Employer.municipality,
                 Employer.status, Employer.juridical_situation,
                 Employer.juridical_situation_label)


def _register_seats(session: Session, ids: list[int] | None = None) -> Iterator[tuple]:
    """``(id, street, postcode, municipality, active)`` of the employers with a street (of
    ``ids`` when given), in id order, a chunk of plain rows at a time."""
    last = 0
    while True:
        query = select(*_SEAT_COLUMNS).where(col(Employer.street).is_not(None),
                                              col(Employer.id) > last)
        if ids is not None:
            query = query.where(col(Employer.id).in_(ids))
        rows = session.exec(query.order_by(col(Employer.id)).limit(CHUNK)).all()
        if not rows:
            return
        for eid, street, postcode, municipality, status, situation, label in rows:
            yield eid, street, postcode, municipality, _is_active(status, situation, label)
        last = rows[-1][0]


def _seat_addresses(session: Session, employer_ids: list[int] | None = None) -> Iterator[tuple]:
    """``(employer id, street, postcode, municipality, active)`` of the ``seat`` addresses (of
    ``employer_ids`` when given), in address id order, a chunk at a time."""
    last = 0
    while True:
        query = (select(Address.id, Address.employer_id, Address.street, Address.postcode,
                        Address.municipality, Employer.status, Employer.juridical_situation,
                        Employer.juridical_situation_label)
                 .join(Employer, col(Employer.id) == Address.employer_id)
                 .where(Address.kind == "seat", col(Address.id) > last))
        if employer_ids is not None:
            query = query.where(col(Address.employer_id).in_(employer_ids))
        rows = session.exec(query.order_by(col(Address.id)).limit(CHUNK)).all()
        if not rows:
            return
        for _, eid, street, postcode, municipality, status, situation, label in rows:
            yield eid, street, postcode, municipality, _is_active(status, situation, label)
        last = rows[-1][0]


def _advertiser_keys(session: Session, advertisers: set[int]) -> set[str]:
    """The seat keys of the active advertisers: only an address among them can fire."""
    keys: set[str] = set()
    ids = sorted(advertisers)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for _, street, postcode, _, active in _register_seats(session, chunk):
            key = address_key(street, postcode)
            if key and active:
                keys.add(key)
        for _, street, postcode, _, active in _seat_addresses(session, chunk):
            key = address_key(street, postcode)
            if key and active:
                keys.add(key)
    return keys


def evaluate_network(session: Session) -> list[Finding]:
    """Stream the firm matches and the register as plain rows; only the addresses where an
    advertiser sits are followed, and only the enterprises of the addresses that fire are
    loaded. Memory does not grow with the register or the number of records."""
    advertisers = {row.employer_id for row in firm_match_rows(session, KINDS)}
    if not advertisers:
        return []
    wanted = _advertiser_keys(session, advertisers)
    residents: dict[str, set[int]] = defaultdict(set)
    shown: dict[str, str] = {}
    for eid, street, postcode, municipality, active in _register_seats(session):
        key = address_key(street, postcode)
        if key in wanted and active:
            residents[key].add(eid)
            shown.setdefault(key, f"{street}, {postcode} {municipality or ''}".strip())
    for eid, street, postcode, municipality, active in _seat_addresses(session):
        key = address_key(street, postcode)
        if key in wanted and eid not in residents[key] and active:
            residents[key].add(eid)
            shown.setdefault(key, f"{street}, {postcode} {municipality or ''}".strip())
    firing = {key: ids for key, ids in residents.items()
              if len(ids) >= MIN_ENTERPRISES and ids & advertisers}
    if not firing:
        return []
    subjects = set().union(*(ids & advertisers for ids in firing.values()))
    evidence: dict[int, list[EvidenceRef]] = defaultdict(list)
    for row in firm_match_rows(session, KINDS):
        if row.employer_id in subjects:
            evidence[row.employer_id].append((row.record_id, row.capture_id))
    employers: dict[int, Employer] = load_by_id(  # type: ignore[assignment]
        session, Employer, set().union(*firing.values()))
    findings: list[Finding] = []
    for key, ids in sorted(firing.items()):
        for employer_id in sorted(ids & advertisers):
            findings.append(_finding(employers[employer_id], shown[key], key,
                                     [employers[i] for i in sorted(ids)],
                                     evidence[employer_id]))
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
