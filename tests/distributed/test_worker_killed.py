"""A worker killed with SIGKILL mid-crawl loses nothing: another worker puts back what it held
(once its heartbeat is stale: ``VIGIE_WORKER_STALE_SECONDS``, 3 s here) and finishes; every ad
is recorded once, the evidence verifies."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).parents[1]))

from vigie_crawl import ROOT, crawl_env  # noqa: E402

from demo.server import DemoServer  # noqa: E402
from demo.world import build_world  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import Capture, CrawlRun, Record  # noqa: E402
from tests import vigie_zygote as zygote  # noqa: E402
from tests.vigie_cli import run_vigie  # noqa: E402

ADS = 80


@pytest.fixture(scope="module")
def board() -> Iterator[DemoServer]:
    with DemoServer(build_world(11, ADS), faults=False) as server:
        yield server


def _captures(engine: Engine, run_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM capture WHERE run_id = :run"),
                                {"run": run_id}).scalar_one())


def test_a_killed_worker_loses_nothing(tmp_path: Path, board: DemoServer, redis_url: str,
                                       redis_client: object, databases: Any) -> None:
    data = tmp_path / "data"
    url = databases.url(data)
    # A small shared delay keeps the crawl going long enough to kill a worker in the middle.
    # The killed worker is taken as dead after 3 s without a heartbeat instead of 15 s (one
    # worker runs at a time here, and a worker never finds itself stale: it beats first).
    env = crawl_env(data, VIGIE_REDIS_URL=redis_url, VIGIE_DOWNLOAD_DELAY="0.05",
                    VIGIE_DATABASE_URL=url, VIGIE_WORKER_STALE_SECONDS="3")
    # The launch (no reactor, nothing fetched) and the final check through the CLI's entry
    # point in this process; the workers are real processes.
    launched = run_vigie(["crawl", "jobs", "--purpose", "kill test", "--enqueue",
                          "-a", f"base_url={board.url}"], env)
    assert launched.returncode == 0, launched.stderr[-3000:]

    # The workers: processes forked by the test process's zygote (tests/vigie_zygote.py).
    doomed = zygote.popen(["worker", "jobs", "--idle-timeout", "3"], env, ROOT)
    engine = make_engine(url)
    deadline = time.monotonic() + 120
    while _captures(engine, 2) < 10:  # run 1 launched the crawl, run 2 is this worker
        assert doomed.poll() is None, "the worker ended before it could be killed"
        assert time.monotonic() < deadline, "the worker captured nothing in 120 s"
        time.sleep(0.1)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    assert _captures(engine, 2) < ADS  # killed in the middle of the crawl
    engine.dispose()

    # Unpaced: the delay only had to keep the doomed worker busy until its kill.
    survivor = zygote.run(["worker", "jobs", "--idle-timeout", "3"],
                          {**env, "VIGIE_DOWNLOAD_DELAY": "0"}, 240, ROOT,
                          stderr=tmp_path / "survivor.stderr")
    assert survivor.returncode == 0, (tmp_path / "survivor.stderr").read_text()[-3000:]

    engine = make_engine(url)
    with Session(engine) as session:
        launch, killed, rest = session.exec(select(CrawlRun).order_by(CrawlRun.id)).all()
        records = session.exec(select(Record)).all()
        captures = session.exec(select(Capture)).all()
    engine.dispose()
    assert len(records) == ADS  # every ad, once
    assert len({c.url for c in captures}) == len(captures)  # nothing archived twice
    assert killed.status == "failed" and rest.status == "finished"
    assert rest.stats.get("vigie/distributed/recovered_requests", 0) >= 1
    assert launch.status == "finished" and launch.report["complete"] is True
    assert any(f"worker run {killed.id} died" in n for n in launch.report["notes"])
    assert launch.items_scraped == ADS

    verified = run_vigie(["evidence", "verify"], env)
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]
