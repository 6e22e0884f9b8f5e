"""The hash-chained audit log: what the app records, and that tampering is detected."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from sqlmodel import Session, select

from storage.audit import GENESIS_HASH, append_event, compute_hash, event_payload, verify_chain
from storage.models import AuditEvent
from tests.review.conftest import login


def test_chain_links_and_verifies(engine) -> None:
    with Session(engine, expire_on_commit=False) as s:
        first = append_event(s, "alice", "login.success", "user:alice", {"client": "127.0.0.1"},
                             at=datetime(2024, 5, 1, 9, 0, 0, 123456, tzinfo=UTC))
        second = append_event(s, "alice", "signal.view", "signal:1", {"via": "page"})
        s.commit()
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert first.hash == compute_hash(GENESIS_HASH, {
        "id": first.id, "at": "2024-05-01T09:00:00.123456+00:00", "user": "alice",
        "action": "login.success", "target": "user:alice", "details": {"client": "127.0.0.1"}})
    with Session(engine) as s:
        stored = s.get(AuditEvent, first.id)
        assert compute_hash(stored.prev_hash, event_payload(stored)) == stored.hash
        assert verify_chain(s) == []


def test_app_actions_are_audited_and_the_chain_holds(user_client: TestClient, world,
                                                     engine) -> None:
    login(user_client, username="rita", password="wrong password")
    user_client.get(f"/signals/{world.signal_id}")
    token = user_client.get("/api/session").json()["csrf_token"]
    user_client.post(f"/api/signals/{world.signal_id}/status", json={"status": "in_review"},
                     headers={"X-CSRF-Token": token})
    with Session(engine) as s:
        events = s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.user, e.action, e.target) for e in events] == [
            ("alice", "login.success", "user:alice"),
            ("rita", "login.failure", "user:rita"),
            ("alice", "signal.view", f"signal:{world.signal_id}"),
            ("alice", "signal.status", f"signal:{world.signal_id}"),
        ]
        assert events[-1].details == {"from": "new", "to": "in_review", "reason": ""}
        assert verify_chain(s) == []


def test_tampered_row_is_detected(engine) -> None:
    with Session(engine) as s:
        ids = [append_event(s, "alice", "signal.status", f"signal:{i}",
                            {"from": "in_review", "to": "dismissed", "reason": "duplicate"}).id
               for i in range(4)]
        s.commit()
    with Session(engine) as s:  # someone rewrites history directly in the database
        s.exec(update(AuditEvent).where(AuditEvent.id == ids[1])
               .values(details={"from": "in_review", "to": "confirmed", "reason": "duplicate"}))
        s.commit()
        assert verify_chain(s) == [
            f"audit event {ids[1]}: its hash does not match its content (the row was altered)"
        ]


def test_removed_row_is_detected(engine) -> None:
    with Session(engine) as s:
        ids = [append_event(s, "alice", "signal.view", f"signal:{i}", {}).id for i in range(3)]
        s.commit()
    with Session(engine) as s:
        s.exec(delete(AuditEvent).where(AuditEvent.id == ids[1]))
        s.commit()
        [problem] = verify_chain(s)
        assert problem.startswith(f"audit event {ids[2]}: its previous-hash does not match "
                                  f"event {ids[0]}")
