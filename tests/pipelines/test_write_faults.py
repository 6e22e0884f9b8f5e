"""The batched write path under faults: the database locked mid-crawl, the evidence disk full.

Real ``vigie crawl jobs`` subprocesses against the demo board (63 ads, 3 search pages; its
fault pages switched off, they only add retry waits), with the write path's limits shrunk to
test size (see ``crawl_with.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).parents[1]))

from vigie_crawl import ROOT, crawl_env  # noqa: E402

from demo.server import DemoServer  # noqa: E402
from demo.world import build_world  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.evidence import scan_warc  # noqa: E402
from storage.models import Capture, CrawlRun, Record  # noqa: E402
from vigie.verify import verify_evidence  # noqa: E402

HELPER = Path(__file__).with_name("crawl_with.py")
ADS = 63


@pytest.fixture(scope="module")
def board() -> Any:
    with DemoServer(build_world(11, ADS), faults=False) as server:  # no slow fault pages
        yield server


def crawl(data_dir: Path, url: str, overrides: dict[str, Any], *more: str,
          **env: str) -> subprocess.Popen[str]:
    command = [
        sys.executable, str(HELPER), json.dumps(overrides), "crawl", "jobs",
        "--purpose", "write path test", "--no-progress", "-a", f"base_url={url}", *more,
    ]
    return subprocess.Popen(
        command, env=crawl_env(data_dir, **env), cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def db_path(data_dir: Path) -> Path:
    return data_dir / "vigie.sqlite3"


def wait_for_records(data_dir: Path, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with sqlite3.connect(db_path(data_dir), timeout=10) as db:
            if db.execute("SELECT count(*) FROM record").fetchone()[0] >= count:
                return
        time.sleep(0.05)
    raise AssertionError("the crawl ended (or stalled) before the fault could be injected")


def state(data_dir: Path, url: str | None = None) -> dict[str, Any]:
    """What the crawl stored in ``url`` (default: the folder's SQLite file)."""
    engine = make_engine(url or f"sqlite:///{db_path(data_dir)}")
    try:
        with Session(engine) as session:
            records = session.exec(select(Record)).all()
            captures = session.exec(select(Capture)).all()
            runs = session.exec(select(CrawlRun).order_by(CrawlRun.id)).all()  # type: ignore[arg-type]
            out = {
                "record_urls": sorted(r.url.rsplit("/", 1)[-1] for r in records),
                "records": len(records),
                "captures": [(c.url, c.status, c.warc_file, c.warc_offset, c.warc_length)
                             for c in captures],
                "runs": [(r.status, r.report or {}) for r in runs],
            }
        out["verified"], out["problems"] = verify_evidence(engine, data_dir / "evidence")
    finally:
        engine.dispose()
    return out


EXPECTED_RECORDS = sorted(str(i) for i in range(ADS))


SQLITE_LOCK = ("holds SQLite's file lock (BEGIN EXCLUSIVE); PostgreSQL's outage is a restart: "
               "test_postgres_restarted_mid_crawl")


@pytest.mark.sqlite_only(SQLITE_LOCK)
def test_sqlite_locked_mid_crawl_items_retried_spooled_and_replayed(
    board: DemoServer, tmp_path: Path
) -> None:
    """Another connection holds the database with BEGIN EXCLUSIVE for 4 s mid-crawl: capture
    rows wait (the crawl pauses), the item batch in flight gives up after 1 s of retries and
    is spooled, then replayed once the lock is gone. Every item arrives, none twice."""
    data = tmp_path / "locked"
    proc = crawl(
        data,
        board.url,
        {
            "VIGIE_WRITE_BATCH": 1000,
            "VIGIE_WRITE_BATCH_MS": 1500,
            "VIGIE_DB_BUSY_TIMEOUT": 0.3,
            "VIGIE_DB_RETRY_LIMIT": 1.0,
            "VIGIE_DB_OUTAGE_LIMIT": 60,
        },
        VIGIE_DOWNLOAD_DELAY="0.05",
        VIGIE_CONCURRENT_PER_DOMAIN="2",
    )
    # Items are written every 1.5 s: the first batch is seen, then the lock is taken half-way
    # to the next one, so that a batch is certainly waiting when the database goes away
    # (whatever the machine's load; pages stop once their capture rows cannot be written).
    wait_for_records(data, 1, proc)
    time.sleep(0.7)
    locker = sqlite3.connect(db_path(data), timeout=10, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    locked_at = time.monotonic()
    time.sleep(4)
    locker.execute("COMMIT")
    locker.close()
    held = time.monotonic() - locked_at
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out[-2000:] + err[-2000:]
    got = state(data)
    assert got["record_urls"] == EXPECTED_RECORDS  # every ad, once
    ((status, report),) = got["runs"]
    writes = report["writes"]
    assert held >= 4
    assert writes["spooled"] >= 1 and writes["replayed"] == writes["spooled"]
    assert writes["spool_left"] == 0 and writes["retries"] >= 1
    assert writes["captures_delayed"] >= 1  # the crawl paused for the captures' rows
    assert any("spooled to disk" in note for note in report["notes"])
    assert status == "finished" and report["complete"] is True
    assert got["problems"] == [] and got["verified"] == len(got["captures"])
    assert not (data / "spool" / "run-1.jsonl").exists()


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    """A 40 KiB tmpfs mounted on the evidence folder (we run as root)."""
    folder = tmp_path / "full" / "evidence"
    folder.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40k", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_full_evidence_disk_stops_cleanly_and_resume_goes_on(
    board: DemoServer, small_disk: Path, databases: Any
) -> None:
    data = small_disk.parent
    url = databases.url(data)
    proc = crawl(data, board.url, {}, VIGIE_CONCURRENT_PER_DOMAIN="4", VIGIE_DATABASE_URL=url)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, out[-2000:] + err[-2000:]
    # A clear message: the folder and its free space.
    assert f"evidence folder {small_disk} is full (" in " ".join(out.split()).replace("\n", "")
    assert "bytes free" in out
    stopped = state(data, url)
    ((status, report),) = stopped["runs"]
    assert status == "failed" and report["close_reason"].startswith("evidence_error")
    assert 0 < len(stopped["captures"]) and stopped["records"] < len(EXPECTED_RECORDS)
    # Nothing half written: every capture verifies, and no WARC file has a torn tail.
    assert stopped["problems"] == [] and stopped["verified"] == len(stopped["captures"])
    (warc,) = sorted((small_disk / "warc").glob("*.warc.gz"))
    scan = scan_warc(warc)
    assert scan.torn_bytes == 0
    ends = [offset + length for _, _, _, offset, length in stopped["captures"]]
    assert max(ends) <= scan.complete_bytes

    # Room again: the resumed crawl replays what was archived and fetches the rest.
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    again = crawl(data, board.url, {}, "--resume", VIGIE_CONCURRENT_PER_DOMAIN="4",
                  VIGIE_DATABASE_URL=url)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, out[-2000:] + err[-2000:]
    done = state(data, url)
    assert done["record_urls"] == EXPECTED_RECORDS
    assert done["problems"] == [] and done["verified"] == len(done["captures"])
    urls = [(url, status) for url, status, *_ in done["captures"] if status == 200]
    assert len(urls) == len(set(urls))  # nothing archived twice
    assert done["runs"][1][1]["resumed_from"] == [1]


@pytest.mark.sqlite_only(SQLITE_LOCK)
def test_lock_released_at_once_is_only_a_delay(board: DemoServer, tmp_path: Path) -> None:
    """A lock shorter than the retry limit delays the writes; nothing is spooled."""
    data = tmp_path / "short"
    proc = crawl(
        data,
        board.url,
        {"VIGIE_WRITE_BATCH": 4, "VIGIE_DB_BUSY_TIMEOUT": 0.2, "VIGIE_DB_RETRY_LIMIT": 20},
        VIGIE_DOWNLOAD_DELAY="0.03",
        VIGIE_CONCURRENT_PER_DOMAIN="2",
    )
    wait_for_records(data, 12, proc)
    locker = sqlite3.connect(
        db_path(data), timeout=10, isolation_level=None, check_same_thread=False
    )
    locker.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(1.5, lambda: (locker.execute("COMMIT"), locker.close()))
    release.start()
    out, err = proc.communicate(timeout=120)
    release.join()
    assert proc.returncode == 0, out[-2000:] + err[-2000:]
    got = state(data)
    assert got["record_urls"] == EXPECTED_RECORDS
    writes = got["runs"][0][1]["writes"]
    assert writes["spooled"] == 0 and writes["spool_left"] == 0
    # The lock delayed either the items' batch writer or the captures (whichever wrote first
    # while it was held: the other may have had nothing to write in those 1.5 s).
    assert writes["delayed"] + writes["captures_delayed"] >= 1, writes
    assert (writes["retries"] >= 1) == (writes["delayed"] >= 1), writes


@pytest.fixture
def own_postgres() -> Any:
    """A throwaway PostgreSQL server of this test's own (``scripts/pg-test-server.sh`` on a
    port no other test uses), so restarting it disturbs nobody; a fresh migrated database."""
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.pool import NullPool

    from storage.db import upgrade

    script = ROOT / "scripts" / "pg-test-server.sh"
    # Outside pytest's private temporary folder: the server runs as user postgres.
    folder = Path(tempfile.mkdtemp(prefix="vigie-pg-writes-"))
    folder.chmod(0o755)
    env = {**os.environ, "VIGIE_PG_PORT": "54347", "VIGIE_PG_DIR": str(folder / "pg")}
    started = subprocess.run([str(script)], env=env, check=True, capture_output=True, text=True)
    admin_url = started.stdout.strip().splitlines()[-1]
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE writes_test"))
        admin.dispose()
        url = make_url(admin_url).set(database="writes_test").render_as_string(
            hide_password=False
        )
        upgrade(url)
        yield url, lambda seconds: subprocess.run(
            [str(script), "restart", str(seconds)], env=env, check=True, capture_output=True
        )
    finally:
        subprocess.run([str(script), "stop"], env=env, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def test_postgres_restarted_mid_crawl(board: DemoServer, tmp_path: Path, own_postgres: Any) -> None:
    """PostgreSQL stopped for 3 s and started again mid-crawl: the captures wait for it, the
    item batch in flight is spooled and replayed; every ad arrives once."""
    url, restart = own_postgres
    data = tmp_path / "pgcrawl"
    proc = crawl(
        data,
        board.url,
        {"VIGIE_WRITE_BATCH": 4, "VIGIE_DB_RETRY_LIMIT": 1.0, "VIGIE_DB_OUTAGE_LIMIT": 60},
        VIGIE_DATABASE_URL=url,
        VIGIE_DOWNLOAD_DELAY="0.03",
        VIGIE_CONCURRENT_PER_DOMAIN="2",
    )
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with Session(engine) as session:
                if len(session.exec(select(Record.id)).all()) >= 12:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, "the crawl ended before the restart"
        engine.dispose()
        restart(3)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out[-2000:] + err[-2000:]
        with Session(engine) as session:
            records = session.exec(select(Record)).all()
            captures = session.exec(select(Capture)).all()
            (run,) = session.exec(select(CrawlRun)).all()
        assert sorted(r.url.rsplit("/", 1)[-1] for r in records) == EXPECTED_RECORDS
        writes = (run.report or {})["writes"]
        assert writes["retries"] + writes["captures_delayed"] >= 1
        assert writes["replayed"] == writes["spooled"] and writes["spool_left"] == 0
        assert run.status == "finished"
        checked, problems = verify_evidence(engine, data / "evidence")
        assert problems == [] and checked == len(captures)
    finally:
        engine.dispose()
