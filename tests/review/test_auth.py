"""Authentication, anonymous access, throttling and CSRF of the review app."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from review import ReviewError, TooManyAttempts
from review.auth import (
    LoginThrottle,
    authenticate,
    create_user,
    hash_password,
    safe_next,
    verify_password,
)
from storage.models import AuditEvent, User
from tests.review.conftest import PASSWORD, csrf_from, login

PUBLIC = ("/login", "/healthz")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_refuses_anonymous_users(app, client: TestClient) -> None:
    checked = 0
    for route in iter_route_contexts(app.routes):
        path, methods = route.path, route.methods
        if not path or not methods or path in PUBLIC or path.startswith("/static"):
            continue
        for method in sorted(methods - {"HEAD"}):
            response = client.request(method, _concrete(path), follow_redirects=False)
            checked += 1
            if path.startswith("/api") or path == "/openapi.json":
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.json()["error"]["type"] == "LoginRequired"
            elif method == "GET":
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/login?next=")
            else:  # anonymous POSTs are refused (no session: no CSRF token, no user)
                assert response.status_code in (303, 403), (method, path, response.status_code)
                if response.status_code == 303:
                    assert response.headers["location"] == "/login"
    assert checked >= 15  # pages, API, docs: the iteration really saw the routes


def test_public_routes_answer_anonymous_users(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/login").status_code == 200
    css = client.get("/static/review.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


def test_login_with_wrong_then_right_password(client: TestClient, engine) -> None:
    wrong = login(client, password="not the password")
    assert wrong.status_code == 401
    assert "Wrong username or password." in wrong.text
    assert client.get("/signals", follow_redirects=False).status_code == 303
    right = login(client)
    assert right.status_code == 303 and right.headers["location"] == "/signals"
    page = client.get("/signals")
    assert page.status_code == 200 and "alice" in page.text
    with Session(engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["login.failure", "login.success"]


def test_unknown_user_and_inactive_user_cannot_log_in(client: TestClient, engine) -> None:
    assert login(client, username="mallory").status_code == 401
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "rita")).one()
        user.active = False
        s.add(user)
        s.commit()
    assert login(client, username="rita").status_code == 401


def test_session_ends_when_user_is_deactivated(user_client: TestClient, engine) -> None:
    assert user_client.get("/api/signals").status_code == 200
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "alice")).one()
        user.active = False
        s.add(user)
        s.commit()
    assert user_client.get("/api/signals").status_code == 401


def test_login_is_throttled_after_five_failures(client: TestClient) -> None:
    for _ in range(5):
        assert login(client, password="wrong password!").status_code == 401
    throttled = login(client)  # even the right password is refused while locked out
    assert throttled.status_code == 429
    assert "too many failed logins" in throttled.text
    assert login(client, username="rita").status_code == 303  # other users are unaffected


def test_throttle_window_expires() -> None:
    now = [1000.0]
    throttle = LoginThrottle(max_failures=5, window=300, clock=lambda: now[0])
    for _ in range(5):
        throttle.failed("Alice")
    with pytest.raises(TooManyAttempts):
        throttle.check("alice ")
    now[0] += 301
    throttle.check("alice")  # no exception: the failures fell out of the window


def test_post_without_csrf_token_is_forbidden(user_client: TestClient, world) -> None:
    no_token = user_client.post(f"/signals/{world.signal_id}/status",
                                data={"status": "in_review"}, follow_redirects=False)
    assert no_token.status_code == 403
    assert "CSRF" in no_token.text
    bad_token = user_client.post(f"/signals/{world.signal_id}/status",
                                 data={"status": "in_review", "csrf_token": "forged"})
    assert bad_token.status_code == 403
    api = user_client.post(f"/api/signals/{world.signal_id}/status",
                           json={"status": "in_review"})
    assert api.status_code == 403
    assert api.json()["error"]["type"] == "CsrfError"
    assert user_client.post("/logout").status_code == 403
    assert user_client.get(f"/api/signals/{world.signal_id}").json()["signal"]["status"] == "new"


def test_login_form_needs_csrf_token(client: TestClient) -> None:
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/signals", follow_redirects=False).status_code == 303


def test_login_renews_session_and_csrf_token(client: TestClient) -> None:
    before = csrf_from(client.get("/login").text)
    assert login(client).status_code == 303
    after = client.get("/api/session").json()
    assert after["username"] == "alice" and after["role"] == "analyst"
    assert after["csrf_token"] != before


def test_session_cookie_flags(client: TestClient, settings) -> None:
    cookie = client.get("/login").headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert f"Max-Age={settings.session_max_age}" in cookie


def test_logout_ends_the_session(user_client: TestClient) -> None:
    token = user_client.get("/api/session").json()["csrf_token"]
    response = user_client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert user_client.get("/api/signals").status_code == 401


def test_login_redirects_only_to_local_paths(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                           "csrf_token": token, "next": "//evil.example/x"},
                           follow_redirects=False)
    assert response.headers["location"] == "/signals"
    assert safe_next("/signals/3?x=1") == "/signals/3?x=1"
    assert safe_next("https://evil.example") == "/signals"
    assert safe_next("/\\evil.example") == "/signals"


def test_password_hashing_and_user_rules(engine) -> None:
    hashed = hash_password("a long passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long passphrase")
    assert not verify_password(hashed, "a long passphrasE")
    assert not verify_password("not-a-hash", "whatever")
    with Session(engine) as s:
        user = create_user(s, "bob", "0123456789", "reviewer")
        assert user.password_hash != "0123456789"
        with pytest.raises(ReviewError, match="already exists"):
            create_user(s, "bob", "0123456789xyz", "analyst")
        with pytest.raises(ReviewError, match="at least 10"):
            create_user(s, "carol", "short", "analyst")
        with pytest.raises(ReviewError, match="unknown role"):
            create_user(s, "dave", "0123456789", "superuser")
        assert authenticate(s, "bob", "0123456789") is user
        assert authenticate(s, "bob", "012345678") is None


def test_the_product_hashes_at_full_strength_and_upgrades_weaker_hashes_at_login(
    product_hasher, engine, monkeypatch  # noqa: ANN001
) -> None:
    """The rest of tests/review hashes cheaply (see conftest): here, the product's hasher."""
    import review.auth

    assert product_hasher.time_cost >= 3 and product_hasher.memory_cost >= 64 * 1024
    weak = review.auth._hasher.hash("a long passphrase")  # the tests' cheap parameters
    monkeypatch.setattr(review.auth, "_hasher", product_hasher)
    assert hash_password("a long passphrase").startswith(
        f"$argon2id$v=19$m={product_hasher.memory_cost},t={product_hasher.time_cost},")
    with Session(engine) as s:
        s.add(User(username="olga", password_hash=weak, role="analyst"))
        s.commit()
        assert review.auth.authenticate(s, "olga", "a long passphrase") is not None
        stored = s.exec(select(User).where(User.username == "olga")).one().password_hash
    assert stored != weak and not product_hasher.check_needs_rehash(stored)
    assert verify_password(stored, "a long passphrase")
