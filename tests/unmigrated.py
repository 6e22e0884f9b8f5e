"""Bring a migrated test database up to ``storage.models`` while a helper branch adds columns
or tables that no migration creates yet (the integrator writes the migration at merge time).

Adds missing tables, missing nullable/defaulted columns and missing indexes; once the
migration exists this is a no-op. Test-only: real databases are migrated by Alembic.
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)


def sync_unmigrated(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)  # tables that do not exist yet, with their indexes
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                default = column.default.arg if column.default is not None else None
                clause = f" DEFAULT {default!r}" if isinstance(default, int | str) else ""
                conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN '
                                  f'"{column.name}" {kind}{clause}'))
            indexes = {i["name"] for i in inspect(conn).get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in indexes:
                    conn.execute(CreateIndex(index))
