"""Engine and session factory. SQLite (WAL) by default, PostgreSQL by URL.

Nothing here runs at import time: callers pass the URL they got from ``Settings``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, create_engine

from storage import StorageError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration's revision (tests/storage/test_migrations.py checks it is Alembic's
# head). A database already there is left alone without loading Alembic: every crawl process
# calls :func:`upgrade` before it starts, and Alembic's import and environment cost a
# quarter of a second of its start-up.
HEAD_REVISION = "0007"


def _sqlite_pragmas(busy_ms: int):  # type: ignore[no-untyped-def]
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.close()

    return on_connect


def make_engine(url: str, busy_timeout: float = 30.0) -> Engine:
    """Create an engine; SQLite files get WAL mode, foreign keys and a generous busy timeout
    (``busy_timeout`` seconds: how long a write waits for a lock before "database is locked";
    the crawl's write path uses a shorter one and retries/spools itself)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_timeout}
        )
        event.listen(engine, "connect", _sqlite_pragmas(int(busy_timeout * 1000)))
        return engine
    return create_engine(url, pool_pre_ping=True)


def schema_revision(url: str) -> str | None:
    """The Alembic revision the database at ``url`` is at; None if it has none (new, empty,
    or several heads)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except (OperationalError, ProgrammingError):  # no alembic_version table (yet)
        return None
    finally:
        engine.dispose()
    return str(rows[0][0]) if len(rows) == 1 else None


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema of the database at ``url`` to ``revision`` with Alembic (nothing to do,
    and Alembic not even loaded, when it is at :data:`HEAD_REVISION` already)."""
    if revision == "head" and schema_revision(url) == HEAD_REVISION:
        return  # (a database that cannot be reached has no revision: Alembic's error below)
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    try:
        command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise StorageError(f"cannot migrate database {url!r}: {exc.orig}") from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
