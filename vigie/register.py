"""Register imports (composes entity_resolution readers with storage)."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlmodel import Session

from entity_resolution.csv_register import EmployerCsv
from entity_resolution.register import ImportReport
from pipelines.register_sync import import_keyed_entries
from pipelines.register_update import import_kbo_extract
from storage.db import make_engine, upgrade
from vigie.settings import Settings


def import_kbo(
    settings: Settings,
    path: Path,
    console: Console | None = None,
    full: bool = True,
    force: bool = False,
) -> dict[str, int]:
    """Stream a KBO Open Data extract into the Employer table, incrementally.

    A full extract (``enterprise.csv`` …) returns ``{"new", "changed", "unchanged",
    "struck_off", "duplicates", "problems"}``; ``full`` (a complete dump) strikes off stored
    KBO enterprises the dump no longer lists. An update extract (``*_delete.csv`` /
    ``*_insert.csv``) changes only the enterprises it touches and returns ``{"new",
    "changed", "unchanged", "struck_off", "not_in_register", "problems"}``. The extract number
    of meta.csv is recorded; an update already applied or out of sequence (and a full extract
    older than the register) raises :class:`entity_resolution.kbo_update.ExtractOrderError`
    before anything is written, unless ``force``. With a console, a live line shows
    enterprises read and the rate per second, then the first problems of the dump are
    printed. Raises :class:`entity_resolution.EntityResolutionError` when there is no dump
    at ``path``.
    """
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    report = ImportReport()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:>10,.0f} enterprises"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        disable=console is None,
    )
    started = time.perf_counter()
    try:
        with progress, Session(engine) as session:
            task = progress.add_task("importing KBO register", total=None, rate="")

            def show(read: int) -> None:
                rate = read / max(time.perf_counter() - started, 1e-6)
                progress.update(task, completed=read, rate=f"{rate:,.0f}/s")

            meta, counts = import_kbo_extract(
                session, path, report, full=full, force=force, progress=show
            )
    finally:
        engine.dispose()
    counts["problems"] = report.problem_count
    if console is not None:
        elapsed = time.perf_counter() - started
        number = f" {meta.number}" if meta.number is not None else " (no meta.csv)"
        snapshot = f", snapshot {meta.snapshot_date.isoformat()}" if meta.snapshot_date else ""
        console.print(f"KBO {meta.extract_type} extract{number}{snapshot}")
        console.print(
            f"read {report.enterprises:,} enterprises in {elapsed:.1f} s "
            f"({report.enterprises / max(elapsed, 1e-6):,.0f}/s)"
        )
        for problem in report.problems[:50]:
            console.print(f"{problem.file} line {problem.line}: {problem.message}", markup=False)
        if report.problem_count > 50:
            console.print(f"… and {report.problem_count - 50} more problems")
    return counts


def import_csv(
    settings: Settings,
    path: Path,
    name_col: str,
    number_col: str | None = None,
    address_col: str | None = None,
    postcode_col: str | None = None,
    phone_col: str | None = None,
    id_col: str | None = None,
    encoding: str | None = None,
    console: Console | None = None,
    email_col: str | None = None,
    website_col: str | None = None,
) -> dict[str, int]:
    """Import any employer list (CSV) into the register; re-importing it updates, never doubles.

    Returns ``{"new", "updated", "problems", "repaired_numbers"}``. Bad lines are skipped and
    printed (file, line, why) on ``console``; the encoding and delimiter read are printed too.
    Raises :class:`entity_resolution.EntityResolutionError` when the file or a column is missing.
    """
    reader = EmployerCsv(
        Path(path), name_col, number_col, address_col, postcode_col, phone_col, id_col,
        encoding, email_col, website_col,
    )
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
            task = progress.add_task(f"importing {reader.path.name}", total=None)

            def counted(rows):  # type: ignore[no-untyped-def]
                for n, row in enumerate(rows, 1):
                    if n % 500 == 0:
                        progress.update(task, description=f"importing {reader.path.name}: {n}")
                    yield row

            counts = import_keyed_entries(session, counted(reader.entries()), origin="csv")
    finally:
        engine.dispose()
    counts["problems"] = len(reader.problems)
    counts["repaired_numbers"] = reader.repaired_numbers
    if console is not None:
        console.print(
            f"read {reader.path.name} as {reader.encoding}, delimiter {reader.delimiter!r}"
        )
        for problem in reader.problems[:200]:
            console.print(f"{problem.file} line {problem.line}: {problem.message}", markup=False)
        if len(reader.problems) > 200:
            console.print(f"… and {len(reader.problems) - 200} more problems")
    return counts


def prepare_matcher(settings: Settings, minimum: int | None = None) -> Path | None:
    """Build the crawls' matcher of the register as it now is, into the folder where crawls
    look for it (:mod:`pipelines.matcher_cache`), so the next crawl does not build it; only
    for a register of at least ``minimum`` employers (smaller ones build in a second at crawl
    start). Returns the file, or ``None`` when the register is too small to need it."""
    from sqlmodel import func, select

    from pipelines.matcher_cache import BACKGROUND_MIN, cache_folder, warm
    from storage.models import Employer

    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            size = int(session.exec(select(func.count()).select_from(Employer)).one())
        if size < (BACKGROUND_MIN if minimum is None else minimum):
            return None
        folder = cache_folder(settings.evidence_dir.parent)
        folder.mkdir(parents=True, exist_ok=True)
        return warm(engine, folder)
    finally:
        engine.dispose()
