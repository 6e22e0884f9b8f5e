"""Five SIGKILLs in a row, each followed by ``vigie crawl --resume``, lose nothing.

A small demo job board (30 ads, its search pages and fault pages) is crawled once without
interruption. A second crawl of the same board is killed with SIGKILL five times in a row at
seeded random moments — each after a random number of pages newly archived by that process,
plus a random few milliseconds — and resumed each time; the sixth process runs to the end.
Two of the kills are aimed inside a page's processing: the process is frozen (SIGSTOP) at
random instants until one finds a WARC record written but its Capture row not yet committed,
or a record half written, and is killed right there.

At the end the interrupted crawl holds exactly the Records and Captures of the uninterrupted
one (same URLs, same content hashes, nothing twice), every WARC file reads end to end with
warcio, and ``vigie evidence verify`` is clean.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, func, select
from warcio.archiveiterator import ArchiveIterator

sys.path.insert(0, str(Path(__file__).parents[1]))

from vigie_crawl import ROOT, crawl_env, run_crawl, vigie_args  # noqa: E402

from demo.server import DemoServer  # noqa: E402
from demo.world import build_world  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.evidence import scan_warc  # noqa: E402
from storage.models import Capture, CrawlRun, Record  # noqa: E402
from tests import vigie_zygote as zygote  # noqa: E402
from tests.vigie_cli import run_vigie  # noqa: E402

SEED = 20261127
KILLS = 5
AIMED = (1, 3)  # these kills wait for a moment inside a page's write
ADS = 30


def _newest_run(engine: Any) -> int | None:
    with Session(engine) as session:
        return session.exec(select(func.max(CrawlRun.id))).one()


def _archived_by(engine: Any, run_id: int) -> int:
    with Session(engine) as session:
        return int(session.exec(
            select(func.count()).select_from(Capture).where(Capture.run_id == run_id)).one())


def _inside_a_write(engine: Any, evidence: Path, run_id: int) -> dict[str, int] | None:
    """With the crawl frozen: is it between writing a WARC record and committing its
    Capture row, or in the middle of writing a record? Returns what was found, or None."""
    files = sorted((evidence / "warc").glob(f"run{run_id}-*.warc.gz"))
    if not files:
        return None
    scan = scan_warc(files[-1])
    rel = f"warc/{files[-1].name}"
    with Session(engine) as session:
        rows = int(session.exec(
            select(func.count()).select_from(Capture).where(Capture.warc_file == rel)).one())
    uncommitted = scan.records - rows
    if uncommitted > 0 or scan.torn_bytes > 0:
        return {"records_without_capture_row": uncommitted, "torn_bytes": scan.torn_bytes}
    return None


def _kill_one(proc: zygote.Child, before: int, engine: Any, evidence: Path,
              rng: random.Random, aimed: bool) -> dict[str, Any]:
    """Wait for the process to archive a random number of new pages, wait a random few
    milliseconds, then SIGKILL it (for an aimed kill: at a frozen instant inside a write)."""
    target = rng.randint(2, 5)
    deadline = time.monotonic() + 120
    run_id = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the crawl ended before it could be killed"
        newest = _newest_run(engine)
        if newest is not None and newest > before:
            run_id = newest  # this process's run
        if run_id is not None and _archived_by(engine, run_id) >= target:
            break
        time.sleep(0.01)
    assert run_id is not None
    time.sleep(rng.uniform(0, 0.03))
    moment: dict[str, Any] = {"run": run_id, "aimed": aimed, "inside_write": None}
    if aimed:
        for _attempt in range(2000):
            os.killpg(proc.pid, signal.SIGSTOP)
            found = _inside_a_write(engine, evidence, run_id)
            if found is not None:
                moment["inside_write"] = found
                break
            os.killpg(proc.pid, signal.SIGCONT)
            assert proc.poll() is None, "the crawl ended before an aimed kill found its moment"
            time.sleep(rng.uniform(0.0005, 0.004))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    moment["archived_when_killed"] = _archived_by(engine, run_id)
    return moment


def _state(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            records = session.exec(select(Record)).all()
            captures = session.exec(select(Capture)).all()
            runs = session.exec(select(CrawlRun).order_by(col(CrawlRun.id))).all()
            return {
                "records": Counter(
                    (r.url.split("/", 3)[-1], r.fingerprint, r.normalized.get("content_sha256"))
                    for r in records
                ),
                "captures": Counter(
                    (c.url.split("/", 3)[-1], c.sha256, c.status) for c in captures
                ),
                "runs": [(r.id, r.status, r.report) for r in runs],
            }
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory, databases: Any) -> Iterator[dict[str, Any]]:
    rng = random.Random(SEED)
    with DemoServer(build_world(5, ADS)) as server:
        whole = tmp_path_factory.mktemp("whole")
        whole_db = databases.url(whole)
        done = run_crawl(whole, server.url, VIGIE_DATABASE_URL=whole_db)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

        killed = tmp_path_factory.mktemp("killed")
        killed_db = databases.url(killed)
        # paced (a page every 50 ms) so that each process is still crawling when its kill
        # comes: captures are committed in batches, and an unpaced 30-ad crawl outruns the test
        env = crawl_env(killed, VIGIE_DOWNLOAD_DELAY="0.05", VIGIE_DATABASE_URL=killed_db)
        engine = make_engine(killed_db)
        moments = []
        try:
            for kill in range(KILLS):
                more = ("--resume",) if kill else ()
                before = _newest_run(engine) or 0
                proc = zygote.popen(vigie_args(server.url, None, *more), env, ROOT,
                                    start_new_session=True)
                try:
                    moments.append(_kill_one(proc, before, engine, killed / "evidence", rng,
                                             kill in AIMED))
                finally:
                    if proc.poll() is None:
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait(timeout=30)
        finally:
            engine.dispose()
        last = run_crawl(killed, server.url, None, "--resume", VIGIE_DATABASE_URL=killed_db)
        assert last.returncode == 0, last.stdout[-2000:] + last.stderr[-2000:]
        verify = run_vigie(["evidence", "verify"], {**env, "COLUMNS": "200"})  # no reactor
        yield {
            "whole": _state(whole_db),
            "resumed": _state(killed_db),
            "moments": moments,
            "warc_files": sorted((killed / "evidence" / "warc").glob("*.warc.gz")),
            "verify": verify,
        }


def test_five_kills_landed_mid_crawl_two_inside_a_write(crawls: dict[str, Any]) -> None:
    moments = crawls["moments"]
    assert len(moments) == KILLS
    assert len({m["run"] for m in moments}) == KILLS, moments  # one process per kill
    assert all(m["archived_when_killed"] >= 2 for m in moments)
    for i in AIMED:
        assert moments[i]["inside_write"] is not None, moments[i]


def test_same_records_and_captures_as_an_uninterrupted_crawl(crawls: dict[str, Any]) -> None:
    whole, resumed = crawls["whole"], crawls["resumed"]
    assert sum(whole["records"].values()) == ADS + 1  # + the wrong-encoding page (repaired)
    assert resumed["records"] == whole["records"]
    assert max(resumed["records"].values()) == 1
    assert resumed["captures"] == whole["captures"]  # same URLs, hashes and statuses
    assert max(resumed["captures"].values()) == 1  # nothing archived twice


def test_the_last_run_continued_all_five(crawls: dict[str, Any]) -> None:
    runs = crawls["resumed"]["runs"]
    assert len(runs) == KILLS + 1
    *killed, (_last_id, status, report) = runs
    assert status == "finished" and report["complete"] is True
    assert report["resumed_from"] == [run_id for run_id, _, _ in killed]
    for run_id, killed_status, killed_report in killed:
        assert killed_status == "failed", (run_id, killed_report)
        assert "interrupted; continued by run" in killed_report["notes"][0]


def test_every_warc_reads_end_to_end_and_evidence_verifies(crawls: dict[str, Any]) -> None:
    files = crawls["warc_files"]
    assert len(files) == KILLS + 1  # one file per process
    total = 0
    for path in files:
        with open(path, "rb") as fh:
            records = sum(1 for _ in ArchiveIterator(fh))
        scan = scan_warc(path)
        assert scan.torn_bytes == 0 and records == scan.records, path.name
        total += records
    # Complete records a kill left without their Capture row stay (unreferenced, readable).
    assert total >= sum(crawls["resumed"]["captures"].values())
    verify = crawls["verify"]
    assert verify.returncode == 0, verify.stdout + verify.stderr
    captures = sum(crawls["resumed"]["captures"].values())
    assert f"{captures} captures verified: all hashes match" in verify.stdout
