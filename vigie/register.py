"""Register imports (composes entity_resolution readers with storage)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlmodel import Session

from entity_resolution.register import read_kbo_opendata
from pipelines.register_sync import import_entries
from storage.db import make_engine, upgrade
from vigie.settings import Settings


def import_kbo(settings: Settings, path: Path, console: Console | None = None) -> dict[str, int]:
    """Stream a KBO Open Data dump into the Employer table (new and refreshed rows)."""
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=console is None,
    )
    try:
        with progress, Session(engine) as session:
            task = progress.add_task("importing KBO register", total=None)

            def counted(entries):  # type: ignore[no-untyped-def]
                for n, entry in enumerate(entries, 1):
                    if n % 500 == 0:
                        progress.update(task, description=f"importing KBO register: {n}")
                    yield entry

            return import_entries(session, counted(read_kbo_opendata(path)))
    finally:
        engine.dispose()
