"""Records and signals written per second by the crawl's batched write path, on SQLite and
on PostgreSQL, against the plainest driver-level equivalent (part of ``bench_storage``).

Vigie: what :class:`pipelines.items.PersistPipeline` does per batch — one transaction per
``BATCH`` items; the batch's known records fetched in one query, then
:func:`pipelines.items.upsert_record` per record (insert, flush: the record's id is needed by
its match and its signals); the batch's findings stored together by
:func:`signals.engine.upsert_signals` (one look-up of the signals and one of their evidence
links for the batch, inserts, one flush). Baseline: the same rows through the driver alone,
``executemany`` + commit per batch (``sqlite3`` / ``psycopg``), no look-ups. PostgreSQL is a
throwaway server started here by ``scripts/pg-test-server.sh`` on its own port (fsync off,
as the test server is configured: the figures compare code paths, not disks).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from benchmarks import BenchmarkError
from benchmarks.common import REPO_ROOT, timed
from pipelines.items import fingerprint, upsert_record
from signals.base import Finding
from signals.engine import signal_key, upsert_signals
from storage.db import make_engine, session_scope, upgrade
from storage.models import Capture, Record

BATCH = 100  # the crawl's default VIGIE_WRITE_BATCH
PG_PORT = "54351"
JSON_COLUMNS = ("raw", "provenance", "normalized", "facts")


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server for this benchmark; yields its admin URL."""
    script = REPO_ROOT / "scripts" / "pg-test-server.sh"
    folder = Path(tempfile.mkdtemp(prefix="vigie-bench-pg-"))
    folder.chmod(0o755)  # the server runs as user postgres
    env = {**os.environ, "VIGIE_PG_PORT": PG_PORT, "VIGIE_PG_DIR": str(folder / "pg")}
    started = subprocess.run([str(script)], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise BenchmarkError(f"PostgreSQL did not start: {started.stderr.strip()[-500:]}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(script), "stop"], env=env, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(backend: str, work: Path, name: str, pg_admin: str | None) -> str:
    """A new, migrated database with one capture (id 1) to point at; its URL."""
    if backend == "sqlite":
        path = work / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        from sqlalchemy import create_engine, make_url, text
        from sqlalchemy.pool import NullPool

        assert pg_admin is not None
        admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(pg_admin).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            session.add(
                Capture(url="http://127.0.0.1/", final_url="http://127.0.0.1/", status=200,
                        sha256="0" * 64, warc_file="warc/x.warc.gz", warc_offset=0,
                        warc_length=0)
            )
    finally:
        engine.dispose()
    return url


def _batches(rows: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


# -- Vigie's batched write path ---------------------------------------------------------------
def records_vigie(url: str, rows: Sequence[dict[str, Any]]) -> int:
    engine = make_engine(url)
    try:
        for batch in _batches(rows):
            items = [_item(row) for row in batch]
            with session_scope(engine) as session:
                fps = sorted({fingerprint(item) for item in items})  # as PersistPipeline does
                known = {
                    (r.kind, r.fingerprint): r
                    for r in session.exec(select(Record).where(col(Record.fingerprint).in_(fps)))
                }
                for item in items:
                    upsert_record(session, item, known=known)
    finally:
        engine.dispose()
    return len(rows)


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": row["kind"], "source": row["source"], "url": row["url"],
        "capture_id": row["capture_id"], "language": row["language"], "fields": row["raw"],
        "provenance": row["provenance"], "normalized": row["normalized"],
    }


def findings(count: int) -> list[Finding]:
    """``count`` distinct findings, each resting on the capture (id 1)."""
    start = datetime(2025, 9, 15, 8, 0, tzinfo=UTC)
    return [
        Finding(
            rule="exploitation_wording",
            severity=("low", "medium", "high")[i % 3],
            title=f"Ad {i} offers housing with the job",
            rationale="The ad says accommodation is provided by the employer (logement fourni).",
            subject_type="record",
            subject_key=f"jobs:{i}",
            facts={"phrases": ["logement fourni"], "ad": i},
            evidence=[(None, 1)],
            seen_at=start + timedelta(seconds=i),
        )
        for i in range(count)
    ]


def signals_vigie(url: str, found: Sequence[Finding]) -> int:
    engine = make_engine(url)
    try:
        for batch in _batches(found):
            with session_scope(engine) as session:
                upsert_signals(session, batch)
    finally:
        engine.dispose()
    return len(found)


# -- the driver alone ---------------------------------------------------------------------------
def _connect(url: str) -> tuple[Any, str]:
    """A DB-API connection and its parameter marker."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1], timeout=30)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        return conn, "?"
    import psycopg
    from sqlalchemy import make_url

    parsed = make_url(url)
    conn = psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
    )
    return conn, "%s"


def _value(value: Any, column: str, sqlite: bool) -> Any:
    if column in JSON_COLUMNS:
        return json.dumps(value)
    if sqlite and isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


def insert_many(url: str, table: str, rows: Sequence[dict[str, Any]]) -> int:
    """``executemany`` + commit per batch."""
    conn, mark = _connect(url)
    sqlite = mark == "?"
    columns = list(rows[0])
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (fixed names)
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    try:
        for batch in _batches(rows):
            cursor = conn.cursor()
            cursor.executemany(sql, [tuple(_value(r[c], c, sqlite) for c in columns)
                                     for r in batch])
            conn.commit()
    finally:
        conn.close()
    return len(rows)


def signal_rows(found: Sequence[Finding]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The Signal and SignalEvidence rows ``upsert_signal`` writes for new findings."""
    signals, links = [], []
    for i, f in enumerate(found, start=1):
        signals.append({
            "id": i, "key": signal_key(f.rule, f.subject_type, f.subject_key, f.discriminator),
            "rule": f.rule, "severity": f.severity, "title": f.title, "rationale": f.rationale,
            "subject_type": f.subject_type, "subject_key": f.subject_key, "status": "new",
            "facts": f.facts, "rule_version": f.version, "first_seen": f.seen_at,
            "last_seen": f.seen_at, "occurrences": 1, "changed_seq": 0,
        })
        links.append({"signal_id": i, "record_id": None, "capture_id": 1})
    return signals, links


def count(url: str, table: str) -> int:
    conn, _ = _connect(url)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
    finally:
        conn.close()


def measure_backend(
    backend: str, work: Path, records: Sequence[dict[str, Any]], signal_count: int,
    pg_admin: str | None = None,
) -> dict[str, Any]:
    """Rows/s of both sides for records and signals on one backend, with the row counts."""
    out: dict[str, Any] = {}
    url_v = fresh_database(backend, work, "rec_vigie", pg_admin)
    url_b = fresh_database(backend, work, "rec_base", pg_admin)
    _, out["records_vigie_s"] = timed(lambda: records_vigie(url_v, records))
    _, out["records_base_s"] = timed(lambda: insert_many(url_b, "record", records))
    out["record_counts"] = [count(url_v, "record"), count(url_b, "record")]
    found = findings(signal_count)
    rows, links = signal_rows(found)
    url_v = fresh_database(backend, work, "sig_vigie", pg_admin)
    url_b = fresh_database(backend, work, "sig_base", pg_admin)
    _, out["signals_vigie_s"] = timed(lambda: signals_vigie(url_v, found))

    def baseline() -> None:
        insert_many(url_b, "signal", rows)
        insert_many(url_b, "signalevidence", links)

    _, out["signals_base_s"] = timed(baseline)
    out["signal_counts"] = [count(url_v, "signal"), count(url_b, "signal")]
    out["link_counts"] = [count(url_v, "signalevidence"), count(url_b, "signalevidence")]
    return out
