"""Small read/write functions the review views call, so no view builds SQL itself.

Everything goes through SQLModel ``select`` with bound parameters. Functions return model
objects grouped in small dataclasses; the caller decides how to present them and when to commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from storage import StorageError
from storage.audit import append_event
from storage.models import (
    Address,
    AuditEvent,
    Capture,
    Employer,
    Judgement,
    Match,
    Person,
    Record,
    Role,
    Signal,
    SignalEvidence,
    SignalSector,
)
from storage.nace import NACE_SECTIONS
from storage.queue import (
    SEVERITY_RANK,
    SIGNAL_SORTS,
    InvalidCursor,  # noqa: F401  (re-exported for the views)
    encode_cursor,
    read_offset,
    read_page,
)

SIGNAL_STATUSES = ("new", "in_review", "confirmed", "dismissed")
# Triage moves forward; a decided signal can be reopened for review, never silently reset.
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_review",),
    "in_review": ("confirmed", "dismissed", "new"),
    "confirmed": ("in_review",),
    "dismissed": ("in_review",),
}
STATUS_ACTION = "signal.status"
# A reviewer's verdict on a machine match: positive confirms it, negative rejects it.
VERDICTS = ("positive", "negative", "unsure")
JUDGEMENT_ACTION = "match.judgement"
NOTE_MAX_CHARS = 2000


class NotFoundError(StorageError):
    """The requested row does not exist."""


class InvalidStatusChange(StorageError):
    """A status change that the triage workflow does not allow (or lacks its reason)."""


class InvalidJudgement(StorageError):
    """A judgement with an unknown verdict or an over-long note."""


@dataclass(frozen=True)
class SignalFilters:
    """The queue's filters; ``None`` means 'any'."""

    rule: str | None = None
    severity: str | None = None
    status: str | None = None
    district: str | None = None
    employer_id: int | None = None
    # NACE section letter (A–U) of the signal's employer, from Employer.nace_codes.
    sector: str | None = None
    assignee: str | None = None  # a username, or UNASSIGNED
    first_seen_from: Any = None  # datetimes, inclusive
    first_seen_to: Any = None
    last_seen_from: Any = None
    last_seen_to: Any = None


UNASSIGNED = "-"  # the assignee filter's value for "nobody"


# A section with at most this many signals is read from its own index (then sorted); a larger
# one is checked row by row along the queue's order (the page fills after a few rows).
SECTOR_LIST_MAX = 5000


def sector_condition(section: str, listed: bool = False) -> Any:
    """Signals whose employer has at least one NACE code in ``section``, through
    :class:`SignalSector` (filled when the signal or its employer is written).

    ``listed=False``: a correlated ``EXISTS`` (one primary-key lookup per row walked), so
    the queue walks its order index and stops after a page: right for a common section.
    ``listed=True``: ``id IN (the section's signals)``, read from the section index: right
    for a rare section, where the walk would visit every row to find few."""
    if section not in NACE_SECTIONS:
        raise StorageError(f"unknown NACE section {section!r}; expected one of "
                           f"{', '.join(NACE_SECTIONS)}")
    if listed:
        return Signal.id.in_(select(SignalSector.signal_id)
                             .where(SignalSector.section == section))
    return (select(SignalSector.signal_id)
            .where(SignalSector.signal_id == Signal.id, SignalSector.section == section)
            .exists())


def sector_size(session: Session, section: str) -> int:
    """How many signals the section holds (a count in its own index)."""
    return int(session.exec(select(func.count()).select_from(SignalSector)
                            .where(SignalSector.section == section)).one())


@dataclass(frozen=True)
class SignalRow:
    signal: Signal
    employer: Employer | None


@dataclass(frozen=True)
class FilterOptions:
    rules: list[str]
    severities: list[str]
    statuses: list[str]
    districts: list[str]
    assignees: list[str] = field(default_factory=list)
    sectors: list[tuple[str, str]] = field(default_factory=list)  # (letter, label)


@dataclass
class EvidenceItem:
    """One link of the chain: the record a signal rests on and the captures it was seen in."""

    record: Record | None
    captures: list[Capture] = field(default_factory=list)


@dataclass(frozen=True)
class MatchRow:
    match: Match
    record: Record
    judgements: list[Judgement] = field(default_factory=list)  # newest first

    @property
    def latest_judgement(self) -> Judgement | None:
        """The verdict that counts now (the latest one wins, as in signal detection)."""
        return self.judgements[0] if self.judgements else None


@dataclass(frozen=True)
class StatusChange:
    at: Any
    user: str | None
    old: str | None
    new: str | None
    reason: str


@dataclass
class SignalDetail:
    signal: Signal
    employer: Employer | None
    matches: list[MatchRow]
    evidence: list[EvidenceItem]
    history: list[StatusChange]

    @property
    def allowed_statuses(self) -> tuple[str, ...]:
        return STATUS_TRANSITIONS.get(self.signal.status, ())


@dataclass
class CaptureDetail:
    capture: Capture
    records: list[Record]
    signals: list[Signal]


@dataclass(frozen=True)
class RoleRow:
    role: Role
    person: Person


@dataclass
class EmployerDetail:
    employer: Employer
    addresses: list[Address]
    roles: list[RoleRow]
    signals: list[Signal]
    matches: list[MatchRow]


# -- the queue ---------------------------------------------------------------------------------
def _signal_conditions(filters: SignalFilters, sector_count: int | None = None) -> list[Any]:
    """The WHERE of the filters; ``sector_count`` (the section's size) picks the form of the
    sector condition (see :func:`sector_condition`)."""
    conditions: list[Any] = []
    if filters.rule:
        conditions.append(Signal.rule == filters.rule)
    if filters.severity:
        conditions.append(Signal.severity == filters.severity)
    if filters.status:
        conditions.append(Signal.status == filters.status)
    if filters.district:
        conditions.append(Signal.district == filters.district)
    if filters.employer_id is not None:
        conditions.append(Signal.employer_id == filters.employer_id)
    if filters.sector:
        conditions.append(sector_condition(
            filters.sector, listed=sector_count is not None and sector_count <= SECTOR_LIST_MAX))
    if filters.assignee == UNASSIGNED:
        conditions.append(Signal.assignee.is_(None))
    elif filters.assignee:
        conditions.append(Signal.assignee == filters.assignee)
    for value, column, op in ((filters.first_seen_from, Signal.first_seen, "ge"),
                              (filters.first_seen_to, Signal.first_seen, "le"),
                              (filters.last_seen_from, Signal.last_seen, "ge"),
                              (filters.last_seen_to, Signal.last_seen, "le")):
        if value is not None:
            conditions.append(column >= value if op == "ge" else column <= value)
    return conditions


@dataclass(frozen=True)
class SignalPage:
    """One page of the queue, the total matching the filters, and the cursors around it."""

    rows: list[SignalRow]
    total: int
    next_cursor: str | None
    prev_cursor: str | None


def signal_page(session: Session, filters: SignalFilters, sort: str = "last_seen",
                limit: int = 50, *, after: str | None = None, before: str | None = None,
                offset: int = 0) -> SignalPage:
    """The queue page after cursor ``after`` / before cursor ``before`` (else the first),
    keyset-paginated along an index (see :mod:`storage.queue`). ``offset`` (without a
    cursor) serves old links by position; its page carries cursors too."""
    if sort not in SIGNAL_SORTS:
        raise StorageError(f"unknown sort {sort!r}; expected one of {', '.join(SIGNAL_SORTS)}")
    size = sector_size(session, filters.sector) if filters.sector else None
    conditions = _signal_conditions(filters, size)
    total = _count(session, filters, conditions, size)
    if offset and not (after or before):
        found = read_offset(session, conditions, sort, limit, offset)
        rows = [SignalRow(s, e) for s, e in found]
        more = offset + len(rows) < total
        return SignalPage(rows, total,
                          encode_cursor(sort, rows[-1].signal) if rows and more else None,
                          encode_cursor(sort, rows[0].signal) if rows else None)
    page = read_page(session, conditions, sort, limit, after=after, before=before)
    return SignalPage([SignalRow(s, e) for s, e in page.rows], total,
                      page.next_cursor, page.prev_cursor)


def _count(session: Session, filters: SignalFilters, conditions: list[Any],
           size: int | None) -> int:
    """Signals matching the filters (the sector alone: its size, already counted)."""
    if size is not None and filters == SignalFilters(sector=filters.sector):
        return size
    return int(session.exec(select(func.count()).select_from(Signal).where(*conditions)).one())


def list_signals(
    session: Session,
    filters: SignalFilters,
    sort: str = "last_seen",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[SignalRow], int]:
    """One page of the queue by position (with each signal's employer) and the total matching
    the filters. Prefer :func:`signal_page`'s cursors: an offset still walks its rows."""
    if sort not in SIGNAL_SORTS:
        raise StorageError(f"unknown sort {sort!r}; expected one of {', '.join(SIGNAL_SORTS)}")
    size = sector_size(session, filters.sector) if filters.sector else None
    conditions = _signal_conditions(filters, size)
    rows = read_offset(session, conditions, sort, limit, offset)
    return [SignalRow(s, e) for s, e in rows], _count(session, filters, conditions, size)


def signal_filter_options(session: Session) -> FilterOptions:
    """The distinct values present in the data, to populate the queue's ``<select>``s."""

    def distinct(column: Any) -> list[str]:
        # A "loose index scan": one index seek per distinct value instead of reading every
        # row's value (100k signals hold a dozen rules/districts; see bench_queue).
        values: list[str] = []
        current = session.exec(select(column).where(column >= "")  # skips NULLs by a seek
                               .order_by(column).limit(1)).first()
        while current is not None and len(values) < 1000:
            values.append(str(current))
            current = session.exec(select(column).where(column > current)
                                   .order_by(column).limit(1)).first()
        return sorted(values)

    def present(column: Any, value: str) -> bool:
        return session.exec(select(Signal.id).where(column == value).limit(1)).first() is not None

    severities = distinct(Signal.severity)
    severities.sort(key=lambda s: -SEVERITY_RANK.get(s, 0))
    return FilterOptions(
        rules=distinct(Signal.rule),
        severities=severities,
        statuses=[s for s in SIGNAL_STATUSES if present(Signal.status, s)],
        districts=distinct(Signal.district),
        assignees=distinct(Signal.assignee),
        sectors=[(k, v[0]) for k, v in NACE_SECTIONS.items()],
    )


# -- one signal --------------------------------------------------------------------------------
def _get(session: Session, model: Any, row_id: int, label: str) -> Any:
    row = session.get(model, row_id)
    if row is None:
        raise NotFoundError(f"{label} {row_id} does not exist")
    return row


def get_signal(session: Session, signal_id: int) -> Signal:
    """Just the signal row (:class:`NotFoundError` if there is none)."""
    return _get(session, Signal, signal_id, "signal")


def match_of_signal(session: Session, signal_id: int, match_id: int) -> Match:
    """The match, if its record is evidence of the signal (else :class:`NotFoundError`)."""
    match = _get(session, Match, match_id, "match")
    linked = session.exec(
        select(SignalEvidence).where(SignalEvidence.signal_id == signal_id,
                                     SignalEvidence.record_id == match.record_id)
    ).first()
    if linked is None:
        raise NotFoundError(f"match {match_id} is not behind signal {signal_id}")
    return match


def signal_evidence(session: Session, signal_id: int) -> list[EvidenceItem]:
    """The records a signal rests on, each with its captures (first seen, last seen, linked)."""
    links = session.exec(
        select(SignalEvidence).where(SignalEvidence.signal_id == signal_id)
        .order_by(SignalEvidence.id)
    ).all()
    items: dict[int | None, EvidenceItem] = {}
    capture_ids: dict[int | None, list[int]] = {}
    for link in links:
        record = session.get(Record, link.record_id) if link.record_id is not None else None
        key = record.id if record is not None else None
        items.setdefault(key, EvidenceItem(record=record))
        wanted = capture_ids.setdefault(key, [])
        candidates = [link.capture_id]
        if record is not None:
            candidates += [record.capture_id, record.last_capture_id]
        for capture_id in candidates:
            if capture_id is not None and capture_id not in wanted:
                wanted.append(capture_id)
    for key, item in items.items():
        ids = capture_ids[key]
        if ids:
            found = session.exec(select(Capture).where(Capture.id.in_(ids))).all()
            by_id = {c.id: c for c in found}
            item.captures = [by_id[i] for i in ids if i in by_id]
    return list(items.values())


def signal_history(session: Session, signal_id: int) -> list[StatusChange]:
    """Status changes of a signal, oldest first, read from the audit log."""
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == STATUS_ACTION, AuditEvent.target == f"signal:{signal_id}")
        .order_by(AuditEvent.id)
    ).all()
    return [
        StatusChange(e.at, e.user, e.details.get("from"), e.details.get("to"),
                     e.details.get("reason") or "")
        for e in events
    ]


def signal_detail(session: Session, signal_id: int) -> SignalDetail:
    """A signal with its employer, the matches of its records, its evidence and its history."""
    signal = _get(session, Signal, signal_id, "signal")
    employer = session.get(Employer, signal.employer_id) if signal.employer_id else None
    evidence = signal_evidence(session, signal_id)
    record_ids = [item.record.id for item in evidence if item.record is not None]
    matches: list[MatchRow] = []
    if record_ids:
        statement = (
            select(Match, Record).join(Record, Match.record_id == Record.id)
            .where(Match.record_id.in_(record_ids))
        )
        if employer is not None:
            statement = statement.where(Match.employer_id == employer.id)
        statement = statement.order_by(Match.score.desc(), Match.id)
        matches = [MatchRow(m, r, match_judgements(session, m, r))
                   for m, r in session.exec(statement).all()]
    return SignalDetail(signal, employer, matches, evidence, signal_history(session, signal_id))


def set_signal_status(
    session: Session, signal_id: int, status: str, user: str, reason: str = ""
) -> Signal:
    """Move a signal along the triage workflow and audit it in the same transaction.

    Dismissing needs a reason (a dismissed signal must say why). The caller commits.
    """
    signal = _get(session, Signal, signal_id, "signal")
    if status not in SIGNAL_STATUSES:
        raise InvalidStatusChange(f"unknown status {status!r}")
    allowed = STATUS_TRANSITIONS.get(signal.status, ())
    if status not in allowed:
        raise InvalidStatusChange(
            f"a signal in status {signal.status!r} cannot move to {status!r} "
            f"(allowed: {', '.join(allowed) or 'none'})"
        )
    reason = (reason or "").strip()
    if status == "dismissed" and not reason:
        raise InvalidStatusChange("dismissing a signal requires a reason")
    old = signal.status
    signal.status = status
    session.add(signal)
    append_event(session, user, STATUS_ACTION, f"signal:{signal_id}",
                 {"from": old, "to": status, "reason": reason})
    return signal


# -- captures and employers ------------------------------------------------------------------
def get_capture(session: Session, capture_id: int) -> Capture:
    """Just the capture row (to serve its body or screenshot)."""
    return _get(session, Capture, capture_id, "capture")


def capture(session: Session, capture_id: int) -> CaptureDetail:
    """A capture, the records extracted from it, and the signals citing it."""
    cap = get_capture(session, capture_id)
    records = list(session.exec(
        select(Record)
        .where(or_(Record.capture_id == capture_id, Record.last_capture_id == capture_id))
        .order_by(Record.id)
    ).all())
    record_ids = [r.id for r in records]
    cites = [SignalEvidence.capture_id == capture_id]
    if record_ids:
        cites.append(SignalEvidence.record_id.in_(record_ids))
    signals = list(session.exec(
        select(Signal).where(
            Signal.id.in_(select(SignalEvidence.signal_id).where(or_(*cites)))
        ).order_by(Signal.id)
    ).all())
    return CaptureDetail(cap, records, signals)


def employer_detail(session: Session, employer_id: int) -> EmployerDetail:
    """An employer with its addresses, directors (roles), signals and matched records."""
    employer = _get(session, Employer, employer_id, "employer")
    addresses = list(session.exec(
        select(Address).where(Address.employer_id == employer_id).order_by(Address.id)
    ).all())
    roles = [
        RoleRow(role, person)
        for role, person in session.exec(
            select(Role, Person).join(Person, Role.person_id == Person.id)
            .where(Role.employer_id == employer_id)
            .order_by(Role.end_date.is_not(None), Person.name, Role.id)
        ).all()
    ]
    signals = list(session.exec(
        select(Signal).where(Signal.employer_id == employer_id)
        .order_by(Signal.last_seen.desc(), Signal.id.desc())
    ).all())
    matches = [
        MatchRow(m, r, match_judgements(session, m, r))
        for m, r in session.exec(
            select(Match, Record).join(Record, Match.record_id == Record.id)
            .where(Match.employer_id == employer_id)
            .order_by(Match.score.desc(), Match.id)
        ).all()
    ]
    return EmployerDetail(employer, addresses, roles, signals, matches)


# -- human judgements on matches ----------------------------------------------------------------
def _judgements_newest_first(statement: Any) -> Any:
    return statement.order_by(Judgement.at.desc(), Judgement.id.desc())


def judgements_for_record(session: Session, record_id: int) -> list[Judgement]:
    """Every judgement on the record's fingerprint (any employer), newest first."""
    record = _get(session, Record, record_id, "record")
    return list(session.exec(_judgements_newest_first(
        select(Judgement).where(Judgement.record_fingerprint == record.fingerprint)
    )).all())


def match_judgements(session: Session, match: Match, record: Record) -> list[Judgement]:
    """The judgements on this record/employer pair, newest first.

    A judgement names the employer by id and by enterprise number, so one made before a
    register refresh (new employer row, same number) still shows next to the match.
    """
    employer = session.get(Employer, match.employer_id)
    same_employer = [Judgement.employer_id == match.employer_id]
    if employer is not None and employer.enterprise_number:
        same_employer.append(Judgement.employer_number == employer.enterprise_number)
    return list(session.exec(_judgements_newest_first(
        select(Judgement).where(Judgement.record_fingerprint == record.fingerprint,
                                or_(*same_employer))
    )).all())


def record_judgement(
    session: Session, match_id: int, verdict: str, user: str, note: str = ""
) -> Judgement:
    """Store a reviewer's verdict on a match and audit it in the same transaction.

    The judgement is keyed by the record's fingerprint and the employer's id *and* enterprise
    number, so it survives re-crawls and register refreshes; it also keeps the matcher version
    that proposed the match. Nothing else changes here: the caller re-runs detection (signals
    obey the latest verdict) and commits.
    """
    if verdict not in VERDICTS:
        raise InvalidJudgement(f"unknown verdict {verdict!r}; use one of {', '.join(VERDICTS)}")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise InvalidJudgement(f"the note is {len(note)} characters long; "
                               f"at most {NOTE_MAX_CHARS} are kept")
    match = _get(session, Match, match_id, "match")
    record = _get(session, Record, match.record_id, "record")
    employer = _get(session, Employer, match.employer_id, "employer")
    judgement = Judgement(
        record_fingerprint=record.fingerprint, employer_id=employer.id,
        employer_number=employer.enterprise_number, verdict=verdict, user=user,
        matcher_version=match.matcher_version or "", note=note,
    )
    session.add(judgement)
    session.flush()
    append_event(session, user, JUDGEMENT_ACTION, f"match:{match_id}", {
        "match_id": match_id, "verdict": verdict, "note": note, "judgement_id": judgement.id,
        "record_id": record.id, "employer_id": employer.id,
        "employer_number": employer.enterprise_number,
    })
    return judgement
