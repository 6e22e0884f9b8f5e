"""Personal API tokens (create, use, revoke, role, CSRF) and session expiry."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from storage.db import make_engine, upgrade
from storage.models import ApiToken, AuditEvent, Signal, User
from tests.review.conftest import PASSWORD, csrf_from, login
from vigie.cli import app as cli_app


def _new_token(client: TestClient, name: str) -> str:
    page = client.get("/tokens")
    answer = client.post("/tokens", data={"name": name, "csrf_token": csrf_from(page.text)})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    secret = answer.text.split('class="token-secret wrap">')[1].split("</code>")[0]
    assert secret.startswith("vigie_") and len(secret) > 40
    assert secret not in client.get("/tokens").text  # shown once
    return secret


def test_token_lifecycle_role_and_csrf(app, user_client, world, engine) -> None:
    reviewer_client = TestClient(app)
    assert login(reviewer_client, "rita").status_code == 303
    secret = _new_token(user_client, "notebook")
    with Session(engine) as s:
        stored = s.exec(select(ApiToken)).one()
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert stored.last_used_at is None
    bare = TestClient(app)  # no cookie at all
    auth = {"Authorization": f"Bearer {secret}"}
    assert bare.get("/api/signals").status_code == 401
    listed = bare.get("/api/signals", headers=auth)
    assert listed.status_code == 200 and listed.json()["total"] == 4
    # POST without any CSRF token: accepted, since no cookie is involved; acts as alice.
    sid = world.signal_ids["foreign_vat"]
    moved = bare.post(f"/api/signals/{sid}/status", json={"status": "in_review"}, headers=auth)
    assert moved.status_code == 200, moved.text
    with Session(engine) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "signal.status")).one()
        assert event.user == "alice"
        assert s.exec(select(ApiToken)).one().last_used_at is not None
    # The token carries alice's role: an analyst may not decide.
    refused = bare.post(f"/api/signals/{sid}/status",
                        json={"status": "dismissed", "reason": "x"}, headers=auth)
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "Forbidden"
    # Pages ignore the header (tokens are for the API only).
    assert bare.get("/signals", headers=auth, follow_redirects=False).status_code == 303
    # Cookie without CSRF is still refused.
    assert user_client.post(f"/api/signals/{sid}/status",
                            json={"status": "new"}).status_code == 403
    # A wrong token is a 401, never a fall-back to a cookie.
    assert user_client.get("/api/signals",
                           headers={"Authorization": "Bearer vigie_wrong"}).status_code == 401
    # Revoke: the token stops working; someone else cannot revoke it.
    token_id = stored.id
    rita_page = reviewer_client.get("/tokens")
    assert reviewer_client.post(f"/tokens/{token_id}/revoke", data={
        "csrf_token": csrf_from(rita_page.text)}).status_code == 404
    login(user_client)
    page = user_client.get("/tokens")
    assert user_client.post(f"/tokens/{token_id}/revoke", data={
        "csrf_token": csrf_from(page.text)}, follow_redirects=False).status_code == 303
    assert bare.get("/api/signals", headers=auth).status_code == 401
    with Session(engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent)).all()]
        assert "token.create" in actions and "token.revoke" in actions


def test_cli_creates_a_token(settings, engine, password_hash, monkeypatch) -> None:
    upgrade(settings.db_url)
    with Session(engine) as s:
        s.add(User(username="dora", password_hash=password_hash, role="reviewer"))
        s.commit()
    monkeypatch.setenv("VIGIE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("VIGIE_DATABASE_URL", settings.db_url)
    result = CliRunner().invoke(cli_app, ["users", "token", "dora", "--label", "etl"])
    assert result.exit_code == 0, result.output
    secret = [line for line in result.stdout.splitlines() if line.startswith("vigie_")][0]
    with Session(make_engine(settings.db_url)) as s:
        token = s.exec(select(ApiToken)).one()
        assert token.name == "etl" and token.token_hash == hashlib.sha256(
            secret.encode()).hexdigest()
    missing = CliRunner().invoke(cli_app, ["users", "token", "nobody", "--label", "x"])
    assert missing.exit_code == 1


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_session_expires_after_inactivity_and_absolutely(app, client, settings) -> None:
    clock = Clock()
    app.state.clock = clock
    assert login(client).status_code == 303
    assert client.get("/api/session").status_code == 200
    clock.now += settings.session_idle_minutes * 60 - 5  # just within the idle limit
    assert client.get("/api/session").status_code == 200
    clock.now += settings.session_idle_minutes * 60 + 5  # idle too long
    gone = client.get("/api/session")
    assert gone.status_code == 401 and "without activity" in gone.json()["error"]["message"]
    assert client.get("/signals", follow_redirects=False).headers["location"].startswith(
        "/login")
    # Absolute limit: active every 30 minutes, still ends session_max_age after login.
    assert login(client).status_code == 303
    assert client.get("/api/session").status_code == 200
    steps = settings.session_max_age // 1800
    for _ in range(steps):
        clock.now += 1800
        assert client.get("/api/session").status_code == 200
    clock.now += 1800
    ended = client.get("/api/session")
    assert ended.status_code == 401 and "maximum length" in ended.json()["error"]["message"]
    with Session(app.state.engine) as s:  # nothing was changed on the way
        assert s.exec(select(Signal).where(Signal.status != "new")).first() is None
    assert PASSWORD  # the fixture password logs in again afterwards
    assert login(client).status_code == 303
