"""The Alembic migrations create exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import storage.models  # noqa: F401


def test_migrations_match_models(engine):
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == [], f"models and migrations differ; generate a migration: {diff}"


def test_sqlite_runs_in_wal_mode(engine):
    if engine.dialect.name == "postgresql":  # the same suite on PostgreSQL
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW server_version").scalar() >= "15"
        assert "capture" in inspect(engine).get_table_names()
        return
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        fks = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    assert mode == "wal"
    assert fks == 1
    assert "capture" in inspect(engine).get_table_names()


def test_0007_files_existing_signals_under_their_employers_sectors(tmp_path, databases):
    """Signals written before the sector table existed are backfilled by the migration."""
    from sqlalchemy import create_engine, text

    from storage.db import upgrade

    url = databases.url(tmp_path / "old", migrate=False)
    upgrade(url, "0006")
    old = create_engine(url)
    with old.begin() as conn:
        conn.execute(text(
            "INSERT INTO employer (id, name, country, origin, onss_employer, other_names,"
            " nace_codes, updated_at) VALUES (1, 'Bouw NV', 'BE', 'kbo', false, '[]',"
            " '[\"41.201\", \"81.210\"]', '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO signal (id, key, rule, severity, title, rationale, subject_type,"
            " subject_key, status, rule_version, first_seen, last_seen, occurrences,"
            " changed_seq, employer_id) VALUES (7, 'k', 'r', 'high', 't', 'why', 'employer',"
            " '1', 'new', '1', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, 1, 1)"))
    old.dispose()
    upgrade(url)
    new = create_engine(url)
    with new.connect() as conn:
        rows = conn.execute(text("SELECT signal_id, section FROM signalsector ORDER BY section"))
        assert [tuple(r) for r in rows] == [(7, "F"), (7, "N")]
    new.dispose()


def test_head_revision_is_alembics_head() -> None:
    """``storage.db.HEAD_REVISION`` (the fast path of ``upgrade``) names the newest migration."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage.db import HEAD_REVISION, MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_heads() == [HEAD_REVISION]


def test_upgrade_skips_a_database_at_head_and_migrates_one_behind(tmp_path) -> None:
    from storage.db import HEAD_REVISION, schema_revision, upgrade

    url = f"sqlite:///{tmp_path / 'v.sqlite3'}"
    assert schema_revision(url) is None  # a new file: no schema yet
    upgrade(url, "0006")
    assert schema_revision(url) == "0006"
    upgrade(url)
    assert schema_revision(url) == HEAD_REVISION
    upgrade(url)  # at head: nothing to do
    assert schema_revision(url) == HEAD_REVISION


def test_an_unreachable_database_is_a_clear_storage_error() -> None:
    import pytest

    from storage import StorageError
    from storage.db import upgrade

    with pytest.raises(StorageError, match="cannot migrate database"):
        upgrade("postgresql+psycopg://vigie@127.0.0.1:1/nowhere")
