"""Importing a national-size KBO Open Data dump into SQLite.

- **Dump**: ``benchmarks.kbo_dump.write_dump`` writes N enterprises (1,000,000 by default,
  50,000 with ``--quick``) in the exact KBO Open Data CSV format (enterprise, denomination,
  address, contact, activity and code files, sorted by number).
- **Vigie**: ``vigie.register.import_kbo`` into a fresh, migrated SQLite database, in its own
  process (wall time and that process's peak RSS); then a second ``import_kbo`` of the same
  dump into the same database (every enterprise unchanged).
- **Update**: then an update extract (``benchmarks.kbo_update_dump.write_update``: 1 % of the
  register, at least 1,000 and at most 10,000 changes — renamed, moved, gone, new) applied by
  the same ``import_kbo``, compared with the full re-import that would give the same result.
- **Baseline**: raw ``sqlite3.executemany`` of the very rows Vigie stored (read back from
  Vigie's database with ``fetchmany``) into the ``employer`` table of another freshly migrated
  database, one commit per 5,000 rows, same pragmas — the cost of writing the rows alone,
  without reading or parsing any CSV.

    python -m benchmarks.bench_import child-import DUMP DATA_DIR   # one import (used by run)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from benchmarks import BenchmarkError
from benchmarks.common import BenchResult, ChildRun, progress, run_child, timed
from benchmarks.kbo_dump import write_dump
from benchmarks.kbo_update_dump import expected_counts, write_meta, write_update

DEFAULT = {"enterprises": 1_000_000}
QUICK = {"enterprises": 50_000}
BATCH = 5000


def _child(args: list[str]) -> ChildRun:
    run = run_child([sys.executable, "-m", "benchmarks.bench_import", *args], timeout=1200)
    if run.returncode != 0:
        raise BenchmarkError(f"{args[0]} failed: {run.stderr[-2000:]}")
    return run


def child_import(dump: Path, data_dir: Path) -> dict[str, int]:
    from vigie.register import import_kbo
    from vigie.settings import Settings

    settings = Settings(data_dir=data_dir, secret_key="bench-secret-key-0123456789abcdef")
    settings.ensure_dirs()
    return import_kbo(settings, dump)


def child_raw(source_db: Path, target_db: Path) -> int:
    """The baseline: copy the employer rows with plain sqlite3 executemany."""
    from storage.db import upgrade

    upgrade(f"sqlite:///{target_db}")
    source = sqlite3.connect(source_db)
    target = sqlite3.connect(target_db, timeout=30)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            target.execute(f"PRAGMA {pragma}")
        columns = [r[1] for r in source.execute("PRAGMA table_info(employer)") if r[1] != "id"]
        cursor = source.execute(f"SELECT {', '.join(columns)} FROM employer")  # noqa: S608
        sql = (
            f"INSERT INTO employer ({', '.join(columns)}) "  # noqa: S608
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        written = 0
        while rows := cursor.fetchmany(BATCH):
            target.executemany(sql, rows)
            target.commit()
            written += len(rows)
        return written
    finally:
        source.close()
        target.close()


def run_import(enterprises: int, tmp_dir: Path | None = None) -> BenchResult:
    result = BenchResult(
        "import",
        "KBO Open Data import into SQLite",
        "sqlite3 executemany of the same employer rows (5,000 per commit)",
        params={"enterprises": enterprises, "baseline_batch": BATCH},
    )
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-import-", dir=tmp_dir))
    try:
        dump, gen_s = timed(lambda: write_dump(work / "dump", enterprises))
        write_meta(dump, "full", 1)  # extract 1, so that update 2 follows it
        size_mb = sum(p.stat().st_size for p in dump.iterdir()) / 1e6
        result.figures["dump_generation_s"] = round(gen_s, 1)
        result.figures["dump_mb"] = round(size_mb, 1)
        progress("import", f"dump: {enterprises:,} enterprises, {size_mb:.0f} MB, {gen_s:.0f} s")

        first = _child(["child-import", str(dump), str(work / "vigie")])
        counts = json.loads(first.stdout.strip().splitlines()[-1])
        if counts["new"] != enterprises:
            raise BenchmarkError(f"first import: {counts}")
        progress("import", f"import: {first.seconds:.1f} s, {first.peak_rss_mb:.0f} MB RSS")
        again = _child(["child-import", str(dump), str(work / "vigie")])
        counts_again = json.loads(again.stdout.strip().splitlines()[-1])
        if counts_again["unchanged"] != enterprises:
            raise BenchmarkError(f"re-import: {counts_again}")
        progress("import", f"re-import: {again.seconds:.1f} s, {again.peak_rss_mb:.0f} MB RSS")
        db = work / "vigie" / "vigie.sqlite3"  # Settings.db_url of that data dir
        raw = _child(["child-raw", str(db), str(work / "raw.sqlite3")])
        progress("import", f"raw executemany: {raw.seconds:.1f} s")
        changes = min(10_000, max(1_000, enterprises // 100))
        update = write_update(work / "update", enterprises, changes, 2)
        upd = _child(["child-import", str(update), str(work / "vigie")])
        update_counts = json.loads(upd.stdout.strip().splitlines()[-1])
        if update_counts != {**expected_counts(changes), "problems": 0}:
            raise BenchmarkError(f"update: {update_counts}")
        progress("import", f"update ({changes:,} changes): {upd.seconds:.1f} s")

        result.compare(
            "import (fresh db)",
            "enterprises/s",
            enterprises / first.seconds,
            enterprises / raw.seconds,
        )
        result.compare(
            "re-import (all unchanged)",
            "enterprises/s",
            enterprises / again.seconds,
            enterprises / raw.seconds,
        )
        result.compare(
            f"update extract of {changes:,} changes, vs the full re-import",
            "s",
            upd.seconds,
            again.seconds,
            higher_is_better=False,
        )
        result.figures.update(
            {
                "update_changes": changes,
                "update_s": round(upd.seconds, 2),
                "update_counts": update_counts,
                "import_s": round(first.seconds, 1),
                "reimport_s": round(again.seconds, 1),
                "baseline_s": round(raw.seconds, 1),
                "import_cpu_s": round(first.cpu_seconds, 1),
                "import_counts": counts,
                "reimport_counts": counts_again,
                "seconds_per_million": round(first.seconds * 1e6 / enterprises, 1),
            }
        )
        result.peak_memory_mb = {
            "vigie": round(first.peak_rss_mb, 1),
            "vigie_reimport": round(again.peak_rss_mb, 1),
            "vigie_update": round(upd.peak_rss_mb, 1),
            "baseline": round(raw.peak_rss_mb, 1),
        }
        result.memory_method = "peak RSS (ru_maxrss) of each child process"
        result.notes.append(
            "wall times include process start-up and Alembic migration; the baseline "
            "only copies finished rows (no CSV parsing, no normalisation, no comparison)"
        )
        result.notes.append(
            "the update row compares two Vigie runs: applying an update extract and the "
            "full re-import of the dump (the only way to the same register without updates)"
        )
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(quick: bool = False, tmp_dir: Path | None = None) -> BenchResult:
    return run_import(**(QUICK if quick else DEFAULT), tmp_dir=tmp_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_import")
    sub = parser.add_subparsers(dest="cmd", required=True)
    one = sub.add_parser("child-import")
    one.add_argument("dump", type=Path)
    one.add_argument("data_dir", type=Path)
    raw = sub.add_parser("child-raw")
    raw.add_argument("source_db", type=Path)
    raw.add_argument("target_db", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "child-import":
        print(json.dumps(child_import(args.dump, args.data_dir)))
    else:
        print(child_raw(args.source_db, args.target_db))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
