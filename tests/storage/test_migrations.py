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
