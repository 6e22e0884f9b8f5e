"""The item writer in a child process (``VIGIE_WRITE_PROCESS=true``), for real.

Real ``vigie crawl jobs`` subprocesses against the demo board (60 ads) with the demo world's
register imported (KBO Open Data format): the crawl written by the child process stores the
same records, matches and signals as the crawl written by a thread; a writer child killed
mid-crawl fails the crawl loudly with nothing counted that was not committed; a killed crawl
takes its writer child with it.

The register is imported once per module (and backend) by the real ``vigie register import
kbo``; each crawl gets a copy of that database (``Databases.clone``). Crawl processes are
forked by the test process's zygote (``tests/vigie_zygote.py``: the imports done once); the
writer child each crawl starts is a fresh interpreter of its own, as in production.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vigie_crawl import ROOT, crawl_command, crawl_env, run_crawl  # noqa: E402

from demo.kbo_export import write_kbo_opendata  # noqa: E402
from demo.server import DemoServer  # noqa: E402
from demo.world import World, build_world  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import (  # noqa: E402
    CrawlRun,
    Employer,
    Match,
    Record,
    Signal,
    SignalEvidence,
)
from tests import vigie_zygote as zygote  # noqa: E402

ADS = 60
# A rationale cites its capture by id and fetch time: which page is fetched first (and so
# gets which id) depends on the downloads' order, whoever writes.
CAPTURE_REF = re.compile(r"\(capture #\d+, fetched [^)]*\)")


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(11, ADS)


@pytest.fixture(scope="module")
def board(world: World) -> Any:
    with DemoServer(world, faults=False) as server:
        yield server


@pytest.fixture(scope="module")
def register(world: World, databases: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose database (this module's backend) holds the demo world's register,
    imported once by ``vigie register import kbo`` (KBO Open Data format)."""
    data_dir = tmp_path_factory.mktemp("register") / "var"
    environ = crawl_env(data_dir, VIGIE_DATABASE_URL=databases.url(data_dir))
    kbo = data_dir.parent / "kbo"
    write_kbo_opendata(world, kbo)
    err = data_dir.parent / "import.stderr"
    done = zygote.run(["register", "import", "kbo", str(kbo)], environ, 120, ROOT, stderr=err)
    assert done.returncode == 0, err.read_text()[-2000:]
    return data_dir


def _with_register(data_dir: Path, register: Path, databases: Any, **env: str) -> dict[str, str]:
    """A data folder whose database (this test's backend) holds the demo world's register (a
    copy of the module's); the crawl environment."""
    return crawl_env(data_dir, VIGIE_DATABASE_URL=databases.clone(register, data_dir), **env)


def _rationale(signal: Signal) -> str:
    """The rationale of a signal seen once; a signal seen again words the latest sighting,
    and which ad of the two came last depends on the downloads' order, whoever writes (its
    records are compared instead)."""
    if signal.occurrences > 1:
        return "(latest sighting)"
    return CAPTURE_REF.sub("(capture)", signal.rationale)


def _stored(url: str) -> dict[str, Any]:
    """What a crawl stored, without ids and times: records, matches, signals, the run."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            numbers = dict(session.exec(select(Employer.id, Employer.enterprise_number)).all())
            records = session.exec(select(Record)).all()
            fps = {r.id: r.fingerprint for r in records}
            evidence: dict[int, list[str]] = {}
            for link in session.exec(select(SignalEvidence)).all():
                if link.record_id is not None:
                    evidence.setdefault(link.signal_id, []).append(fps[link.record_id])
            run = session.exec(select(CrawlRun).order_by(CrawlRun.id.desc())).first()  # type: ignore[union-attr]
            assert run is not None
            return {
                "records": sorted(
                    (r.kind, r.fingerprint, r.title, r.employer_name, r.enterprise_number,
                     r.postcode, r.district, json.dumps(r.normalized, sort_keys=True))
                    for r in records),
                "matches": sorted(
                    (fps[m.record_id], numbers[m.employer_id], m.score, m.method, m.outcome,
                     json.dumps(m.explanation, sort_keys=True))
                    for m in session.exec(select(Match)).all()),
                "signals": sorted(
                    (s.rule, s.severity, s.subject_type, s.subject_key, s.occurrences,
                     _rationale(s), tuple(sorted(evidence.get(s.id, []))))
                    for s in session.exec(select(Signal)).all()),
                "status": run.status,
                "stats": run.stats or {},
                "report": run.report or {},
            }
    finally:
        engine.dispose()


def test_the_writer_process_stores_what_the_writer_thread_stores(
    board: DemoServer, register: Path, tmp_path: Path, databases: Any
) -> None:
    stored = {}
    for mode in ("false", "true"):
        data = tmp_path / mode
        env = _with_register(data, register, databases)
        done = run_crawl(data, board.url, VIGIE_WRITE_PROCESS=mode,
                         VIGIE_DATABASE_URL=env["VIGIE_DATABASE_URL"])
        assert done.returncode == 0, done.stderr[-2000:]
        stored[mode] = _stored(env["VIGIE_DATABASE_URL"])
    thread, process = stored["false"], stored["true"]
    assert process["stats"].get("vigie/writes/process") == 1
    assert "vigie/writes/process" not in thread["stats"]
    assert thread["status"] == process["status"] == "finished"
    assert len(thread["records"]) >= ADS
    assert thread["matches"] and thread["signals"]  # the comparison below compares something
    for key in ("records", "matches", "signals"):
        assert process[key] == thread[key], key
    for stat in ("item_scraped_count", "vigie/signals", "vigie/signals_network",
                 "vigie/matches/match"):
        assert process["stats"].get(stat) == thread["stats"].get(stat), stat
    assert process["stats"]["vigie/writes/batches"] >= 1  # how many depends on timing


def _writer_of(crawl_pid: int, timeout: float = 60) -> int:
    """The pid of the writer child of ``crawl_pid`` (waits for it to start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in Path(f"/proc/{crawl_pid}/task/{crawl_pid}/children").read_text().split():
            cmdline = Path(f"/proc/{line}/cmdline").read_bytes()
            if b"pipelines.writer_process" in cmdline:
                return int(line)
        time.sleep(0.05)
    raise AssertionError("no writer process started")


def _records(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return len(session.exec(select(Record.id)).all())
    finally:
        engine.dispose()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_writer_killed_mid_crawl_fails_the_crawl_and_counts_only_what_was_committed(
    board: DemoServer, register: Path, tmp_path: Path, databases: Any
) -> None:
    data = tmp_path / "killed"
    env = _with_register(data, register, databases, VIGIE_WRITE_PROCESS="true",
                         VIGIE_DOWNLOAD_DELAY="0.05", VIGIE_CONCURRENT_PER_DOMAIN="2")
    env["VIGIE_WRITE_BATCH"] = "5"
    proc = zygote.VigiePopen(crawl_command(board.url), env=env, cwd=ROOT)
    try:
        writer = _writer_of(proc.pid)
        deadline = time.monotonic() + 60
        while _records(env["VIGIE_DATABASE_URL"]) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(writer, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    after = _stored(env["VIGIE_DATABASE_URL"])
    assert after["status"] == "failed"
    assert after["report"].get("close_reason") == "writer_process_died"
    assert any("item writer process" in note and "died" in note
               for note in after["report"].get("notes", [])), after["report"].get("notes")
    assert "died" in after["stats"]["vigie/writes/process_error"]
    scraped = after["stats"].get("item_scraped_count", 0)
    assert 10 <= scraped == len(after["records"]) < ADS  # only committed items counted
    assert "vigie/signals_network" not in after["stats"]  # the close work never ran
    errors = Counter(p.get("kind") for p in after["report"].get("problems", []))
    assert errors["item_error"] >= 1  # the items the child held failed, loudly


def test_a_killed_crawl_takes_its_writer_process_with_it(
    board: DemoServer, register: Path, tmp_path: Path, databases: Any
) -> None:
    data = tmp_path / "parent-killed"
    env = _with_register(data, register, databases, VIGIE_WRITE_PROCESS="true",
                         VIGIE_DOWNLOAD_DELAY="0.05",
                         VIGIE_CONCURRENT_PER_DOMAIN="2")
    proc = zygote.VigiePopen(crawl_command(board.url), env=env, cwd=ROOT)
    try:
        writer = _writer_of(proc.pid)
        while _records(env["VIGIE_DATABASE_URL"]) < 5 and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        deadline = time.monotonic() + 10
        while _alive(writer) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(writer)
    finally:
        if proc.poll() is None:
            proc.kill()
