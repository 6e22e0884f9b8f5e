"""Rule ``shared_contact_bankrupt`` (network) — an ad, listing or website uses the phone number,
e-mail address or website of a bankrupt enterprise.

Risk served (MISSION.md, risk 1 "Unpaid contributions / bankruptcy carousels"): a phoenix
company takes over the business of a bankrupt one — same customers, same phone line, same
site — under a new enterprise number, leaving the social debts behind. Contact details that
survive the bankruptcy tie the new activity to the old enterprise.

Data needed: bankrupt enterprises — :class:`~storage.models.Employer` rows whose juridical
situation is bankruptcy (code 050 or label, :mod:`signals.register_status`) and enterprises
named by Official Gazette publications (``Record.kind == "gazette"``) whose
``normalized["rubric_codes"]`` contain ``"bankruptcy"``; their contacts from the register
(``Employer.phone`` / ``email`` / ``website``) and from their register-page records
(``normalized["phone_e164"]`` / ``["emails"]``). The contacts of job ads, listings and company
websites: ``Record.phone``, ``normalized["phone_e164"|"phones"|"emails"|"website"]``,
``raw["employer_url"]``. Firm matches (judgements applied, :mod:`signals.firm_matches`).

Why it fires: a record shares at least one phone (E.164), e-mail address or website domain with
a bankrupt enterprise and is not itself tied to that enterprise (that case is
``inactive_enterprise``). Severity: **high** when two kinds of contact are shared or the record
is firmly matched to another, active enterprise (the successor pattern); **medium** otherwise.
Contacts shared by more than :data:`MAX_OWNERS` bankrupt enterprises (an accountant's or a
curator's line) are ignored. One signal per (record, bankrupt enterprise).

Known false positives: the curator's or the buyer's legitimate takeover of the business (a
sale of the going concern by the curator is lawful: check the Gazette); recycled phone numbers
re-assigned by the operator years later; shared switchboards of business centres; generic
domains are never compared (only the enterprise's own website domain and full e-mail
addresses). Version 2: a website on a shared site is its page (``facebook.com/bouwpeeters``,
:func:`entity_resolution.identifiers.site_key`), and a job board's or a network's own address
is no contact; before, every record showing a Facebook page shared the "website" facebook.com
with every bankrupt enterprise that had one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from entity_resolution.identifiers import normalize_email, normalize_phone, site_key
from signals.base import EvidenceRef, Finding, describe_employer, fmt_number
from signals.firm_matches import CHUNK, firm_matches, load_by_id
from signals.register_status import NORMAL_CODES, classify_situation, status_class
from storage.models import Capture, Employer, Record

RULE = "shared_contact_bankrupt"
SEVERITY = "high"
VERSION = "2"
DESCRIPTION = (
    "Ad, listing or website using the phone, e-mail or website of a bankrupt enterprise "
    "(possible phoenix company)."
)
RISK = "1. Unpaid contributions / bankruptcy carousels"

KINDS = ("job_ad", "listing", "website")
MAX_OWNERS = 3
FREE_MAIL = frozenset({"gmail.com", "hotmail.com", "outlook.com", "yahoo.com", "live.com",
                       "skynet.be", "telenet.be", "proximus.be", "icloud.com", "msn.com"})


@dataclass
class _Bankrupt:
    number: str
    employer: Employer | None
    name: str
    since: str | None
    sources: list[str] = field(default_factory=list)
    support: list[EvidenceRef] = field(default_factory=list)


def _contacts_of_employer(employer: Employer) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    phone = normalize_phone(employer.phone) if employer.phone else None
    if phone:
        out.add(("phone", phone))
    email = normalize_email(employer.email) if employer.email else None
    if email:
        out.add(("email", email))
    domain = site_key(employer.website) if employer.website else None
    if domain and domain not in FREE_MAIL:
        out.add(("website", domain))
    return out


def _contacts_of_record(record: Record) -> set[tuple[str, str]]:
    norm, raw = record.normalized or {}, record.raw or {}
    return _contacts(record.phone, norm.get("phone_e164"), norm.get("phones"),
                     norm.get("emails"), norm.get("website"), raw.get("employer_url"))


def _contacts(phone: object, phone_e164: object, phones: object, emails: object,
              website: object, employer_url: object) -> set[tuple[str, str]]:
    """The contacts of a record from the fields :func:`_contacts_of_record` reads."""
    out: set[tuple[str, str]] = set()
    for value in [phone, phone_e164, *(phones or [])]:  # type: ignore[misc]
        if value:
            out.add(("phone", str(value)))
    for email in emails or []:  # type: ignore[attr-defined]
        if email:
            out.add(("email", str(email).lower()))
    for url in (website, employer_url):
        domain = site_key(str(url)) if url else None
        if domain and domain not in FREE_MAIL and not domain[0].isdigit():
            out.add(("website", domain))
    return out


_CONTACT_COLUMNS = (
    Record.id, Record.phone, Record.normalized["phone_e164"],  # type: ignore[index]
    Record.normalized["phones"], Record.normalized["emails"],  # type: ignore[index]
    Record.normalized["website"], Record.raw["employer_url"],  # type: ignore[index]
)


def _record_contacts(session: Session) -> Iterator[tuple[int, set[tuple[str, str]]]]:
    """``(record id, contacts)`` of every job ad, listing and website, in id order: only the
    contact fields are read (in SQL), a chunk of records at a time."""
    last = 0
    while True:
        rows = session.exec(
            select(*_CONTACT_COLUMNS)
            .where(col(Record.kind).in_(list(KINDS)), col(Record.id) > last)
            .order_by(col(Record.id)).limit(CHUNK)
        ).all()
        if not rows:
            return
        for record_id, *fields in rows:
            yield record_id, _contacts(*fields)
        last = rows[-1][0]


def _gazette_bankruptcies(session: Session) -> Iterator[tuple]:
    """``(id, enterprise number, rubric codes, publication date, url, capture id)`` of the
    Gazette records, in id order, a chunk at a time."""
    last = 0
    while True:
        rows = session.exec(
            select(Record.id, Record.enterprise_number,
                   Record.normalized["rubric_codes"],  # type: ignore[index]
                   Record.normalized["publication_date"],  # type: ignore[index]
                   Record.url, Record.last_capture_id, Record.capture_id)
            .where(Record.kind == "gazette", col(Record.id) > last)
            .order_by(col(Record.id)).limit(CHUNK)
        ).all()
        if not rows:
            return
        for record_id, number, codes, published, url, last_capture, capture in rows:
            yield record_id, number, codes, published, url, last_capture or capture
        last = rows[-1][0]


def _bankrupts(session: Session) -> dict[str, _Bankrupt]:
    found: dict[str, _Bankrupt] = {}
    rows = session.exec(select(Employer).where(or_(
        col(Employer.juridical_situation).not_in(sorted(NORMAL_CODES)),
        and_(col(Employer.juridical_situation).is_(None),
             col(Employer.juridical_situation_label).is_not(None))))).all()
    for e in rows:
        if e.enterprise_number and classify_situation(
                e.juridical_situation, e.juridical_situation_label) == "bankruptcy":
            found[e.enterprise_number] = _Bankrupt(
                e.enterprise_number, e, e.name,
                e.juridical_situation_date.isoformat() if e.juridical_situation_date else None,
                ["register"], [(None, e.capture_id)] if e.capture_id else [])
    for record_id, number, codes, published, url, capture_id in _gazette_bankruptcies(session):
        if "bankruptcy" not in (codes or []) or not number:
            continue
        entry = found.get(number)
        if entry is None:
            employer = session.exec(select(Employer).where(
                Employer.enterprise_number == number)).first()
            name = session.get(Record, record_id).employer_name if employer is None else None
            entry = found[number] = _Bankrupt(
                number, employer, employer.name if employer else (name or number),
                published, [])
        source = f"Gazette {published or ''} ({url})"
        if source not in entry.sources:
            entry.sources.append(source)
        entry.support.append((record_id, capture_id))
    return found


def evaluate_network(session: Session) -> list[Finding]:
    bankrupts = _bankrupts(session)
    if not bankrupts:
        return []
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for number, b in bankrupts.items():
        if b.employer is not None:
            for contact in _contacts_of_employer(b.employer):
                owners[contact].add(number)
    for rec in session.exec(select(Record).where(
            Record.kind == "register_entry",
            col(Record.enterprise_number).in_(sorted(bankrupts)))):
        for contact in _contacts_of_record(rec):
            owners[contact].add(rec.enterprise_number or "")
    owners = {c: n for c, n in owners.items() if len(n) <= MAX_OWNERS}
    if not owners:
        return []
    sharing: list[tuple[int, dict[str, list[tuple[str, str]]]]] = []
    for record_id, found in _record_contacts(session):
        shared: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for contact in found:
            for number in owners.get(contact, ()):
                shared[number].append(contact)
        if shared:
            sharing.append((record_id, shared))
    if not sharing:
        return []
    ids = [record_id for record_id, _ in sharing]
    firm = firm_matches(session, KINDS, record_ids=ids)
    records = load_by_id(session, Record, ids)
    findings: list[Finding] = []
    for record_id, shared in sharing:
        record: Record = records[record_id]  # type: ignore[assignment]
        match = firm.get(record_id)
        for number, contacts in sorted(shared.items()):
            if number == record.enterprise_number or (
                    match is not None and match.employer.enterprise_number == number):
                continue
            findings.append(_finding(session, record, bankrupts[number], sorted(contacts), match))
    return findings


def _finding(session: Session, record: Record, bankrupt: _Bankrupt,
             contacts: list[tuple[str, str]], match) -> Finding:  # type: ignore[no-untyped-def]
    other = match.employer if match is not None else None
    successor = other is not None and status_class(other.status) != "struck_off" and \
        classify_situation(other.juridical_situation, other.juridical_situation_label) in (
            "normal", "unknown")
    kinds = {k for k, _ in contacts}
    severity = "high" if len(kinds) >= 2 or successor else "medium"
    capture_id = record.last_capture_id or record.capture_id
    capture = session.get(Capture, capture_id) if capture_id else None
    what = {"job_ad": "job ad", "listing": "service listing", "website": "company website"}
    shown = "; ".join(f"{k} {v}" for k, v in contacts)
    sources = ", ".join(bankrupt.sources) or "register"
    since = f" (bankruptcy since {bankrupt.since})" if bankrupt.since else ""
    rationale = (
        f'The {what[record.kind]} "{record.title or record.url}" seen at {record.url}'
        + (f" (capture #{capture.id}, fetched {capture.fetched_at:%Y-%m-%d %H:%M} UTC)"
           if capture is not None else "")
        + (f', by "{record.employer_name}"' if record.employer_name else "")
        + f" gives {shown}. The same contact belongs to {bankrupt.name} "
        f"({fmt_number(bankrupt.number)}), a bankrupt enterprise{since}; sources: {sources}."
        + (f" The record is tied to another, active enterprise: {describe_employer(other)} "
           f"(by {match.method}) — it may continue the bankrupt business." if successor and
           other is not None else "")
        + " Check who runs both and whether the bankrupt enterprise's business was sold by "
        "its curator."
    )
    facts = {
        "record_kind": record.kind,
        "title": record.title,
        "url": record.url,
        "shared_contacts": [{"kind": k, "value": v} for k, v in contacts],
        "bankrupt_enterprise": bankrupt.number,
        "bankrupt_name": bankrupt.name,
        "bankrupt_since": bankrupt.since,
        "bankruptcy_sources": bankrupt.sources,
        "record_enterprise": other.enterprise_number if other is not None else None,
        "successor": successor,
    }
    return Finding(
        rule=RULE,
        severity=severity,
        title=f"Contact of bankrupt {bankrupt.name} used by \"{(record.title or '')[:60]}\"",
        rationale=rationale,
        subject_type="record",
        subject_key=record.fingerprint,
        employer_id=other.id if other is not None else (
            bankrupt.employer.id if bankrupt.employer is not None else None),
        district=record.district,
        facts=facts,
        evidence=[(record.id, capture_id)],
        support=bankrupt.support,
        discriminator=bankrupt.number,
        version=VERSION,
        seen_at=capture.fetched_at if capture is not None else record.last_seen,
    )
