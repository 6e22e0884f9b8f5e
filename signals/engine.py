"""Run the rules and store what they find, idempotently.

Call :func:`detect_record` from the item pipeline after a record and its match are stored, and
:func:`detect_network` after a crawl of register pages (or any batch import of functions).
:func:`detect_records` re-runs the record rules over stored records (after a register refresh or
a human judgement). None of them commits: the caller's ``session_scope`` does.

A signal's ``key`` is ``sha256(rule | subject_type | subject_key | discriminator)[:32]``, so the
same finding always lands on the same row. Seeing it again (:func:`upsert_signal`):

- refreshes ``title``, ``rationale``, ``facts``, ``severity``, ``rule_version``, the employer and
  district, and moves ``last_seen`` forward;
- links the new evidence (record, capture) pairs; ``occurrences`` grows by one only when at
  least one *sighting* (``Finding.evidence``) was not linked before — re-running detection over
  the same captures changes nothing, a new record or a new capture of the same finding counts;
- never touches ``status``: what a human decided (in review, confirmed, dismissed) stays.

Only the ORM is used, so the same code runs on SQLite and PostgreSQL. A concurrent insert of the
same key by another process is absorbed: the insert runs in a savepoint and, on a unique-key
conflict, the existing row is updated instead.

:func:`upsert_signals` applies many findings at once (a crawl's write batch, a network run):
one look-up of the signals and one of their evidence links for the whole batch, the findings
folded in memory in their order, then one flush. The rows it leaves are those
:func:`upsert_signal` leaves when called on each finding in turn (same ids, same links, same
occurrences and dates; only ``changed_seq`` moves once per signal and batch instead of once per
finding). A unique-key conflict with another writer rolls the batch back to its savepoint and
applies the findings one by one instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from types import ModuleType

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from signals import SignalsError
from signals.base import EvidenceRef, Finding, RecordContext
from signals.context import build_context, complete_context
from signals.rules import (
    below_minimum_wage,
    carousel,
    domiciliation,
    exploitation_wording,
    foreign_firm,
    foreign_no_establishment,
    inactive_enterprise,
    recent_enterprise_many_ads,
    reposted_ad,
    sector_risk,
    shared_contact_bankrupt,
    unregistered_employer,
    website_enterprise_number,
)
from storage.models import Record, Signal, SignalEvidence, utcnow

RECORD_RULES: tuple[ModuleType, ...] = (
    unregistered_employer,
    inactive_enterprise,
    exploitation_wording,
    foreign_firm,
    below_minimum_wage,
    sector_risk,
    foreign_no_establishment,
    website_enterprise_number,
)
NETWORK_RULES: tuple[ModuleType, ...] = (
    carousel,
    shared_contact_bankrupt,
    recent_enterprise_many_ads,
    domiciliation,
    reposted_ad,
)
RULES_BY_ID: dict[str, ModuleType] = {m.RULE: m for m in (*RECORD_RULES, *NETWORK_RULES)}


def as_utc(moment: datetime) -> datetime:
    """Aware UTC (the storage models refuse naive datetimes; naive ones are taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def signal_key(rule: str, subject_type: str, subject_key: str, discriminator: str = "") -> str:
    """The stable identity of a finding (32 hex characters)."""
    material = "\x1f".join((rule, subject_type, subject_key, discriminator))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def _linked(session: Session, signal_id: int) -> set[EvidenceRef]:
    rows = session.exec(
        select(SignalEvidence.record_id, SignalEvidence.capture_id).where(
            SignalEvidence.signal_id == signal_id
        )
    ).all()
    return {(r, c) for r, c in rows}


def _link(session: Session, signal: Signal, refs: Iterable[EvidenceRef]) -> int:
    """Link the refs not yet linked; return how many were new."""
    assert signal.id is not None
    known = _linked(session, signal.id)
    new = 0
    for ref in refs:
        if ref in known or ref == (None, None):
            continue
        session.add(SignalEvidence(signal_id=signal.id, record_id=ref[0], capture_id=ref[1]))
        known.add(ref)
        new += 1
    return new


def _refresh(signal: Signal, finding: Finding) -> None:
    signal.severity = finding.severity
    signal.title = finding.title
    signal.rationale = finding.rationale
    signal.facts = finding.facts
    signal.rule_version = finding.version
    if finding.employer_id is not None:
        signal.employer_id = finding.employer_id
    if finding.district:
        signal.district = finding.district


def _existing(session: Session, key: str) -> Signal | None:
    return session.exec(select(Signal).where(Signal.key == key)).first()


def upsert_signal(session: Session, finding: Finding) -> Signal:
    """Store ``finding`` as a new signal or fold it into the signal with the same key."""
    key = signal_key(finding.rule, finding.subject_type, finding.subject_key, finding.discriminator)
    seen_at = as_utc(finding.seen_at) if finding.seen_at is not None else utcnow()
    signal = _existing(session, key)
    if signal is None:
        signal = _insert(session, key, finding, seen_at)
        if signal is not None:
            _link(session, signal, [*finding.evidence, *finding.support])
            session.flush()
            return signal
        signal = _existing(session, key)  # another writer inserted it meanwhile
        if signal is None:
            raise SignalsError(f"signal {key} vanished after a unique-key conflict")
    assert signal.id is not None
    new_sightings = _link(session, signal, finding.evidence)
    _link(session, signal, finding.support)
    if new_sightings:
        signal.occurrences += 1
    _refresh(signal, finding)
    _widen(signal, seen_at)
    session.add(signal)
    session.flush()
    return signal


def _widen(signal: Signal, seen_at: datetime) -> None:
    """Stretch the signal's first/last seen to include a sighting at ``seen_at``."""
    if seen_at > as_utc(signal.last_seen):
        signal.last_seen = seen_at
    if seen_at < as_utc(signal.first_seen):
        signal.first_seen = seen_at


def _new_signal(key: str, finding: Finding, seen_at: datetime) -> Signal:
    return Signal(
        key=key,
        rule=finding.rule,
        severity=finding.severity,
        title=finding.title,
        rationale=finding.rationale,
        subject_type=finding.subject_type,
        subject_key=finding.subject_key,
        employer_id=finding.employer_id,
        district=finding.district,
        facts=finding.facts,
        rule_version=finding.version,
        first_seen=seen_at,
        last_seen=seen_at,
        occurrences=1,
    )


def _insert(session: Session, key: str, finding: Finding, seen_at: datetime) -> Signal | None:
    signal = _new_signal(key, finding, seen_at)
    savepoint = session.begin_nested()
    try:
        session.add(signal)
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return None
    savepoint.commit()
    return signal


# -- many findings at once --------------------------------------------------------------------
LOOKUP_CHUNK = 500  # keys / ids per IN (...) look-up (SQLite's bound-parameter limit is far)


def _chunks(values: Sequence[object], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[object]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def finding_key(finding: Finding) -> str:
    """The signal key ``finding`` lands on."""
    return signal_key(finding.rule, finding.subject_type, finding.subject_key,
                      finding.discriminator)


def upsert_signals(session: Session, findings: Sequence[Finding]) -> list[Signal]:
    """:func:`upsert_signal` for each finding, in order, with one look-up and one flush for
    the lot; the signal of each finding (a signal found twice is returned twice).

    Runs in a savepoint: if another writer inserted one of the new keys meanwhile, the batch
    is rolled back to it and the findings are applied one by one (each absorbing the
    conflict as :func:`upsert_signal` does)."""
    if not findings:
        return []
    savepoint = session.begin_nested()
    try:
        signals = _apply_batch(session, findings)
    except IntegrityError:
        savepoint.rollback()
        return [upsert_signal(session, finding) for finding in findings]
    savepoint.commit()
    return signals


def _apply_batch(session: Session, findings: Sequence[Finding]) -> list[Signal]:
    keys = [finding_key(f) for f in findings]
    by_key: dict[str, Signal] = {}
    for chunk in _chunks(sorted(set(keys))):
        for signal in session.exec(select(Signal).where(col(Signal.key).in_(chunk))):
            by_key[signal.key] = signal
    linked: dict[str, set[EvidenceRef]] = {key: set() for key in by_key}
    ids = {signal.id: signal.key for signal in by_key.values()}
    for chunk in _chunks(sorted(ids)):  # type: ignore[arg-type]
        rows = session.exec(
            select(SignalEvidence.signal_id, SignalEvidence.record_id,
                   SignalEvidence.capture_id).where(col(SignalEvidence.signal_id).in_(chunk))
        )
        for signal_id, record_id, capture_id in rows:
            linked[ids[signal_id]].add((record_id, capture_id))
    new: list[Signal] = []
    links: list[tuple[Signal, EvidenceRef]] = []  # in the order upsert_signal would add them

    def link(key: str, refs: Iterable[EvidenceRef]) -> int:
        known, added = linked[key], 0
        for ref in refs:
            if ref in known or ref == (None, None):
                continue
            known.add(ref)
            links.append((by_key[key], ref))
            added += 1
        return added

    out: list[Signal] = []
    for key, finding in zip(keys, findings, strict=True):
        seen_at = as_utc(finding.seen_at) if finding.seen_at is not None else utcnow()
        signal = by_key.get(key)
        if signal is None:
            signal = by_key[key] = _new_signal(key, finding, seen_at)
            linked[key] = set()
            new.append(signal)
            link(key, [*finding.evidence, *finding.support])
        else:
            if link(key, finding.evidence):
                signal.occurrences += 1
            link(key, finding.support)
            _refresh(signal, finding)
            _widen(signal, seen_at)
        out.append(signal)
    if new:
        session.add_all(new)
        session.flush()  # the new signals' ids, in finding order
    session.add_all(
        SignalEvidence(signal_id=signal.id, record_id=ref[0], capture_id=ref[1])
        for signal, ref in links
    )
    session.flush()
    return out


def _run(session: Session, findings: Sequence[Finding]) -> list[Signal]:
    signals: dict[int | None, Signal] = {}
    for signal in upsert_signals(session, findings):
        signals.setdefault(signal.id, signal)
    return list(signals.values())


def evaluate_record(
    session: Session,
    ctx: RecordContext,
    rules: Sequence[ModuleType] | None = None,
    judged: Container[str] | None = None,
) -> list[Finding]:
    """The findings of the record rules on one record, nothing stored (see
    :func:`upsert_signals`). ``judged``: the fingerprints of every record with a human
    judgement, when the caller knows them (saves a query per record)."""
    if ctx.record.id is None:
        raise SignalsError("detect_record needs a stored record (flush it first)")
    ctx = complete_context(session, ctx, judged)
    findings: list[Finding] = []
    for rule in rules or RECORD_RULES:
        findings.extend(rule.evaluate(ctx))
    return findings


def detect_record(
    session: Session, ctx: RecordContext, rules: Sequence[ModuleType] | None = None
) -> list[Signal]:
    """Run the record rules on one record; return the signals created or updated."""
    return _run(session, evaluate_record(session, ctx, rules))


def detect_record_id(session: Session, record_id: int) -> list[Signal]:
    """Load a stored record, build its context (matches, judgements) and run the rules."""
    record = session.get(Record, record_id)
    if record is None:
        raise SignalsError(f"no record with id {record_id}")
    return detect_record(session, build_context(session, record))


def detect_records(
    session: Session, kinds: Sequence[str] = ("job_ad", "listing", "website"), batch: int = 500
) -> list[Signal]:
    """Re-run the record rules over every stored record of ``kinds``."""
    signals: dict[int | None, Signal] = {}
    last_id = 0
    while True:
        records = session.exec(
            select(Record)
            .where(col(Record.kind).in_(list(kinds)), col(Record.id) > last_id)
            .order_by(col(Record.id))
            .limit(batch)
        ).all()
        if not records:
            return list(signals.values())
        for record in records:
            for signal in detect_record(session, build_context(session, record)):
                signals.setdefault(signal.id, signal)
        last_id = records[-1].id or last_id


def detect_network(
    session: Session, rules: Sequence[ModuleType] | None = None
) -> list[Signal]:
    """Run the batch rules over the whole register network; return the signals touched."""
    findings: list[Finding] = []
    for rule in rules or NETWORK_RULES:
        findings.extend(rule.evaluate_network(session))
    return _run(session, findings)
