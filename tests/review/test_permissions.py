"""Who may do what: every route of the review app × every role and anonymous.

The matrix below names, for each route, the permission it needs (review/permissions.py). The
first test proves the matrix covers exactly the app's routes and that each non-public route
carries a permission dependency; the second sends a real request per (route, role) and checks
allowed → not refused, refused → 403 (401 / redirect to the login form when anonymous).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from review.permissions import PERMISSIONS, PUBLIC_PATHS, allowed
from storage.dossiers import add_item, create_dossier
from storage.models import Match, User
from tests.review.conftest import login
from tests.review.matrix import Case, Ids, collect

ROLES = ("analyst", "reviewer", "admin")
USERS = {"analyst": "alice", "reviewer": "rita", "admin": "adam"}


MATRIX: list[Case] = collect()
# POST /login is the way in: tested in test_auth.py (throttling, CSRF, bad passwords).
NOT_IN_MATRIX = {("POST", "/login")}


def _route_contexts(app) -> Iterator[tuple[str, str, Any]]:  # noqa: ANN001
    """(method, path, dependant) of every HTTP route, whatever FastAPI's router layout."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            contexts = route.effective_route_contexts()
        elif hasattr(route, "dependant"):
            contexts = [route]
        else:
            continue  # the /static mount
        for ctx in contexts:
            for method in sorted(ctx.methods or ()):
                yield method, ctx.path, ctx.dependant


def _permissions_of(dependant) -> set[str]:  # noqa: ANN001
    found: set[str] = set()
    stack = [dependant]
    while stack:
        dep = stack.pop()
        permission = getattr(dep.call, "vigie_permission", None)
        if permission:
            found.add(permission)
        stack.extend(dep.dependencies)
    return found


def test_matrix_covers_every_route_and_every_route_declares_a_permission(app) -> None:
    routes = {(method, path): dep for method, path, dep in _route_contexts(app)}
    in_matrix = {(c.method, c.path) for c in MATRIX} | NOT_IN_MATRIX
    assert set(routes) == in_matrix, "a route was added or removed: extend the matrix"
    for (method, path), dependant in routes.items():
        if path in PUBLIC_PATHS:
            assert not _permissions_of(dependant), f"{method} {path} is public"
            continue
        declared = _permissions_of(dependant)
        assert declared, f"{method} {path} declares no permission"
        expected = {c.permission for c in MATRIX if (c.method, c.path) == (method, path)}
        # a route may check a stricter permission inside (status → decide): the matrix lists it
        assert declared <= expected | {"view"}, (method, path, declared, expected)


def test_every_permission_is_granted_to_someone_and_admins_do_not_decide() -> None:
    assert all(PERMISSIONS[p] for p in PERMISSIONS)
    assert allowed("reviewer", "decide") and not allowed("analyst", "decide")
    assert not allowed("admin", "decide") and allowed("admin", "administer")
    assert not allowed("analyst", "export") and allowed("reviewer", "export")
    assert not allowed("intruder", "view") and not allowed("reviewer", "no-such-permission")


@pytest.fixture
def clients(app, password_hash: str) -> Iterator[dict[str, TestClient]]:  # noqa: ANN001
    with Session(app.state.engine) as s:
        s.add(User(username="adam", password_hash=password_hash, role="admin"))
        s.commit()
    out: dict[str, TestClient] = {}
    try:
        for who in ("anonymous", *ROLES):
            client = TestClient(app)
            client.__enter__()
            out[who] = client
            if who != "anonymous":
                assert login(client, USERS[who]).status_code == 303
        yield out
    finally:
        for client in out.values():
            client.__exit__(None, None, None)


def _send(client: TestClient, case: Case, ids: Ids) -> Any:
    url = case.url(ids)
    if case.method == "GET":
        return client.get(url, follow_redirects=False)
    body = case.body(ids) if case.body else {}
    token = client.get("/api/session").json().get("csrf_token") if client.cookies else None
    if url.startswith("/api/"):
        headers = {"X-CSRF-Token": token} if token else {}
        return client.post(url, json=body, headers=headers, follow_redirects=False)
    return client.post(url, data={**body, "csrf_token": token or ""}, follow_redirects=False)


@pytest.mark.parametrize("case", MATRIX, ids=lambda c: f"{c.method} {c.path} [{c.permission}]")
def test_route_by_role(case: Case, clients: dict[str, TestClient], world, engine) -> None:
    with Session(engine) as s:
        match_id = s.exec(select(Match).where(Match.record_id == world.record_id)).one().id
        dossier = create_dossier(s, "Matrix", "rita")
        item = add_item(s, dossier.id, "rita", note="to be removed")
        s.commit()
        ids = Ids(world, match_id, dossier.id, item.id, engine)
    for who, client in clients.items():
        response = _send(client, case, ids)
        code = response.status_code
        if case.permission is None:
            assert code == 200, (who, code)
        elif who == "anonymous" and case.method == "POST":  # no session, so no CSRF token either
            assert code in (401, 403) or (code == 303 and response.headers["location"] == "/login")
        elif who == "anonymous":
            if case.path.startswith("/api/") or case.path == "/openapi.json":
                assert code == 401, (who, code)
            else:  # pages send the browser to the login form
                assert code == 303 and response.headers["location"].startswith("/login"), code
        elif allowed(who, case.permission):
            assert code not in (401, 403), (who, code, response.text[:300])
            assert code < 500, (who, code)
        else:
            assert code == 403, (who, code, response.text[:300])
            if case.path.startswith("/api/"):
                assert response.json()["error"]["type"] == "Forbidden"
        if case.path == "/logout" and code == 303:  # logged out: log back in for the next case
            assert login(client, USERS[who]).status_code == 303


def test_pages_offer_only_the_actions_of_the_role(clients: dict[str, TestClient], world) -> None:
    url = f"/signals/{world.signal_id}"
    analyst = clients["analyst"].get(url).text
    assert 'class="status-form"' in analyst and 'class="judgement-form"' not in analyst
    assert clients["analyst"].post(f"{url}/status", data={
        "status": "in_review", "csrf_token": clients["analyst"].get("/api/session").json()[
            "csrf_token"]}, follow_redirects=False).status_code == 303
    analyst = clients["analyst"].get(url).text  # in review: next steps are decisions (or back)
    assert '<option value="dismissed">' not in analyst and '<option value="new">' in analyst
    reviewer = clients["reviewer"].get(url).text
    assert 'class="judgement-form"' in reviewer and '<option value="dismissed">' in reviewer
    admin = clients["admin"].get(url).text
    assert 'class="status-form"' not in admin and 'class="judgement-form"' not in admin
