"""The core records (see DESIGN.md). JSON columns hold structured detail; every fact points
back to the immutable :class:`Capture` it was seen in."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Column,
    Index,
    UniqueConstraint,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import attributes, object_session
from sqlmodel import Field, SQLModel

from storage.nace import sections_of

F = TypeVar("F", bound=Callable[..., Any])


def _known_signature(factory: F) -> F:
    """Give a default factory its signature up front.

    Building a table row (``sqlmodel_table_construct``) asks pydantic whether each default
    factory takes the validated data, and pydantic 2.14 answers with ``inspect.signature`` at
    every call, without caching it. For the builtins ``dict`` and ``list`` that means parsing
    and compiling their text signature each time: about 0.1 ms per row, most of the cost of
    making a Match or a Record during a crawl. A precomputed ``__signature__`` is read instead.
    """
    factory.__signature__ = inspect.signature(factory)  # type: ignore[attr-defined]
    return factory


@_known_signature
def utcnow() -> datetime:
    return datetime.now(UTC)


@_known_signature
def new_dict() -> dict[str, Any]:
    """``default_factory`` of JSON object columns (see :func:`_known_signature`)."""
    return {}


@_known_signature
def new_list() -> list[Any]:
    """``default_factory`` of JSON list columns (see :func:`_known_signature`)."""
    return []


class Source(SQLModel, table=True):
    """A site or register we collect from, as described by its spider's YAML file."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    kind: str  # job_board | register | classifieds | gazette | website
    base_url: str = ""
    legal_basis: str = ""
    retention_days: int = 365
    robots_obey: bool = True
    config: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))


class CrawlRun(SQLModel, table=True):
    """One execution of one spider: who launched it, why, and what it saw."""

    id: int | None = Field(default=None, primary_key=True)
    spider: str = Field(index=True)
    source_id: int | None = Field(default=None, foreign_key="source.id")
    launched_by: str = "cli"  # cli | schedule | analyst | api | demo
    user: str | None = None
    purpose: str = ""
    case_ref: str | None = None
    args: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = "running"  # running | finished | failed | partial
    pages_expected: int | None = None
    pages_seen: int = 0
    pages_blocked: int = 0
    items_scraped: int = 0
    errors_count: int = 0
    stats: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))
    report: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))


class Capture(SQLModel, table=True):
    """One fetched response, archived in a WARC file. Immutable once written."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="crawlrun.id", index=True)
    url: str = Field(index=True)
    final_url: str
    method: str = "GET"
    status: int
    headers: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))
    content_type: str | None = None
    fetched_at: datetime = Field(default_factory=utcnow, index=True)
    sha256: str = Field(index=True)
    length: int = 0
    warc_file: str  # relative to the evidence folder
    warc_offset: int
    warc_length: int
    renderer: str = "http"  # http | browser
    screenshot_sha256: str | None = None
    screenshot_path: str | None = None  # relative to the evidence folder


class Record(SQLModel, table=True):
    """One extracted item (job ad, listing, register entry, gazette publication)."""

    __table_args__ = (UniqueConstraint("kind", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # job_ad | listing | register_entry | gazette
    source: str = Field(index=True)
    url: str
    capture_id: int = Field(foreign_key="capture.id", index=True)
    last_capture_id: int | None = Field(default=None, foreign_key="capture.id")
    fingerprint: str
    title: str | None = None
    employer_name: str | None = None
    enterprise_number: str | None = Field(default=None, index=True)
    vat_number: str | None = None
    phone: str | None = None
    postcode: str | None = None
    district: str | None = Field(default=None, index=True)
    country: str | None = None
    language: str | None = None
    raw: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))
    provenance: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))
    normalized: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    seen_count: int = 1
    # Set when a complete crawl of its source no longer found it (the ad was taken down);
    # cleared when it is seen again.
    gone_at: datetime | None = Field(default=None, index=True)


class Employer(SQLModel, table=True):
    """An enterprise of the known-employer register (KBO import or register pages)."""

    id: int | None = Field(default=None, primary_key=True)
    enterprise_number: str | None = Field(default=None, index=True, unique=True)  # 10 digits
    name: str
    other_names: list[str] = Field(default_factory=new_list, sa_column=Column(JSON))
    legal_form: str | None = None
    status: str | None = None  # AC (active) | ST (struck off)
    juridical_situation: str | None = None  # KBO code, e.g. 000 normal, 050 bankruptcy
    juridical_situation_label: str | None = None
    juridical_situation_date: date | None = None
    start_date: date | None = None
    onss_employer: bool = False
    onss_since: date | None = None
    street: str | None = None
    postcode: str | None = Field(default=None, index=True)
    municipality: str | None = None
    district: str | None = None
    country: str = "BE"
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    nace_codes: list[str] = Field(default_factory=new_list, sa_column=Column(JSON))
    origin: str = "kbo_opendata"  # kbo_opendata | registry_page | csv
    capture_id: int | None = Field(default=None, foreign_key="capture.id")
    updated_at: datetime = Field(default_factory=utcnow)


class Person(SQLModel, table=True):
    """A natural person seen in a function (director, manager) of an enterprise."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    key: str = Field(index=True, unique=True)  # normalised name used for identity


class Role(SQLModel, table=True):
    """A person's function in an enterprise, as seen on a register page."""

    __table_args__ = (UniqueConstraint("person_id", "employer_id", "function"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    employer_id: int = Field(foreign_key="employer.id", index=True)
    function: str
    start_date: date | None = None
    end_date: date | None = None
    capture_id: int | None = Field(default=None, foreign_key="capture.id")
    # The Gazette publication (Record, kind "gazette") that last changed this role, if any.
    source_record_id: int | None = Field(default=None, foreign_key="record.id")


class Address(SQLModel, table=True):
    """A seat or establishment address of an enterprise."""

    id: int | None = Field(default=None, primary_key=True)
    employer_id: int = Field(foreign_key="employer.id", index=True)
    kind: str = "seat"  # seat | establishment
    street: str | None = None
    postcode: str | None = Field(default=None, index=True)
    municipality: str | None = None
    district: str | None = None
    country: str = "BE"


class Match(SQLModel, table=True):
    """The machine's link from a record to a register employer, with its reasons."""

    __table_args__ = (UniqueConstraint("record_id", "employer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="record.id", index=True)
    employer_id: int = Field(foreign_key="employer.id", index=True)
    score: float
    method: str  # enterprise_number | vat | phone | name | name+postcode ...
    outcome: str = "match"  # match | possible
    explanation: list[dict[str, Any]] = Field(default_factory=new_list, sa_column=Column(JSON))
    matcher_version: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class Judgement(SQLModel, table=True):
    """A human decision on a record/employer pair; always wins over the machine."""

    id: int | None = Field(default=None, primary_key=True)
    record_fingerprint: str = Field(index=True)
    employer_number: str | None = Field(default=None, index=True)
    employer_id: int | None = Field(default=None, foreign_key="employer.id")
    verdict: str  # positive | negative | unsure
    user: str
    at: datetime = Field(default_factory=utcnow)
    matcher_version: str = ""
    note: str = ""


class Signal(SQLModel, table=True):
    """A finding worth an inspector's time. Idempotent on ``key``."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True)
    rule: str = Field(index=True)
    severity: str = Field(index=True)  # low | medium | high
    title: str
    rationale: str
    subject_type: str  # employer | record | person
    subject_key: str
    employer_id: int | None = Field(default=None, foreign_key="employer.id", index=True)
    district: str | None = Field(default=None, index=True)
    status: str = Field(default="new", index=True)  # new | in_review | confirmed | dismissed
    facts: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))
    rule_version: str = "1"
    first_seen: datetime = Field(default_factory=utcnow, index=True)
    last_seen: datetime = Field(default_factory=utcnow)
    occurrences: int = 1
    # Triage (review room): who works on it, and the change sequence that orders every write
    # to the row (set by the mapper listeners at the end of this module; the API's cursor).
    assignee: str | None = Field(default=None, index=True)
    changed_seq: int = Field(default=0, index=True)


class SignalSector(SQLModel, table=True):
    """A NACE section (A–U) of a signal's employer, one row per section: the queue's sector
    filter as an indexed lookup instead of a scan of every employer's codes. Written with the
    signal and rewritten when its employer's codes change (listeners at the end of this
    module); :func:`write_signal_sectors` (no arguments) rebuilds it for existing rows."""

    signal_id: int = Field(foreign_key="signal.id", primary_key=True)
    section: str = Field(primary_key=True, max_length=1)


class SignalEvidence(SQLModel, table=True):
    """Links a signal to the records and captures it rests on."""

    __table_args__ = (UniqueConstraint("signal_id", "record_id", "capture_id"),)

    id: int | None = Field(default=None, primary_key=True)
    signal_id: int = Field(foreign_key="signal.id", index=True)
    record_id: int | None = Field(default=None, foreign_key="record.id")
    capture_id: int | None = Field(default=None, foreign_key="capture.id")


class Dossier(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    case_ref: str | None = None
    created_by: str
    created_at: datetime = Field(default_factory=utcnow)
    notes: str = ""


class DossierItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    signal_id: int | None = Field(default=None, foreign_key="signal.id")
    employer_id: int | None = Field(default=None, foreign_key="employer.id")
    note: str = ""
    added_by: str
    added_at: datetime = Field(default_factory=utcnow)
    person_id: int | None = Field(default=None, foreign_key="person.id")


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True)
    password_hash: str
    role: str = "analyst"  # analyst | reviewer | admin
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained log of every action."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    user: str | None = None
    action: str
    target: str | None = None
    details: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))
    prev_hash: str = ""
    hash: str = ""


class Schedule(SQLModel, table=True):
    """A recurring crawl: which spider, when (cron), with which arguments and purpose."""

    id: int | None = Field(default=None, primary_key=True)
    spider: str
    cron: str
    args: dict[str, Any] = Field(default_factory=new_dict, sa_column=Column(JSON))
    purpose: str = ""
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Seconds a run may take before it is stopped (SIGTERM, then SIGKILL); None: the
    # installation default (``VIGIE_CRAWL_TIME_LIMIT``).
    time_limit: int | None = None


class CrawlLease(SQLModel, table=True):
    """Who runs a crawl right now: one row per running crawl (spider + arguments), so that no
    two processes — two schedulers, a scheduler and an analyst — run the same crawl at once.
    Taken atomically (insert, or a compare-and-set update of an expired row), renewed by a
    heartbeat, deleted at the end; a row whose ``expires_at`` passed, or whose owner process
    is gone, may be taken over (see :mod:`scheduler.lease`). The active scheduler service
    holds one too (spider ``scheduler``), so that a second one waits as a standby."""

    key: str = Field(primary_key=True)  # "<spider>:<hash of its arguments>"
    spider: str = Field(index=True)
    owner: str  # "<host>:<pid>:<random>" of the process holding it
    run_id: int | None = None  # the CrawlRun it runs (set once the run is recorded)
    acquired_at: datetime = Field(default_factory=utcnow)
    heartbeat_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(default_factory=utcnow)


class EntityCluster(SQLModel, table=True):
    """Records that are one entity: one job ad seen on several boards or reposted, or one
    service provider behind listings under several names. Rebuilt from the records by
    ``pipelines.clustering.rebuild_clusters`` (records are never modified); ``key`` is
    ``"<kind>:<smallest record id>"`` so a cluster keeps its id across rebuilds."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True)
    kind: str = Field(index=True)  # job_ad (same ad) | listing (same provider)
    label: str
    algorithm_version: str
    member_count: int = 0
    sources: list[str] = Field(default_factory=new_list, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ClusterMember(SQLModel, table=True):
    """A record's place in a cluster and the link that put it there (score + reason)."""

    __table_args__ = (UniqueConstraint("kind", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int = Field(foreign_key="entitycluster.id", index=True)
    record_id: int = Field(foreign_key="record.id", index=True)
    kind: str
    score: float
    reason: str
    linked_to: int | None = None  # the record id at the other end of that link
    links: list[dict[str, Any]] = Field(default_factory=new_list, sa_column=Column(JSON))


class SignalComment(SQLModel, table=True):
    """A remark of the detection team on a signal (audited as ``signal.comment``)."""

    id: int | None = Field(default=None, primary_key=True)
    signal_id: int = Field(foreign_key="signal.id", index=True)
    user: str
    at: datetime = Field(default_factory=utcnow)
    text: str


class ApiToken(SQLModel, table=True):
    """A personal API token: only the SHA-256 of the secret is kept (the secret is shown once).
    A request with ``Authorization: Bearer <secret>`` acts as ``user_id`` with that user's role."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str
    token_hash: str = Field(index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ChangeSequence(SQLModel, table=True):
    """Named monotonic counters; ``signal`` numbers every insert/update of a signal row."""

    name: str = Field(primary_key=True)
    value: int = 0


# The queue's common filter + sort combinations (see benchmarks/bench_queue.py).
Index("ix_signal_last_seen_id", Signal.last_seen, Signal.id)
Index("ix_signal_status_last_seen", Signal.status, Signal.last_seen)
Index("ix_signal_severity_last_seen", Signal.severity, Signal.last_seen)
Index("ix_signal_rule_last_seen", Signal.rule, Signal.last_seen)
Index("ix_signal_district_last_seen", Signal.district, Signal.last_seen)
Index("ix_signal_assignee_last_seen", Signal.assignee, Signal.last_seen)
Index("ix_signal_status_severity_last_seen", Signal.status, Signal.severity, Signal.last_seen)
Index("ix_signal_status_assignee_last_seen", Signal.status, Signal.assignee, Signal.last_seen)
Index("ix_signal_occurrences_last_seen_id", Signal.occurrences, Signal.last_seen, Signal.id)
Index("ix_signalsector_section_signal", SignalSector.section, SignalSector.signal_id)


def _advance_signal_seq(connection: Any, count: int = 1) -> int:
    """Take ``count`` values of the ``signal`` counter inside the writer's transaction; the
    last one taken. The UPDATE holds the counter row's lock until commit, so sequence order
    is commit order."""
    table = ChangeSequence.__table__
    updated = connection.execute(
        update(table).where(table.c.name == "signal").values(value=table.c.value + count))
    if updated.rowcount == 0:
        connection.execute(insert(table).values(name="signal", value=count))
    return int(connection.execute(
        select(table.c.value).where(table.c.name == "signal")).scalar_one())


_SEQ_BLOCK = "vigie_signal_seq"  # session.info key: the values a flush reserved, [next, last]


@event.listens_for(OrmSession, "before_flush")
def _reserve_signal_seq(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Reserve, in one statement, the counter values the signals of this flush will take
    (a batch of findings flushes hundreds at once), instead of two statements per signal."""
    session.info.pop(_SEQ_BLOCK, None)  # a failed flush's block is never reused
    count = sum(isinstance(o, Signal) for o in session.new) + sum(
        isinstance(o, Signal) and session.is_modified(o, include_collections=False)
        for o in session.dirty)
    if count:
        last = _advance_signal_seq(session.connection(), count)
        session.info[_SEQ_BLOCK] = [last - count + 1, last]


@event.listens_for(OrmSession, "after_flush_postexec")
def _release_signal_seq(session: OrmSession, _context: Any) -> None:
    session.info.pop(_SEQ_BLOCK, None)  # unused values are gaps; order is what counts


def _next_signal_seq(connection: Any, target: Signal) -> int:
    session = object_session(target)
    block = session.info.get(_SEQ_BLOCK) if session is not None else None
    if block and block[0] <= block[1]:
        block[0] += 1
        return block[0] - 1
    return _advance_signal_seq(connection)


@event.listens_for(Signal, "before_insert")
def _signal_inserted(_mapper: Any, connection: Any, target: Signal) -> None:
    target.changed_seq = _next_signal_seq(connection, target)


@event.listens_for(Signal, "before_update")
def _signal_updated(_mapper: Any, connection: Any, target: Signal) -> None:
    session = object_session(target)
    if session is not None and not session.is_modified(target, include_collections=False):
        return
    target.changed_seq = _next_signal_seq(connection, target)


# -- the sector of a signal (SignalSector), kept in step with the signal and its employer ------
def write_signal_sectors(connection: Any, signal_ids: list[int] | None = None,
                         employer_ids: list[int] | None = None, *, replace: bool = True) -> int:
    """(Re)write the SignalSector rows of the given signals, or of every signal of the given
    employers, from ``Employer.nace_codes``; both ``None``: every signal (the backfill a
    migration calls). Returns the number of rows written. Plain Core statements on
    ``connection``: usable from a mapper listener, a migration, or a bulk register import
    that bypasses the ORM (pass the employers whose codes it changed). ``replace=False``
    skips deleting the old rows (a signal just inserted has none)."""
    sig, emp, sec = Signal.__table__, Employer.__table__, SignalSector.__table__
    query = (select(sig.c.id, emp.c.nace_codes)
             .join(emp, sig.c.employer_id == emp.c.id).order_by(sig.c.id))
    if signal_ids is not None:
        if replace:
            connection.execute(delete(sec).where(sec.c.signal_id.in_(signal_ids)))
        query = query.where(sig.c.id.in_(signal_ids))
    elif employer_ids is not None:
        connection.execute(delete(sec).where(sec.c.signal_id.in_(
            select(sig.c.id).where(sig.c.employer_id.in_(employer_ids)))))
        query = query.where(sig.c.employer_id.in_(employer_ids))
    else:
        connection.execute(delete(sec))
    written = 0
    batch: list[dict[str, Any]] = []
    for signal_id, codes in connection.execute(query):
        batch += [{"signal_id": signal_id, "section": s} for s in sections_of(codes)]
        if len(batch) >= 5000:
            connection.execute(insert(sec), batch)
            written += len(batch)
            batch = []
    if batch:
        connection.execute(insert(sec), batch)
        written += len(batch)
    return written


@event.listens_for(OrmSession, "after_flush")
def _signal_sectors_inserted(session: OrmSession, _context: Any) -> None:
    """The sectors of the signals this flush inserted, in one statement pair for all of
    them (a batch of findings inserts hundreds), in the flush's transaction. ``session.new``
    still lists what the flush inserted (SQLAlchemy resets it after this hook)."""
    ids = sorted(o.id for o in session.new
                 if isinstance(o, Signal) and o.id is not None and o.employer_id is not None)
    if ids:
        for start in range(0, len(ids), 500):
            write_signal_sectors(session.connection(), signal_ids=ids[start:start + 500],
                                 replace=False)


@event.listens_for(Signal, "after_update")
def _signal_sectors_updated(_mapper: Any, connection: Any, target: Signal) -> None:
    if attributes.get_history(target, "employer_id").has_changes():
        write_signal_sectors(connection, signal_ids=[target.id])


@event.listens_for(Signal, "before_delete")
def _signal_sectors_deleted(_mapper: Any, connection: Any, target: Signal) -> None:
    table = SignalSector.__table__
    connection.execute(delete(table).where(table.c.signal_id == target.id))


@event.listens_for(Employer, "after_update")
def _employer_sectors_updated(_mapper: Any, connection: Any, target: Employer) -> None:
    if attributes.get_history(target, "nace_codes").has_changes():
        write_signal_sectors(connection, employer_ids=[target.id])
