"""Tabular exports of signals (CLI); spreadsheet formulas in scraped text are neutralised."""

from __future__ import annotations

import csv
from typing import IO, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.models import Signal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix a quote to text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def signal_rows(
    engine: Engine, rule: str | None = None, status: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    with Session(engine) as session:
        query = select(Signal)
        if rule:
            query = query.where(Signal.rule == rule)
        if status:
            query = query.where(Signal.status == status)
        query = query.order_by(Signal.last_seen.desc(), Signal.id.desc()).limit(limit)  # type: ignore[attr-defined]
        return [
            {
                "id": s.id,
                "rule": s.rule,
                "severity": s.severity,
                "status": s.status,
                "title": s.title,
                "rationale": s.rationale,
                "district": s.district,
                "subject": s.subject_key,
                "employer_id": s.employer_id,
                "occurrences": s.occurrences,
                "first_seen": s.first_seen,
                "last_seen": s.last_seen,
            }
            for s in session.exec(query).all()
        ]


def write_csv(out: IO[str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise(v) for k, v in row.items()})
