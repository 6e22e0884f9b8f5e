"""The hash-chained audit log: every action appended, any later edit detectable.

Each :class:`~storage.models.AuditEvent` carries ``hash = sha256(prev_hash + canonical JSON of
the event)``, where ``prev_hash`` is the hash of the event before it (a fixed genesis value for
the first). Changing, removing or reordering a row breaks the chain from that row on, which
:func:`verify_chain` reports. (Removing the *last* rows cannot be seen from the table alone: an
exported head hash, kept elsewhere, is what anchors the end of the chain.)

Appending is safe with several writers: on PostgreSQL a transaction-scoped advisory lock
serialises appenders; on SQLite the new row is inserted *before* the tail is read, so the
transaction already holds SQLite's single write lock and no other appender can slip in between.
The caller commits (the event belongs to the caller's transaction, so an action and its audit
row are stored together or not at all).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, select

from storage.models import AuditEvent, utcnow

GENESIS_HASH = "0" * 64
_PG_LOCK_KEY = 0x5649474945  # "VIGIE": the advisory lock id shared by every appender


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept, non-JSON types as strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The part of an event the hash covers (everything but the two hash columns)."""
    at = event.at.isoformat(timespec="microseconds") if event.at else None
    return {
        "id": event.id,
        "at": at,
        "user": event.user,
        "action": event.action,
        "target": event.target,
        "details": event.details or {},
    }


def compute_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appenders on PostgreSQL (SQLite is serialised by its write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def append_event(
    session: Session,
    user: str | None,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction; return it (flushed)."""
    _lock_chain(session)
    # Store exactly what is hashed: details pass through canonical JSON once.
    clean_details = json.loads(canonical_json(details or {}))
    at = at or utcnow()
    # Hash exactly what the database gives back: an aware UTC time.
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    event = AuditEvent(at=at, user=user, action=action, target=target,
                       details=clean_details, prev_hash="", hash="")
    session.add(event)
    session.flush()  # the INSERT takes the write lock before the tail is read
    previous = session.exec(
        select(AuditEvent).where(AuditEvent.id < event.id).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    event.prev_hash = previous.hash if previous is not None else GENESIS_HASH
    event.hash = compute_hash(event.prev_hash, event_payload(event))
    session.add(event)
    session.flush()
    return event


def verify_chain(session: Session) -> list[str]:
    """Walk the whole log in order; return one sentence per problem (empty list: intact)."""
    problems: list[str] = []
    expected_prev = GENESIS_HASH
    previous_id: int | None = None
    statement = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    for event in session.exec(statement):
        if event.prev_hash != expected_prev:
            where = f"event {previous_id}" if previous_id is not None else "the chain start"
            problems.append(
                f"audit event {event.id}: its previous-hash does not match {where} "
                "(a row was removed, inserted or reordered)"
            )
        if compute_hash(event.prev_hash, event_payload(event)) != event.hash:
            problems.append(
                f"audit event {event.id}: its hash does not match its content (the row was altered)"
            )
        expected_prev = event.hash
        previous_id = event.id
    return problems


def chain_head(session: Session) -> tuple[int, str]:
    """(number of events, hash of the last one): note it down (or print it in a report) to
    detect later the one tampering the chain cannot show by itself — removal of the last rows."""
    last = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    count = session.exec(select(func.count()).select_from(AuditEvent)).one()
    return int(count), last.hash if last is not None else GENESIS_HASH
