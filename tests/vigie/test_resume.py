"""A crawl killed (SIGKILL) mid-way and resumed ends where an uninterrupted crawl ends.

Real ``vigie crawl jobs`` subprocesses against the demo board (63 ads, 3 search pages): one
uninterrupted crawl; one slowed by a download delay, killed once some records are stored, then
``vigie crawl jobs --resume``. Same records, same captured URLs, nothing archived twice, every
capture verified against its WARC record, and a torn WARC tail (what a kill during a write
leaves) is cut off before resuming, so every WARC file reads end to end.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

sys.path.insert(0, str(Path(__file__).parents[1]))

from vigie_crawl import ROOT, crawl_env, run_crawl, vigie_args  # noqa: E402

from demo.server import DemoServer  # noqa: E402
from demo.world import build_world  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.evidence import scan_warc  # noqa: E402
from storage.models import Capture, CrawlRun, Record  # noqa: E402
from tests import vigie_zygote as zygote  # noqa: E402
from vigie.verify import verify_evidence  # noqa: E402


def _count_records(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(Record)).one())
    finally:
        engine.dispose()


def _state(data_dir: Path, url: str) -> dict[str, Any]:
    engine = make_engine(url)
    with Session(engine) as session:
        records = session.exec(select(Record)).all()
        captures = session.exec(select(Capture)).all()
        runs = session.exec(select(CrawlRun).order_by(CrawlRun.id)).all()  # type: ignore[arg-type]
        state = {
            "records": sorted(r.url.split("/", 3)[-1] for r in records),
            "fingerprints": sorted(r.fingerprint for r in records),
            "capture_urls": sorted(c.url.split("/", 3)[-1] for c in captures),
            "capture_keys": Counter((c.url, c.sha256, c.status) for c in captures),
            "runs": [(r.id, r.status, r.report) for r in runs],
            "captures_per_run": Counter(c.run_id for c in captures),
        }
    checked, problems = verify_evidence(engine, data_dir / "evidence")
    state["verified"], state["problems"] = checked, problems
    engine.dispose()
    return state


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory, databases: Any) -> Iterator[dict[str, Any]]:
    with DemoServer(build_world(11, 63)) as server:
        whole = tmp_path_factory.mktemp("whole")
        whole_db = databases.url(whole)
        done = run_crawl(whole, server.url, VIGIE_DATABASE_URL=whole_db)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

        killed = tmp_path_factory.mktemp("killed")
        killed_db = databases.url(killed)
        env = crawl_env(killed, VIGIE_DOWNLOAD_DELAY="0.15", VIGIE_CONCURRENT_PER_DOMAIN="1",
                        VIGIE_DATABASE_URL=killed_db)
        proc = zygote.popen(vigie_args(server.url), env, ROOT, start_new_session=True)
        deadline = time.monotonic() + 90
        stored = 0
        while time.monotonic() < deadline and proc.poll() is None:
            stored = _count_records(killed_db)
            if stored >= 15:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the crawl ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        before = _state(killed, killed_db)
        # What a kill in the middle of a write leaves: half a gzip member at the file's end.
        (warc,) = sorted((killed / "evidence" / "warc").glob("*.warc.gz"))
        data = warc.read_bytes()
        with open(warc, "ab") as fh:
            fh.write(data[: len(data) // 3])
        torn_before = scan_warc(warc).torn_bytes  # the appended third ends mid-record
        resumed = run_crawl(killed, server.url, None, "--resume", VIGIE_DATABASE_URL=killed_db)
        assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
        yield {
            "whole": _state(whole, whole_db),
            "killed": before,
            "resumed": _state(killed, killed_db),
            "stored_at_kill": stored,
            "warc_files": sorted((killed / "evidence" / "warc").glob("*.warc.gz")),
            "torn": warc,
            "torn_before": torn_before,
        }


def test_kill_happened_mid_crawl(crawls: dict[str, Any]) -> None:
    assert 15 <= len(crawls["killed"]["records"]) < len(crawls["whole"]["records"])
    ((run_id, status, _report),) = crawls["killed"]["runs"]
    assert status == "running"  # killed: nobody wrote its report


def test_resumed_crawl_equals_uninterrupted_crawl(crawls: dict[str, Any]) -> None:
    whole, resumed = crawls["whole"], crawls["resumed"]
    assert len(whole["records"]) == 64  # 63 ads + the wrong-encoding fault page (repaired)
    assert resumed["records"] == whole["records"]
    assert resumed["fingerprints"] == whole["fingerprints"]
    assert resumed["capture_urls"] == whole["capture_urls"]


def test_nothing_is_archived_twice(crawls: dict[str, Any]) -> None:
    resumed = crawls["resumed"]
    assert max(resumed["capture_keys"].values()) == 1
    first, second = resumed["runs"]
    assert first[1] == "failed" and "continued by run 2" in first[2]["notes"][0]
    report = second[2]
    assert report["resumed_from"] == [first[0]] and report["complete"] is True
    # Everything the killed run archived was replayed from the evidence, not fetched again.
    replayed = report["incremental"]["replayed"]
    assert replayed >= crawls["killed"]["captures_per_run"][first[0]] - 1  # fault-500: 5xx
    assert sum(resumed["captures_per_run"].values()) == len(crawls["whole"]["capture_urls"])


def test_every_capture_verifies_and_torn_tail_is_cut_on_resume(crawls: dict[str, Any]) -> None:
    resumed = crawls["resumed"]
    assert resumed["problems"] == [] and resumed["verified"] == len(resumed["capture_urls"])
    scans = {path: scan_warc(path) for path in crawls["warc_files"]}
    assert len(scans) == 2  # one file per process: the killed one is never appended to
    # The half-written record was cut off before resuming: every file reads end to end,
    # and every complete record the killed process wrote is still there.
    assert all(s.torn_bytes == 0 for s in scans.values())
    assert scans[crawls["torn"]].records >= len(crawls["killed"]["capture_urls"])
    (repair,) = crawls["resumed"]["runs"][1][2]["warc_repaired"]
    assert repair["file"] == f"warc/{crawls['torn'].name}"
    assert crawls["torn_before"] > 0
    assert repair["torn_bytes_removed"] == crawls["torn_before"]
