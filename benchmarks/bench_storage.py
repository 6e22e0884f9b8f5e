"""Storage writes: evidence (WARC) and database rows, each against the plainest equivalent.

1. Evidence: :meth:`storage.evidence.EvidenceStore.write_response` (WARC response record,
   gzip, SHA-256, flush + fsync per record) against ``open(..., "ab").write(body)`` + flush +
   fsync per body, for the same ~20 KB bodies (demo job-ad pages run together and cut to
   20,480 bytes, so they compress like real HTML).
2. Records: :class:`storage.models.Record` rows inserted through SQLModel, ``add_all`` +
   commit per batch, against ``sqlite3`` ``executemany`` + commit per batch (JSON columns
   dumped, the same timestamp format SQLAlchemy writes) into an identical schema (both
   migrated with Alembic, both with Vigie's SQLite pragmas: WAL, synchronous=NORMAL,
   foreign keys). Both sides start from the same Python dicts.
3. The crawl's own write path, ``pipelines.items.upsert_record`` (look-up +
   insert, one transaction per item: what a crawl pays per job ad), against ``sqlite3``
   SELECT + INSERT + commit per item.

4. The crawl's batched write path (:mod:`benchmarks.storage_batched`): Records
   (``upsert_record``) and Signals (``upsert_signal``), one transaction per batch of 100, on
   SQLite and on a throwaway PostgreSQL server started for the run, against ``executemany``
   per batch through ``sqlite3`` / ``psycopg``.

Memory: tracemalloc peak of each side, in a separate untimed pass over the same workload.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, progress, timed, traced_peak_mb
from demo.server import DemoSite
from demo.world import build_world

# At import, not inside the timed function: importing Scrapy takes most of a second.
from pipelines.items import upsert_record
from storage.db import make_engine, session_scope, upgrade
from storage.evidence import EvidenceStore
from storage.models import Capture, Record

QUICK = {"bodies": 500, "rows": 2_000, "upserts": 300, "batched": 500, "signals": 300}
DEFAULT = {"bodies": 2_000, "rows": 20_000, "upserts": 2_000, "batched": 5_000, "signals": 2_000}
BODY_BYTES = 20_480
BATCH = 500
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Server", "demo")]
JSON_COLUMNS = ("raw", "provenance", "normalized")


def make_bodies(count: int, seed: int = 7) -> list[bytes]:
    """``count`` distinct HTML bodies of exactly ``BODY_BYTES`` bytes, from demo ad pages."""
    world = build_world(seed, max(300, count))
    site = DemoSite(world, faults=False)
    pages = [site.handle(f"/jobs/ad/{i}", {}).body for i in range(world.n_ads)]
    bodies: list[bytes] = []
    for i in range(count):
        chunk = bytearray()
        j = i
        while len(chunk) < BODY_BYTES:
            chunk += pages[j % len(pages)]
            j += 1
        bodies.append(bytes(chunk[:BODY_BYTES]))
    return bodies


def write_warc(root: Path, bodies: Sequence[bytes]) -> int:
    store = EvidenceStore(root, name="bench")
    try:
        for i, body in enumerate(bodies):
            store.write_response(f"http://127.0.0.1/jobs/ad/{i}", 200, HEADERS, body)
    finally:
        store.close()
    return len(bodies)


def write_plain(root: Path, bodies: Sequence[bytes]) -> int:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "plain.bin", "ab") as fh:
        for body in bodies:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
    return len(bodies)


def record_rows(count: int, capture_id: int, seed: int = 7) -> list[dict[str, Any]]:
    """Record rows as the pipeline fills them, from demo ads (ids beyond the world wrap)."""
    world = build_world(seed, 2_000)
    start = datetime(2025, 9, 15, 8, 0, tzinfo=UTC)
    rows = []
    for i in range(count):
        ad = world.ad(i % world.n_ads)
        raw = {
            "external_id": f"JB-{i:07d}",
            "title": ad.title,
            "description": ad.description,
            "employer_name": ad.employer_name,
            "employer_number": ad.company_number,
            "employer_phone": ad.phone,
            "street": ad.street,
            "postcode": ad.postcode,
            "locality": ad.locality,
            "country": "BE",
            "salary_text": ad.salary_text,
            "salary_currency": "EUR",
            "salary_unit": ad.salary_unit,
            "date_posted": ad.date_posted.isoformat(),
            "employment_type": ad.employment_type,
        }
        seen = start + timedelta(seconds=i)
        rows.append(
            {
                "kind": "job_ad",
                "source": "jobs",
                "url": f"http://127.0.0.1/jobs/ad/{i}",
                "capture_id": capture_id,
                "fingerprint": f"{i:040x}",
                "title": ad.title,
                "employer_name": ad.employer_name,
                "enterprise_number": ad.employer_number,
                "postcode": ad.postcode,
                "country": "BE",
                "language": ad.language,
                "raw": raw,
                "provenance": {k: f"jsonld:{k}" for k in raw},
                "normalized": {
                    "postcode": ad.postcode,
                    "enterprise_number": ad.employer_number,
                    "content_sha256": f"{i:064x}",
                },
                "first_seen": seen,
                "last_seen": seen,
                "seen_count": 1,
            }
        )
    return rows


def _batches(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def fresh_db(path: Path) -> tuple[str, int]:
    """A migrated database at ``path`` with one capture to point at; (url, capture id)."""
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            capture = Capture(
                url="http://127.0.0.1/",
                final_url="http://127.0.0.1/",
                status=200,
                sha256="0" * 64,
                warc_file="warc/x.warc.gz",
                warc_offset=0,
                warc_length=0,
            )
            session.add(capture)
            session.flush()
            assert capture.id is not None
            return url, capture.id
    finally:
        engine.dispose()


def insert_sqlmodel(url: str, rows: Sequence[dict[str, Any]]) -> int:
    engine = make_engine(url)
    try:
        for batch in _batches(rows, BATCH):
            with session_scope(engine) as session:
                session.add_all([Record(**row) for row in batch])
    finally:
        engine.dispose()
    return len(rows)


def _sql_value(value: Any, column: str) -> Any:
    if column in JSON_COLUMNS:
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


def insert_raw(path: Path, rows: Sequence[dict[str, Any]]) -> int:
    columns = list(rows[0])
    sql = f"INSERT INTO record ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
    conn = sqlite3.connect(path, timeout=30)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        for batch in _batches(rows, BATCH):
            conn.executemany(sql, [tuple(_sql_value(r[c], c) for c in columns) for r in batch])
            conn.commit()
    finally:
        conn.close()
    return len(rows)


def upsert_pipeline(url: str, rows: Sequence[dict[str, Any]]) -> int:
    """The crawl's path: ``upsert_record`` in one transaction per item."""
    engine = make_engine(url)
    try:
        for row in rows:
            item = {
                "kind": row["kind"],
                "source": row["source"],
                "url": row["url"],
                "capture_id": row["capture_id"],
                "language": row["language"],
                "fields": row["raw"],
                "provenance": row["provenance"],
                "normalized": row["normalized"],
            }
            with session_scope(engine) as session:
                upsert_record(session, item)
    finally:
        engine.dispose()
    return len(rows)


def upsert_raw(path: Path, rows: Sequence[dict[str, Any]]) -> int:
    """Baseline of the per-item path: SELECT by (kind, fingerprint), INSERT, commit."""
    columns = list(rows[0])
    insert = (
        f"INSERT INTO record ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    conn = sqlite3.connect(path, timeout=30)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        for r in rows:
            found = conn.execute(
                "SELECT id FROM record WHERE kind = ? AND fingerprint = ?",
                (r["kind"], r["fingerprint"]),
            ).fetchone()
            if found is None:
                conn.execute(insert, tuple(_sql_value(r[c], c) for c in columns))
            conn.commit()
    finally:
        conn.close()
    return len(rows)


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM record").fetchone()[0])


def _fresh(work: Path, name: str) -> Path:
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def run_storage(
    bodies: int = 500,
    rows: int = 2_000,
    upserts: int = 300,
    batched: int = 500,
    signals: int = 300,
    tmp_dir: Path | None = None,
    backends: Sequence[str] = ("sqlite", "postgresql"),
) -> BenchResult:
    result = BenchResult(
        "storage",
        "Evidence and database writes",
        "open().write()+fsync per body; sqlite3 executemany per batch",
        params={
            "bodies": bodies,
            "body_bytes": BODY_BYTES,
            "rows": rows,
            "batch": BATCH,
            "upserts": upserts,
            "batched_records": batched,
            "signals": signals,
            "backends": list(backends),
        },
    )
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-storage-", dir=tmp_dir))
    result.params["filesystem"] = _filesystem(work)
    try:
        payload = make_bodies(bodies)
        megabytes = sum(map(len, payload)) / 1e6
        _, warc_s = timed(lambda: write_warc(_fresh(work, "warc"), payload))
        warc_size = sum(p.stat().st_size for p in (work / "warc").rglob("*.warc.gz"))
        _, plain_s = timed(lambda: write_plain(_fresh(work, "plain"), payload))
        result.compare("evidence writes (20 KB)", "bodies/s", bodies / warc_s, bodies / plain_s)
        result.compare("evidence input", "MB/s", megabytes / warc_s, megabytes / plain_s)

        progress(
            "storage", f"evidence: WARC {bodies / warc_s:.0f}/s, plain {bodies / plain_s:.0f}/s"
        )
        url_v, capture_v = fresh_db(_fresh(work, "db-sqlmodel") / "v.sqlite3")
        path_r = _fresh(work, "db-raw") / "r.sqlite3"
        _, capture_r = fresh_db(path_r)
        data_v = record_rows(rows, capture_v)
        data_r = record_rows(rows, capture_r)
        _, sqlmodel_s = timed(lambda: insert_sqlmodel(url_v, data_v))
        _, raw_s = timed(lambda: insert_raw(path_r, data_r))
        result.compare(f"Record inserts ({BATCH}/batch)", "rows/s", rows / sqlmodel_s, rows / raw_s)
        url_u, capture_u = fresh_db(_fresh(work, "db-upsert") / "u.sqlite3")
        path_ur = _fresh(work, "db-upsert-raw") / "ur.sqlite3"
        _, capture_ur = fresh_db(path_ur)
        data_u = record_rows(upserts, capture_u)
        data_ur = record_rows(upserts, capture_ur)
        _, upsert_s = timed(lambda: upsert_pipeline(url_u, data_u))
        _, upsert_raw_s = timed(lambda: upsert_raw(path_ur, data_ur))
        result.compare(
            "Record upserts (1/commit)", "rows/s", upserts / upsert_s, upserts / upsert_raw_s
        )
        counts = {
            "sqlmodel": _count(Path(url_v.split("///", 1)[1])),
            "raw": _count(path_r),
            "upsert": _count(Path(url_u.split("///", 1)[1])),
            "upsert_raw": _count(path_ur),
        }
        if counts != {"sqlmodel": rows, "raw": rows, "upsert": upserts, "upsert_raw": upserts}:
            result.notes.append(f"row counts differ from the rows written: {counts}")

        batched_figures = _batched_backends(work, data_v[:batched], signals, backends, result)

        progress("storage", "database rows done; memory passes")
        _, warc_mb = traced_peak_mb(lambda: write_warc(_fresh(work, "warc-m"), payload))
        _, plain_mb = traced_peak_mb(lambda: write_plain(_fresh(work, "plain-m"), payload))
        url_m, _ = fresh_db(_fresh(work, "db-sqlmodel-m") / "v.sqlite3")
        path_m = _fresh(work, "db-raw-m") / "r.sqlite3"
        fresh_db(path_m)
        _, sqlmodel_mb = traced_peak_mb(lambda: insert_sqlmodel(url_m, data_v))
        _, raw_mb = traced_peak_mb(lambda: insert_raw(path_m, data_r))
        result.peak_memory_mb = {
            "vigie": round(max(warc_mb, sqlmodel_mb), 1),
            "baseline": round(max(plain_mb, raw_mb), 1),
        }
        result.memory_method = "tracemalloc peak, separate untimed pass (max of the two tasks)"
        result.figures = {
            "seconds": {
                "warc": warc_s,
                "plain": plain_s,
                "sqlmodel": sqlmodel_s,
                "raw": raw_s,
                "upsert_per_item": upsert_s,
                "upsert_raw_per_item": upsert_raw_s,
            },
            "warc_bytes_on_disk": warc_size,
            "plain_bytes_on_disk": int(megabytes * 1e6),
            "warc_compression": round(warc_size / (megabytes * 1e6), 3),
            "peak_memory_mb": {
                "warc": round(warc_mb, 1),
                "plain": round(plain_mb, 1),
                "sqlmodel": round(sqlmodel_mb, 1),
                "raw": round(raw_mb, 1),
            },
            "row_counts": counts,
            "batched": batched_figures,
        }
        result.notes.append(
            f"WARC gzip stores {warc_size / 1e6:.1f} MB for {megabytes:.1f} MB of bodies"
        )
        result.notes.append(
            "upsert: Vigie = pipelines.items.upsert_record (SELECT, INSERT, flush); "
            "baseline = sqlite3 SELECT + INSERT; both commit per item"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def _batched_backends(
    work: Path,
    records: Sequence[dict[str, Any]],
    signals: int,
    backends: Sequence[str],
    result: BenchResult,
) -> dict[str, Any]:
    """Records and signals per second through the crawl's batched path, per backend."""
    from contextlib import ExitStack

    from benchmarks.storage_batched import BATCH as WRITE_BATCH
    from benchmarks.storage_batched import measure_backend, postgres_server

    figures: dict[str, Any] = {}
    with ExitStack() as stack:
        for backend in backends:
            admin = stack.enter_context(postgres_server()) if backend == "postgresql" else None
            out = measure_backend(backend, _fresh(work, f"b-{backend}"), records, signals, admin)
            label = "SQLite" if backend == "sqlite" else "PostgreSQL"
            n = len(records)
            result.compare(f"Records, batched {WRITE_BATCH} ({label})", "rows/s",
                           n / out["records_vigie_s"], n / out["records_base_s"])
            result.compare(f"Signals, batched {WRITE_BATCH} ({label})", "signals/s",
                           signals / out["signals_vigie_s"], signals / out["signals_base_s"])
            expected = {"record_counts": [n, n], "signal_counts": [signals, signals],
                        "link_counts": [signals, signals]}
            for key, want in expected.items():
                if out[key] != want:
                    result.notes.append(f"{label}: {key} {out[key]}, expected {want}")
            progress("storage", f"{label}: records {n / out['records_vigie_s']:.0f}/s "
                     f"(driver {n / out['records_base_s']:.0f}/s), signals "
                     f"{signals / out['signals_vigie_s']:.0f}/s")
            figures[backend] = out
    result.notes.append(
        "batched: Vigie = the crawl's batch path: records looked up once per batch, then "
        "upsert_record (insert, flush) each; the batch's signals by upsert_signals (one look-up "
        "of signals and links, inserts, one flush); one transaction per batch; baseline = "
        "executemany + commit per batch (sqlite3 / psycopg), no look-ups; PostgreSQL is a "
        "throwaway local server with fsync off"
    )
    return figures


def _filesystem(path: Path) -> str:
    """The mount type holding ``path`` (fsync costs differ: ext4 vs tmpfs vs overlay)."""
    best, kind = "", "unknown"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            mount, fstype = parts[1], parts[2]
            if str(path).startswith(mount) and len(mount) > len(best):
                best, kind = mount, fstype
    except OSError:
        pass
    return kind


def run(quick: bool = False, tmp_dir: Path | None = None) -> BenchResult:
    return run_storage(**(QUICK if quick else DEFAULT), tmp_dir=tmp_dir)
