"""Match any employer list (CSV) against the register: one output row per input row.

The input is read with the same tolerance as a register CSV import
(:class:`entity_resolution.csv_register.EmployerCsv`: delimiter and encoding sniffed, numbers
repaired, bad lines reported). The output keeps every input column, in the input's delimiter,
as UTF-8 with a BOM (so spreadsheets show accents), followed by:

- ``match_id`` — the register's enterprise number (``0123.456.789``), or ``employer-id:<id>``
  for a register employer without one; empty when there is no candidate;
- ``match_name`` — the register's name;
- ``outcome`` — ``match`` | ``possible`` | ``none`` (a line that could not be read is ``none``);
- ``score`` — two decimals;
- ``explanation`` — the reasons of the matcher's features joined with ``" | "``, or the reason
  the line could not be used, plus any repair notes.

Every written cell (header included) goes through :func:`vigie.exports.neutralise`, so a name
such as ``=HYPERLINK(...)`` cannot run as a formula in the analyst's spreadsheet.
"""

from __future__ import annotations

import csv
import os
from itertools import islice
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session

from entity_resolution.csv_register import CsvRow, EmployerCsv
from entity_resolution.identifiers import format_enterprise_number
from entity_resolution.matcher import Candidate, Matcher, MatchQuery
from pipelines.register_sync import build_matcher
from storage.db import make_engine, upgrade
from vigie.exports import neutralise
from vigie.settings import Settings

OUTPUT_COLUMNS = ("match_id", "match_name", "outcome", "score", "explanation")
# Rows are matched in chunks; a chunk with enough rows is shared out to forked workers.
CHUNK_ROWS = 5_000
MIN_ROWS_FOR_WORKERS = 1_000
WORKERS = min(4, os.cpu_count() or 1)


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 16), b""))


def _query(row: CsvRow) -> MatchQuery:
    assert row.entry is not None
    return MatchQuery(
        name=row.entry.name,
        number=row.number or row.vat,
        phone=row.entry.phone,
        email=row.entry.email,
        website=row.entry.website,
        postcode=row.entry.postcode,
        municipality=row.entry.municipality,
        source="the list",
    )


def _match_id(candidate: Candidate, matcher: Matcher) -> str:
    entry = candidate.entry or matcher.entry(candidate.key)
    if entry.enterprise_number:
        return format_enterprise_number(entry.enterprise_number)
    return f"employer-id:{candidate.key}"


def _result(row: CsvRow, matcher: Matcher, candidates: list[Candidate] | None) -> list[str]:
    if row.entry is None or candidates is None:
        return ["", "", "none", "0.00", " | ".join(row.problems)]
    notes = [f"input: {note}" for note in row.notes]
    if not candidates:
        reason = "No register entry reached the possible-match threshold."
        return ["", "", "none", "0.00", " | ".join([reason, *notes])]
    best = candidates[0]
    entry = best.entry or matcher.entry(best.key)
    reasons = [f.reason for f in best.explanation]
    return [
        _match_id(best, matcher),
        entry.name,
        best.outcome,
        f"{best.score:.2f}",
        " | ".join([*reasons, *notes]),
    ]


def match_csv(
    settings: Settings,
    in_path: Path,
    out_path: Path,
    name_col: str,
    number_col: str | None = None,
    address_col: str | None = None,
    postcode_col: str | None = None,
    phone_col: str | None = None,
    encoding: str | None = None,
    console: Console | None = None,
    email_col: str | None = None,
    website_col: str | None = None,
) -> dict[str, int]:
    """Match every row of ``in_path`` against the register; write ``out_path``.

    Returns ``{"match": n, "possible": n, "none": n, "problems": n}`` (``problems`` counts the
    lines that could not be read; they are also in ``none``). Raises
    :class:`entity_resolution.EntityResolutionError` when the input or a column is missing.
    """
    reader = EmployerCsv(
        Path(in_path), name_col, number_col, address_col, postcode_col, phone_col, None,
        encoding, email_col, website_col,
    )
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            matcher = build_matcher(session)
    finally:
        engine.dispose()
    counts = {"match": 0, "possible": 0, "none": 0}
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=console is None,
    )
    total = max(_count_lines(reader.path) - 1, 0) if console is not None else None
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with progress, out_path.open("w", encoding="utf-8-sig", newline="") as out:
        task = progress.add_task(f"matching {reader.path.name}", total=total)
        writer = csv.writer(out, delimiter=reader.delimiter)
        writer.writerow([neutralise(c) for c in [*reader.header, *OUTPUT_COLUMNS]])
        rows = reader.rows()
        while chunk := list(islice(rows, CHUNK_ROWS)):
            queries = [_query(row) for row in chunk if row.entry is not None]
            workers = WORKERS if len(queries) >= MIN_ROWS_FOR_WORKERS else 1
            found = iter(matcher.match_many(queries, workers=workers))
            for row in chunk:
                candidates = next(found) if row.entry is not None else None
                result = _result(row, matcher, candidates)
                counts[result[2]] += 1
                writer.writerow([neutralise(c) for c in [*row.cells, *result]])
            progress.update(task, completed=chunk[-1].line - 1)
    counts["problems"] = len(reader.problems)
    if console is not None:
        console.print(
            f"read {reader.path.name} as {reader.encoding}, delimiter {reader.delimiter!r}; "
            f"matched against {len(matcher)} register entries"
        )
    return counts
