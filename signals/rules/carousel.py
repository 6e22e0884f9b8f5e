"""Rule ``carousel`` (network) — a chain of failed enterprises leads to an active one.

Risk served (MISSION.md, risk 1 "Unpaid contributions / bankruptcy carousels"): organised
non-payment through companies that go bankrupt one after another, run by the same people
("phoenix" companies). The law itself uses this pattern: a manager involved in two or more
bankruptcies with social debts within five years can be held liable for contributions
(art. 38 §3octies of the law of 29 June 1981; Code of Economic Law XX.225-226).

Data needed: :class:`~storage.models.Person` → :class:`~storage.models.Role` →
:class:`~storage.models.Employer` (functions read from register pages, ``Role.capture_id``, or
Gazette publications, ``Role.source_record_id``); each employer's status, juridical situation
(code or label) and its date, start date, phone / e-mail / website / seat; the records matched
to employers (job ads, listings, company websites: their phones, e-mails, domains) through
:mod:`storage.graph`; the register-page :class:`~storage.models.Record` of each enterprise.

Why it fires: enterprises are linked when they share a person in a management function (see
:data:`MANAGEMENT_EXCLUDED`) or a resource — phone, e-mail, website, seat (a seat shared by more
than :data:`SEAT_CROWD` enterprises is a domiciliation address and does not link). From every
active enterprise in a normal situation, the chain is walked back through *failed* enterprises
only (bankrupt, or struck off); it must hold at least one bankruptcy. Roles that ended more
than :data:`LOOKBACK_DAYS` before a bankruptcy do not link; at the active enterprise only
current roles link.

Score (0–100, every part named in the rationale and in ``facts["score_parts"]``): 25 per
bankruptcy (max 50), 5 per other struck-off enterprise (max 10), 10 per enterprise beyond two
in the chain (max 20), 20 when the active enterprise started within 180 days before or 365 days
after the latest bankruptcy (10 when started later, or up to :data:`SUCCESSOR_WINDOW_DAYS`
before: the successor pattern), 15 for a director of a failed enterprise who runs the active
one, 5 per kind of shared resource (max 15), 10 when the active enterprise is recruiting
(matched job ads or listings). Severity: **high** from 60, **medium** from 35, else low.

One finding per (director, active enterprise) — subject the person, key unchanged since
version 1; when no director links the chain (resources only), one finding per active
enterprise (subject the employer), emitted only from :data:`RESOURCE_ONLY_MIN` points.

Known false positives: company doctors and turnaround managers appointed to save failing firms;
namesakes merged into one Person by a too-coarse ``Person.key``; professional directors (holding
companies as directors are filtered out only if they are not stored as persons); a bankruptcy
closed long ago with all debts paid (the rule does not see the Gazette's closing details);
shared phones of accountants or call centres; business-centre seats below the crowd limit.
Since version 3 a website on a shared site (a social network's page, a job board:
:data:`storage.graph.SHARED_PATH_HOSTS`) links no one; before, every enterprise whose
website was a Facebook page shared the resource "facebook.com".
Curators, liquidators and auditors are excluded because they are appointed to (or audit) many
failing enterprises by profession.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

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
from storage.graph import (
    Resource,
    employer_own_resources,
    employers_sharing,
    employers_showing,
    matched_records,
    record_resources,
    records_showing,
)
from storage.models import Address, Employer, Person, Record, Role

RULE = "carousel"
SEVERITY = "high"
VERSION = "3"
DESCRIPTION = (
    "A chain of bankrupt or struck-off enterprises, linked by shared directors or resources "
    "(phone, e-mail, website, seat), leads to an active enterprise (possible bankruptcy "
    "carousel / phoenix company)."
)
RISK = "1. Unpaid contributions / bankruptcy carousels"

SUCCESSOR_WINDOW_DAYS = 365
SHORT_GAP_BEFORE_DAYS = 180
LOOKBACK_DAYS = 365
SEAT_CROWD = 5
RESOURCE_ONLY_MIN = 35
MAX_CHAIN = 12
HIGH_FROM, MEDIUM_FROM = 60, 35
# Functions held by profession in many failing enterprises: never a carousel by themselves.
MANAGEMENT_EXCLUDED = (
    "commissaire", "commissaris", "reviseur", "revisor", "auditor", "liquidateur", "vereffenaar",
    "liquidator", "curateur", "curator", "mandataire de justice", "gerechtsmandataris",
    "administrateur provisoire", "voorlopig bewindvoerder",
)
RESOURCE_WORDS = {"phone": "phone", "email": "e-mail", "website": "website", "address": "seat"}


@dataclass
class _Seat:
    role: Role
    employer: Employer


@dataclass
class _Link:
    """Why two enterprises are linked: a shared person or a shared resource."""

    kind: str  # person | phone | email | website | address
    label: str
    person: Person | None = None
    seats: dict[int, _Seat] = field(default_factory=dict)  # employer id -> role (persons)
    origins: dict[int, dict[str, Any]] = field(default_factory=dict)  # employer id -> origin


def _is_management(function: str | None) -> bool:
    folded = fold(function or "")
    return bool(folded) and not any(word in folded for word in MANAGEMENT_EXCLUDED)


def _is_bankrupt(employer: Employer) -> bool:
    return (
        classify_situation(employer.juridical_situation, employer.juridical_situation_label)
        == "bankruptcy"
    )


def _is_struck_off(employer: Employer) -> bool:
    return status_class(employer.status) == "struck_off"


def _is_failed(employer: Employer) -> bool:
    return _is_bankrupt(employer) or _is_struck_off(employer)


def _is_active_normal(employer: Employer) -> bool:
    situation = classify_situation(employer.juridical_situation, employer.juridical_situation_label)
    return status_class(employer.status) == "active" and situation in ("normal", "unknown")


def employer_flags(employer: Employer) -> dict[str, Any]:
    """Node attributes for :func:`storage.graph.build_graph` (its ``describe`` hook)."""
    situation = classify_situation(employer.juridical_situation,
                                   employer.juridical_situation_label)
    return {
        "bankrupt": situation == "bankruptcy",
        "struck_off": _is_struck_off(employer),
        "situation": situation,
        "active": _is_active_normal(employer),
    }


def _failed_on(employer: Employer) -> date | None:
    return employer.juridical_situation_date


def _counts(seat: _Seat) -> bool:
    """A role at a failed enterprise counts unless it ended long before the failure."""
    end, when = seat.role.end_date, _failed_on(seat.employer)
    return end is None or when is None or end >= when - timedelta(days=LOOKBACK_DAYS)


def _current(seat: _Seat, today: date) -> bool:
    return seat.role.end_date is None or seat.role.end_date >= today


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


def _pages(employer: Employer, roles: list[Role],
           records: dict[str, list[Record]]) -> list[EvidenceRef]:
    """The register page(s) the enterprise's status and the roles were read from."""
    number = employer.enterprise_number or ""
    captures = [r.capture_id for r in roles if r.source_record_id is None]
    captures = [c for c in (*captures, employer.capture_id) if c is not None]
    refs: list[EvidenceRef] = []
    for capture_id in dict.fromkeys(captures):
        same_page = [
            r.id for r in records.get(number, []) if capture_id in (r.capture_id, r.last_capture_id)
        ]
        refs.append((same_page[0] if same_page else None, capture_id))
    if not refs:  # no capture known: link the register record itself
        refs.extend((r.id, r.last_capture_id or r.capture_id) for r in records.get(number, []))
    return refs


def _role_text(role: Role) -> str:
    span = ""
    if role.start_date and role.end_date:
        span = f" from {fmt_when(role.start_date)} to {fmt_when(role.end_date)}"
    elif role.start_date:
        span = f" since {fmt_when(role.start_date)}"
    elif role.end_date:
        span = f" until {fmt_when(role.end_date)}"
    return f"{role.function}{span}"


def _source_text(origin: dict[str, Any]) -> str:
    kind = origin.get("type", "register")
    where = {"register_page": "register page", "gazette": "Gazette publication",
             "ad": "job ad", "listing": "service listing", "website": "company website"}
    text = where.get(kind, str(kind))
    if origin.get("record_id"):
        text += f" record #{origin['record_id']}"
    if origin.get("capture_id"):
        text += f", capture #{origin['capture_id']}"
    return text


def _role_source(role: Role) -> dict[str, Any]:
    if role.source_record_id is not None:
        return {"type": "gazette", "record_id": role.source_record_id,
                "capture_id": role.capture_id}
    return {"type": "register_page", "capture_id": role.capture_id}


def _state_text(e: Employer) -> str:
    since = f" since {fmt_when(e.juridical_situation_date)}" if e.juridical_situation_date else ""
    struck = ", struck off" if _is_struck_off(e) else ""
    return (f"{e.name} ({fmt_number(e.enterprise_number)}; "
            f"{situation_text(e.juridical_situation, e.juridical_situation_label)}{since}{struck}")


# -- gathering the links --------------------------------------------------------------------


def _failed_employers(session: Session) -> list[Employer]:
    candidates = session.exec(
        select(Employer).where(
            or_(
                col(Employer.juridical_situation).not_in(sorted(NORMAL_CODES)),
                and_(
                    col(Employer.juridical_situation).is_(None),
                    col(Employer.juridical_situation_label).is_not(None),
                ),
                and_(col(Employer.status).is_not(None), Employer.status != "AC"),
            )
        )
    ).all()
    return [e for e in candidates if _is_failed(e)]


class _Network:
    """Links between failed enterprises and everything that shares a person or a resource
    with them."""

    def __init__(self, session: Session, failed: list[Employer]) -> None:
        self.session = session
        self.employers: dict[int, Employer] = {e.id: e for e in failed if e.id is not None}
        self.failed_ids = set(self.employers)
        self.links: dict[int, list[_Link]] = defaultdict(list)
        self.today = date.today()

    def employer(self, employer_id: int) -> Employer | None:
        if employer_id not in self.employers:
            found = self.session.get(Employer, employer_id)
            if found is None:
                return None
            self.employers[employer_id] = found
        return self.employers[employer_id]

    def _add(self, link: _Link) -> None:
        members = set(link.seats) | set(link.origins)
        if len(members) < 2:
            return
        for member in members:
            self.links[member].append(link)

    def gather_persons(self) -> None:
        person_ids = set(self.session.exec(
            select(Role.person_id).where(col(Role.employer_id).in_(sorted(self.failed_ids)))
        ).all())
        if not person_ids:
            return
        rows = self.session.exec(
            select(Role, Employer, Person)
            .join(Employer, col(Employer.id) == Role.employer_id)
            .join(Person, col(Person.id) == Role.person_id)
            .where(col(Role.person_id).in_(sorted(person_ids)))
            .order_by(col(Person.key), col(Employer.enterprise_number), col(Role.id))
        ).all()
        by_person: dict[int, _Link] = {}
        for role, employer, person in rows:
            if not _is_management(role.function):
                continue
            seat = _Seat(role, employer)
            self.employers.setdefault(employer.id or 0, employer)
            if employer.id in self.failed_ids:
                if not _counts(seat):
                    continue
            elif not (_is_active_normal(employer) and _current(seat, self.today)):
                continue
            link = by_person.setdefault(person.id or 0, _Link("person", person.name, person))
            link.seats.setdefault(employer.id or 0, seat)
        for link in by_person.values():
            self._add(link)

    def gather_resources(self) -> None:
        ids = sorted(self.failed_ids)
        addresses: dict[int, list[Address]] = defaultdict(list)
        for address in self.session.exec(select(Address).where(
                col(Address.employer_id).in_(ids))).all():
            addresses[address.employer_id].append(address)
        records = matched_records(self.session, ids, limit=None)
        wanted: dict[tuple[str, str], Resource] = {}
        for employer_id in ids:
            own = employer_own_resources(self.employers[employer_id], addresses[employer_id])
            found = own + [r for rec in records.get(employer_id, []) for r in record_resources(rec)]
            for res in found:
                wanted.setdefault((res.kind, res.key), res)
        # the employers and the records showing each phone, e-mail and website: one pass over
        # the register and one over the matched records for all of them
        registered = employers_showing(self.session, wanted, limit=25)
        shown = records_showing(self.session, wanted, limit=25)
        for (kind, key), res in sorted(wanted.items()):
            sharing = employers_sharing(self.session, kind, key, limit=SEAT_CROWD + 1
                                        if kind == "address" else 25,
                                        records=shown.get((kind, key)),
                                        register=registered.get((kind, key)))
            if kind == "address" and len(sharing) > SEAT_CROWD:
                continue  # a domiciliation address: shared by many, proves nothing
            link = _Link(kind, res.label)
            for employer_id, origin in sharing:
                employer = self.employer(employer_id)
                if employer is None:
                    continue
                if employer_id in self.failed_ids or _is_active_normal(employer):
                    link.origins[employer_id] = origin
            self._add(link)

    def chain(self, active_id: int) -> tuple[list[int], dict[int, list[_Link]]]:
        """The failed enterprises reachable from ``active_id`` through failed ones only, and
        the links by which each was reached."""
        reached: dict[int, list[_Link]] = {}
        queue: deque[int] = deque([active_id])
        seen = {active_id}
        while queue and len(reached) < MAX_CHAIN:
            here = queue.popleft()
            for link in self.links.get(here, []):
                for other in (set(link.seats) | set(link.origins)) - {here}:
                    if other not in self.failed_ids:
                        continue
                    reached.setdefault(other, [])
                    if all(known is not link for known in reached[other]):
                        reached[other].append(link)
                    if other not in seen:
                        seen.add(other)
                        queue.append(other)
        # Oldest failure first; a failure of unknown date (struck off, no date) last.
        order = sorted(reached, key=lambda i: (_failed_on(self.employers[i]) or date.max,
                                               self.employers[i].enterprise_number or ""))
        return order, reached


# -- scoring and findings -------------------------------------------------------------------


def _members(link: _Link) -> set[int]:
    return set(link.seats) | set(link.origins)


def _gap_points(active: Employer, bankrupt: list[Employer]) -> tuple[int, str, bool]:
    """Points for the timing of the active enterprise's start against the bankruptcies."""
    start = active.start_date
    if start is None:
        return 0, "", False
    best: tuple[int, str, bool] = (0, "", False)
    for e in bankrupt:
        when = _failed_on(e)
        if when is None:
            continue
        gap = (start - when).days
        side = f"{abs(gap)} days {'after' if gap >= 0 else 'before'} the bankruptcy of {e.name}"
        if -SHORT_GAP_BEFORE_DAYS <= gap <= SUCCESSOR_WINDOW_DAYS:
            candidate = (20, f"started {side}", True)
        elif gap >= -SUCCESSOR_WINDOW_DAYS:
            candidate = (10, f"started {side}", True)
        else:
            continue
        if candidate[0] > best[0]:
            best = candidate
    return best


def _score(active: Employer, chain: list[Employer], director: bool, kinds: set[str],
           recruiting: bool) -> tuple[int, list[tuple[int, str]], bool]:
    bankrupt = [e for e in chain if _is_bankrupt(e)]
    struck = [e for e in chain if not _is_bankrupt(e)]
    parts: list[tuple[int, str]] = [
        (min(50, 25 * len(bankrupt)), f"{len(bankrupt)} bankrupt enterprise(s) in the chain")]
    if struck:
        parts.append((min(10, 5 * len(struck)), f"{len(struck)} other struck-off enterprise(s)"))
    if len(chain) + 1 > 2:
        parts.append((min(20, 10 * (len(chain) - 1)), f"chain of {len(chain) + 1} enterprises"))
    points, why, successor = _gap_points(active, bankrupt)
    if points:
        parts.append((points, f"the active enterprise {why}"))
    if director:
        parts.append((15, "a director of a failed enterprise runs the active one"))
    if kinds:
        words = ", ".join(RESOURCE_WORDS[k] for k in sorted(kinds))
        parts.append((min(15, 5 * len(kinds)), f"shared {words}"))
    if recruiting:
        parts.append((10, "the active enterprise is recruiting (matched job ads or listings)"))
    return min(100, sum(p for p, _ in parts)), parts, successor


def _severity(score: int) -> str:
    return "high" if score >= HIGH_FROM else "medium" if score >= MEDIUM_FROM else "low"


def _link_text(link: _Link, member: int) -> str:
    if link.kind == "person":
        seat = link.seats.get(member)
        role = f"{_role_text(seat.role)}; {_source_text(_role_source(seat.role))}" if seat else ""
        return f"director {link.label} ({role})"
    origin = link.origins.get(member, {})
    return f"shared {RESOURCE_WORDS[link.kind]} {link.label} ({_source_text(origin)})"


def evaluate_network(session: Session) -> list[Finding]:
    """Scan the network: one finding per (director, active enterprise) at the end of a chain,
    or per active enterprise when only resources link the chain."""
    failed = _failed_employers(session)
    if not any(_is_bankrupt(e) for e in failed):
        return []
    net = _Network(session, failed)
    net.gather_persons()
    net.gather_resources()
    actives = sorted({m for fid in net.failed_ids for link in net.links.get(fid, [])
                      for m in _members(link) if m not in net.failed_ids})
    numbers = {e.enterprise_number for e in net.employers.values() if e.enterprise_number}
    records = _register_records(session, numbers)
    ads = matched_records(session, actives, limit=3)
    findings: list[Finding] = []
    for active_id in actives:
        order, reached = net.chain(active_id)
        chain = [net.employers[i] for i in order]
        if not any(_is_bankrupt(e) for e in chain):
            continue
        recruiting = [r for r in ads.get(active_id, []) if r.kind in ("job_ad", "listing")]
        findings.extend(_findings(net, net.employers[active_id], chain, reached, records,
                                  recruiting))
    return findings


def _findings(net: _Network, active: Employer, chain: list[Employer],
              reached: dict[int, list[_Link]], records: dict[str, list[Record]],
              recruiting: list[Record]) -> list[Finding]:
    chain_ids = {e.id for e in chain}
    directors = [link for link in net.links.get(active.id or 0, [])
                 if link.kind == "person" and _members(link) & chain_ids]
    kinds = {link.kind for links in reached.values() for link in links if link.kind != "person"}
    score, parts, successor = _score(active, chain, bool(directors), kinds, bool(recruiting))
    if not directors:
        if score < RESOURCE_ONLY_MIN:
            return []
        return [_finding(active, chain, reached, records, recruiting, None, score, parts,
                         successor)]
    return [_finding(active, chain, reached, records, recruiting, link, score, parts, successor)
            for link in directors]


def _finding(active: Employer, chain: list[Employer], reached: dict[int, list[_Link]],
             records: dict[str, list[Record]], recruiting: list[Record], director: _Link | None,
             score: int, parts: list[tuple[int, str]], successor: bool) -> Finding:
    bankrupt = [e for e in chain if _is_bankrupt(e)]
    plural = "s" if len(bankrupt) > 1 else ""
    started = f", started {fmt_when(active.start_date)}" if active.start_date else ""
    hiring = (f"; it is recruiting ({len(recruiting)} matched ad(s) or listing(s), e.g. record "
              f"#{recruiting[0].id})" if recruiting else "")
    steps = []
    for n, e in enumerate(chain, 1):
        how = "; ".join(_link_text(link, e.id or 0) for link in reached[e.id or 0])
        steps.append(f"{n}. {_state_text(e)}) — linked by {how}")
    if director is not None:
        seat = director.seats[active.id or 0]
        person = director.person
        assert person is not None
        own = [e for e in bankrupt if e.id in director.seats]
        rationale = (
            f"{person.name} holds a function in {len(own)} bankrupt enterprise"
            f"{'s' if len(own) > 1 else ''} of the chain and is {_role_text(seat.role)} of "
            f"{active.name} ({fmt_number(active.enterprise_number)}), which is active in a "
            f"normal situation{started}{hiring}. "
        )
    else:
        rationale = (
            f"{active.name} ({fmt_number(active.enterprise_number)}) is active in a normal "
            f"situation{started}{hiring}, and shares resources with failed enterprises. "
        )
    rationale += "Chain of failed enterprises before it, oldest failure first: "
    rationale += " ".join(steps) + ". "
    if len(bankrupt) >= 2:
        rationale += (f"This is a chain of {len(bankrupt)} bankruptcies "
                      f"({len(chain) + 1} enterprises). ")
    if successor:
        rationale += ("The active enterprise started around or after a bankruptcy: it may "
                      "continue the bankrupt business (phoenix pattern). ")
    rationale += f"Score {score}/100: " + "; ".join(f"+{p} {why}" for p, why in parts) + ". "
    rationale += (
        "Source: the functions and situations on the enterprises' public register pages and "
        "Gazette publications, and the ads and sites showing the shared resources (see linked "
        "records and captures). Check social debts of the failed enterprises and the "
        "declarations of the active one."
    )
    evidence, support = _evidence(active, chain, reached, records, recruiting, director)
    person = director.person if director is not None else None
    facts = {
        "active_enterprise": {
            "name": active.name, "enterprise_number": active.enterprise_number,
            "start_date": active.start_date,
            "function": director.seats[active.id or 0].role.function if director else None,
            "role_start": director.seats[active.id or 0].role.start_date if director else None,
            "recruiting_records": [r.id for r in recruiting],
        },
        "bankrupt_enterprises": [_member_facts(e, director) for e in bankrupt],
        "chain_members": [
            {**_member_facts(e, director),
             "links": [{"kind": link.kind, "label": link.label,
                        "source": _link_source(link, e.id or 0)} for link in reached[e.id or 0]]}
            for e in chain
        ],
        "bankruptcies": len(bankrupt),
        "chain": len(bankrupt) >= 2,
        "chain_length": len(chain) + 1,
        "successor": successor,
        "score": score,
        "score_parts": [{"points": p, "reason": why} for p, why in parts],
        "shared_resources": sorted({link.kind for links in reached.values() for link in links
                                    if link.kind != "person"}),
    }
    if person is not None:
        facts = {"person": person.name, "person_key": person.key, **facts}
        title = (f"{person.name}: {len(bankrupt)} bankrupt enterprise{plural}, "
                 f"now at {active.name}")
        subject_type, subject_key = "person", person.key
        discriminator = active.enterprise_number or f"employer-id:{active.id}"
    else:
        title = (f"{active.name}: active after {len(bankrupt)} bankrupt enterprise{plural} "
                 "sharing its resources")
        subject_type = "employer"
        subject_key = active.enterprise_number or f"employer-id:{active.id}"
        discriminator = "resource-chain"
    return Finding(
        rule=RULE, severity=_severity(score), title=title, rationale=rationale,
        subject_type=subject_type, subject_key=subject_key, employer_id=active.id,
        district=active.district, facts=facts, evidence=evidence, support=support,
        discriminator=discriminator, version=VERSION,
    )


def _link_source(link: _Link, member: int) -> dict[str, Any]:
    if link.kind == "person":
        seat = link.seats.get(member)
        return _role_source(seat.role) if seat else {}
    return link.origins.get(member, {})


def _member_facts(e: Employer, director: _Link | None) -> dict[str, Any]:
    seat = director.seats.get(e.id or 0) if director is not None else None
    return {
        "name": e.name, "enterprise_number": e.enterprise_number,
        "juridical_situation": e.juridical_situation,
        "juridical_situation_label": e.juridical_situation_label,
        "since": e.juridical_situation_date, "status": e.status,
        "bankrupt": _is_bankrupt(e), "struck_off": _is_struck_off(e),
        "function": seat.role.function if seat else None,
        "role_start": seat.role.start_date if seat else None,
        "role_end": seat.role.end_date if seat else None,
    }


def _evidence(active: Employer, chain: list[Employer], reached: dict[int, list[_Link]],
              records: dict[str, list[Record]], recruiting: list[Record],
              director: _Link | None) -> tuple[list[EvidenceRef], list[EvidenceRef]]:
    """Register pages of every enterprise (evidence); Gazette publications, records showing
    shared resources and the active enterprise's ads (support)."""
    evidence: list[EvidenceRef] = []
    support: list[EvidenceRef] = []
    for e in [*chain, active]:
        roles = []
        if director is not None and (e.id or 0) in director.seats:
            roles.append(director.seats[e.id or 0].role)
        for link in reached.get(e.id or 0, []):
            if link.kind == "person" and (e.id or 0) in link.seats:
                roles.append(link.seats[e.id or 0].role)
        for ref in _pages(e, roles, records):
            if ref not in evidence:
                evidence.append(ref)
        for role in roles:
            if role.source_record_id is not None:
                support.append((role.source_record_id, role.capture_id))
        for link in reached.get(e.id or 0, []):
            for origin in link.origins.values():
                if origin.get("record_id"):
                    support.append((origin["record_id"], origin.get("capture_id")))
    for record in recruiting:
        support.append((record.id, record.last_capture_id or record.capture_id))
    support = [ref for ref in dict.fromkeys(support) if ref not in evidence]
    return evidence, support
