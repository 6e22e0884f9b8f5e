"""Who may do what: every route of the review app × every role and anonymous.

The matrix below names, for each route, the permission it needs (review/permissions.py). The
first test proves the matrix covers exactly the app's routes and that each non-public route
carries a permission dependency; the second sends a real request per (route, role) and checks
allowed → not refused, refused → 403 (401 / redirect to the login form when anonymous).

The world, the app and its logged-in clients are made once per module (and backend); before
each case the database is put back as it was then (a copy of a snapshot: SQLite's backup,
PostgreSQL's CREATE DATABASE … TEMPLATE), so that every case still starts from the same world,
whatever the cases before it changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from review.app import create_app
from review.permissions import PERMISSIONS, PUBLIC_PATHS, allowed
from storage.db import make_engine
from storage.dossiers import add_item, create_dossier
from storage.models import Dossier, Match, User
from tests.conftest import SECRET
from tests.review.conftest import World, build_world, login
from tests.review.matrix import Case, Ids, collect
from vigie.settings import Settings

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


def test_matrix_covers_every_route_and_every_route_declares_a_permission(
        matrix: Matrix) -> None:
    routes = {(method, path): dep for method, path, dep in _route_contexts(matrix.app)}
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


class Snapshot:
    """The database at ``url`` as it is now; :meth:`restore` puts it back so. SQLite: a copy
    of the file (SQLite's backup). PostgreSQL: a copy of every table in a schema of its own,
    put back by TRUNCATE and INSERT … SELECT in one transaction (a new database from a
    template costs a checkpoint, a quarter of a second)."""

    SCHEMA = "matrix_snapshot"

    def __init__(self, url: str, engine: Engine, folder: Path) -> None:
        self.url, self.engine = url, engine
        self.sqlite = url.startswith("sqlite")
        self.tables = [t.name for t in SQLModel.metadata.sorted_tables]  # parents first
        if self.sqlite:
            self.live, self.saved = Path(make_url(url).database or ""), folder / "snapshot.sqlite3"
            self._copy(self.live, self.saved)
            return
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {self.SCHEMA}"))
            for table in self.tables:
                conn.execute(text(f'CREATE TABLE {self.SCHEMA}."{table}" AS TABLE "{table}"'))

    @staticmethod
    def _copy(source: Path, target: Path) -> None:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)

    def restore(self) -> None:
        if self.sqlite:
            self._copy(self.saved, self.live)
            return
        with self.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in self.tables)))
            for table in self.tables:  # the models' own table names, nothing scraped
                copy = f'INSERT INTO "{table}" SELECT * FROM {self.SCHEMA}."{table}"'  # noqa: S608
                conn.execute(text(copy))


@dataclass
class Matrix:
    app: FastAPI
    engine: Engine
    world: World
    clients: dict[str, TestClient]
    snapshot: Snapshot  # the database as it was once the world was made


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory, databases: Any,
           password_hash: str) -> Iterator[Matrix]:
    folder = tmp_path_factory.mktemp("matrix")
    data_dir = folder / "var"
    url = databases.url(data_dir)  # migrated
    settings = Settings(data_dir=data_dir, secret_key=SECRET, database_url=url)
    settings.ensure_dirs()
    engine = make_engine(url)
    world = build_world(settings, engine)
    with Session(engine) as s:
        for name, role in (("alice", "analyst"), ("rita", "reviewer"), ("adam", "admin")):
            s.add(User(username=name, password_hash=password_hash, role=role))
        s.commit()
    snapshot = Snapshot(url, engine, folder)
    app = create_app(settings, engine)
    clients: dict[str, TestClient] = {}
    try:
        for who in ("anonymous", *ROLES):
            client = TestClient(app)
            client.__enter__()
            clients[who] = client
            if who != "anonymous":
                assert login(client, USERS[who]).status_code == 303
        yield Matrix(app, engine, world, clients, snapshot)
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
        engine.dispose()


@pytest.fixture
def fresh(matrix: Matrix) -> Matrix:
    """The module's app and clients on the world as it was made (each case starts there)."""
    matrix.snapshot.restore()
    with Session(matrix.engine) as s:  # what the case before made is gone
        assert s.exec(select(Dossier)).first() is None
    return matrix


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
def test_route_by_role(case: Case, fresh: Matrix) -> None:
    world, engine, clients = fresh.world, fresh.engine, fresh.clients
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


def test_pages_offer_only_the_actions_of_the_role(fresh: Matrix) -> None:
    clients, world = fresh.clients, fresh.world
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
