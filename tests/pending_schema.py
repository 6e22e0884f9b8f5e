"""Columns added to ``storage/models.py`` whose Alembic migration the integrator has not
generated yet: added to a test database by ``ALTER TABLE`` so the room's tests run meanwhile.
A no-op once the migration exists (every column is then already there)."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import make_engine, upgrade


def add_pending_columns(db_url: str) -> list[str]:
    """Migrate ``db_url``, then add any model column still missing; return what was added."""
    upgrade(db_url)
    engine = make_engine(db_url)
    added: list[str] = []
    try:
        present = {
            t: {c["name"] for c in inspect(engine).get_columns(t)}
            for t in inspect(engine).get_table_names()
        }
        with engine.begin() as conn:
            for table in SQLModel.metadata.sorted_tables:
                for column in table.columns:
                    if table.name in present and column.name not in present[table.name]:
                        kind = column.type.compile(engine.dialect)
                        conn.exec_driver_sql(
                            f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                        )
                        added.append(f"{table.name}.{column.name}")
                for index in table.indexes:
                    if any(f"{table.name}.{c.name}" in added for c in index.columns):
                        conn.execute(CreateIndex(index))
    finally:
        engine.dispose()
    return added
