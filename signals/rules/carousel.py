"""Rule ``carousel`` (network) — a director of bankrupt enterprises runs an active one.

Risk served (MISSION.md, risk 1 "Unpaid contributions / bankruptcy carousels"): organised
non-payment through companies that go bankrupt one after another, run by the same people
("phoenix" companies). The law itself uses this pattern: a manager involved in two or more
bankruptcies with social debts within five years can be held liable for contributions
(art. 38 §3octies of the law of 29 June 1981; Code of Economic Law XX.225-226).

Data needed: :class:`~storage.models.Person` → :class:`~storage.models.Role` →
:class:`~storage.models.Employer` (functions read from register pages, ``Role.capture_id``);
each employer's status, juridical situation (code or label) and its date, and start date; the
register-page :class:`~storage.models.Record` (kind ``register_entry``) of each enterprise.

Why it fires: a person holds a management function (see :data:`MANAGEMENT_EXCLUDED` for the
functions that do not count) in at least one enterprise whose juridical situation is bankruptcy
(opening or closure, struck off or not) and, currently (no end date), in an enterprise that is
active (status ``AC``) in a normal situation. One finding per (person, active enterprise).
Severity: **high** for a chain (two or more bankrupt enterprises), or for a single bankruptcy
when the active enterprise started less than :data:`SUCCESSOR_WINDOW_DAYS` before the bankruptcy
or any time after it (the successor pattern); **medium** for a single, older bankruptcy.
Roles that ended more than :data:`LOOKBACK_DAYS` before the bankruptcy are not counted.

Known false positives: company doctors and turnaround managers appointed to save failing firms;
namesakes merged into one Person by a too-coarse ``Person.key``; professional directors (holding
companies as directors are filtered out only if they are not stored as persons); a bankruptcy
closed long ago with all debts paid (the rule does not see the Gazette's closing details).
Curators, liquidators and auditors are excluded because they are appointed to (or audit) many
failing enterprises by profession.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from signals.base import EvidenceRef, Finding, fmt_number, fmt_when
from signals.register_status import (
    NORMAL_CODES,
    classify_situation,
    fold,
    situation_text,
    status_class,
)
from storage.models import Employer, Person, Record, Role

RULE = "carousel"
SEVERITY = "high"
VERSION = "1"
DESCRIPTION = (
    "A director of one or more bankrupt enterprises is a director of an active enterprise "
    "(possible bankruptcy carousel / phoenix company)."
)
RISK = "1. Unpaid contributions / bankruptcy carousels"

SUCCESSOR_WINDOW_DAYS = 365
LOOKBACK_DAYS = 365
# Functions held by profession in many failing enterprises: never a carousel by themselves.
MANAGEMENT_EXCLUDED = (
    "commissaire", "commissaris", "reviseur", "revisor", "auditor", "liquidateur", "vereffenaar",
    "liquidator", "curateur", "curator", "mandataire de justice", "gerechtsmandataris",
    "administrateur provisoire", "voorlopig bewindvoerder",
)


@dataclass
class _Seat:
    role: Role
    employer: Employer


def _is_management(function: str | None) -> bool:
    folded = fold(function or "")
    return bool(folded) and not any(word in folded for word in MANAGEMENT_EXCLUDED)


def _is_bankrupt(employer: Employer) -> bool:
    return (
        classify_situation(employer.juridical_situation, employer.juridical_situation_label)
        == "bankruptcy"
    )


def _is_active_normal(employer: Employer) -> bool:
    situation = classify_situation(employer.juridical_situation, employer.juridical_situation_label)
    return status_class(employer.status) == "active" and situation in ("normal", "unknown")


def _counts(seat: _Seat) -> bool:
    """A bankrupt seat counts unless the role ended long before the bankruptcy."""
    end, when = seat.role.end_date, seat.employer.juridical_situation_date
    return end is None or when is None or end >= when - timedelta(days=LOOKBACK_DAYS)


def _register_records(session: Session, numbers: set[str]) -> dict[str, list[Record]]:
    if not numbers:
        return {}
    rows = session.exec(
        select(Record).where(
            Record.kind == "register_entry", col(Record.enterprise_number).in_(sorted(numbers))
        )
    ).all()
    found: dict[str, list[Record]] = defaultdict(list)
    for row in rows:
        found[row.enterprise_number or ""].append(row)
    return found


def _evidence_for(seat: _Seat, records: dict[str, list[Record]]) -> list[EvidenceRef]:
    """The register page(s) the role and the enterprise's status were read from."""
    number = seat.employer.enterprise_number or ""
    captures = [c for c in (seat.role.capture_id, seat.employer.capture_id) if c is not None]
    refs: list[EvidenceRef] = []
    for capture_id in dict.fromkeys(captures):
        same_page = [
            r.id for r in records.get(number, []) if capture_id in (r.capture_id, r.last_capture_id)
        ]
        record_id = same_page[0] if same_page else None
        refs.append((record_id, capture_id))
    if not refs:  # no capture known: link the register record itself
        refs.extend((r.id, r.last_capture_id or r.capture_id) for r in records.get(number, []))
    return refs


def _role_text(seat: _Seat) -> str:
    role = seat.role
    span = ""
    if role.start_date and role.end_date:
        span = f" from {fmt_when(role.start_date)} to {fmt_when(role.end_date)}"
    elif role.start_date:
        span = f" since {fmt_when(role.start_date)}"
    elif role.end_date:
        span = f" until {fmt_when(role.end_date)}"
    return f"{role.function}{span}"


def _bankrupt_text(seat: _Seat) -> str:
    e = seat.employer
    since = f" since {fmt_when(e.juridical_situation_date)}" if e.juridical_situation_date else ""
    struck = ", struck off" if status_class(e.status) == "struck_off" else ""
    return (
        f"{e.name} ({fmt_number(e.enterprise_number)}; "
        f"{situation_text(e.juridical_situation, e.juridical_situation_label)}{since}{struck}; "
        f"{_role_text(seat)})"
    )


def _is_successor(active: Employer, bankrupt: list[_Seat]) -> bool:
    if active.start_date is None:
        return False
    for seat in bankrupt:
        when = seat.employer.juridical_situation_date
        if when is not None and active.start_date >= when - timedelta(days=SUCCESSOR_WINDOW_DAYS):
            return True
    return False


def evaluate_network(session: Session) -> list[Finding]:
    """Scan the register network: one finding per (person, active enterprise)."""
    candidates = session.exec(
        select(Employer).where(
            or_(
                col(Employer.juridical_situation).not_in(sorted(NORMAL_CODES)),
                and_(
                    col(Employer.juridical_situation).is_(None),
                    col(Employer.juridical_situation_label).is_not(None),
                ),
            )
        )
    ).all()
    bankrupt_ids = {e.id for e in candidates if _is_bankrupt(e)}
    if not bankrupt_ids:
        return []
    person_ids = set(
        session.exec(
            select(Role.person_id).where(col(Role.employer_id).in_(sorted(bankrupt_ids)))
        ).all()
    )
    rows = session.exec(
        select(Role, Employer, Person)
        .join(Employer, col(Employer.id) == Role.employer_id)
        .join(Person, col(Person.id) == Role.person_id)
        .where(col(Role.person_id).in_(sorted(person_ids)))
        .order_by(col(Person.key), col(Employer.enterprise_number), col(Role.id))
    ).all()
    seats: dict[int, list[_Seat]] = defaultdict(list)
    people: dict[int, Person] = {}
    for role, employer, person in rows:
        if _is_management(role.function):
            seats[person.id or 0].append(_Seat(role, employer))
            people[person.id or 0] = person
    numbers = {s.employer.enterprise_number for ss in seats.values() for s in ss}
    records = _register_records(session, {n for n in numbers if n})
    today = date.today()

    findings: list[Finding] = []
    for person_id, person_seats in seats.items():
        bankrupt = [s for s in person_seats if _is_bankrupt(s.employer) and _counts(s)]
        bankrupt = list({s.employer.id: s for s in bankrupt}.values())
        active = [
            s
            for s in person_seats
            if _is_active_normal(s.employer)
            and (s.role.end_date is None or s.role.end_date >= today)
        ]
        active = list({s.employer.id: s for s in active}.values())
        if not bankrupt or not active:
            continue
        person = people[person_id]
        bankrupt.sort(key=lambda s: (s.employer.juridical_situation_date or date.min))
        for seat in active:
            findings.append(_finding(person, seat, bankrupt, records))
    return findings


def _finding(
    person: Person, seat: _Seat, bankrupt: list[_Seat], records: dict[str, list[Record]]
) -> Finding:
    active = seat.employer
    chain = len(bankrupt) >= 2
    successor = _is_successor(active, bankrupt)
    severity = "high" if chain or successor else "medium"
    started = f", started {fmt_when(active.start_date)}" if active.start_date else ""
    listing = "; ".join(_bankrupt_text(s) for s in bankrupt)
    rationale = (
        f"{person.name} holds a function in {len(bankrupt)} bankrupt "
        f"enterprise{'s' if chain else ''}: {listing}. "
        f"The same person is {_role_text(seat)} of {active.name} "
        f"({fmt_number(active.enterprise_number)}), which is active in a normal situation"
        f"{started}. "
    )
    if chain:
        rationale += f"This is a chain of {len(bankrupt)} bankruptcies around one person. "
    if successor:
        rationale += (
            "The active enterprise started around or after a bankruptcy: it may continue the "
            "bankrupt business (phoenix pattern). "
        )
    rationale += (
        "Source: the functions and situations on the enterprises' public register pages "
        "(see linked captures). Check social debts of the bankrupt enterprises and the "
        "declarations of the active one."
    )
    evidence: list[EvidenceRef] = []
    for s in [*bankrupt, seat]:
        for ref in _evidence_for(s, records):
            if ref not in evidence:
                evidence.append(ref)
    facts = {
        "person": person.name,
        "person_key": person.key,
        "active_enterprise": {
            "name": active.name,
            "enterprise_number": active.enterprise_number,
            "start_date": active.start_date,
            "function": seat.role.function,
            "role_start": seat.role.start_date,
        },
        "bankrupt_enterprises": [
            {
                "name": s.employer.name,
                "enterprise_number": s.employer.enterprise_number,
                "juridical_situation": s.employer.juridical_situation,
                "juridical_situation_label": s.employer.juridical_situation_label,
                "since": s.employer.juridical_situation_date,
                "status": s.employer.status,
                "function": s.role.function,
                "role_start": s.role.start_date,
                "role_end": s.role.end_date,
            }
            for s in bankrupt
        ],
        "bankruptcies": len(bankrupt),
        "chain": chain,
        "successor": successor,
    }
    return Finding(
        rule=RULE,
        severity=severity,
        title=(
            f"{person.name}: {len(bankrupt)} bankrupt enterprise{'s' if chain else ''}, "
            f"now at {active.name}"
        ),
        rationale=rationale,
        subject_type="person",
        subject_key=person.key,
        employer_id=active.id,
        district=active.district,
        facts=facts,
        evidence=evidence,
        discriminator=active.enterprise_number or f"employer-id:{active.id}",
        version=VERSION,
    )
