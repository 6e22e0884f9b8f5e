"""Fixtures shared by every room's tests: a fresh Settings, a migrated database.

SQLite by default (a file in the test's data folder). With ``VIGIE_TEST_DATABASE_URL`` set to a
PostgreSQL server (``scripts/pg-test-server.sh`` starts one; ``./run-tests`` runs the database
tests a second time against it), every test gets its own PostgreSQL database, copied from a
template migrated once per session.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from storage.db import make_engine, upgrade
from vigie.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"


PG_URL = os.environ.get("VIGIE_TEST_DATABASE_URL")


def _pg_admin() -> Engine:
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _pg_database_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A PostgreSQL database migrated once, copied for each test (None on SQLite)."""
    if not PG_URL:
        yield None
        return
    name = f"vigie_template_{os.getpid()}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(_pg_database_url(name))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, pg_template: str | None) -> Iterator[Settings]:
    s = Settings(data_dir=tmp_path / "var", secret_key="test-secret-key-0123456789abcdef")
    if pg_template is None:
        s.ensure_dirs()
        yield s
        return
    name = f"vigie_test_{uuid.uuid4().hex[:16]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    s = Settings(data_dir=tmp_path / "var", secret_key="test-secret-key-0123456789abcdef",
                 database_url=_pg_database_url(name))
    s.ensure_dirs()
    yield s
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    upgrade(settings.db_url)
    eng = make_engine(settings.db_url)
    yield eng
    eng.dispose()
