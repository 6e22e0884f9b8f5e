"""Two real ``vigie worker`` processes share one crawl of the demo job board through Redis.

Every page is fetched exactly once (the demo server counts each request), both workers fetch
some, and the records equal those of a single-process ``vigie crawl`` of the same board. The
launches (``vigie crawl --enqueue``: no reactor, nothing fetched) run through the CLI's entry
point in this process; the workers and the single-process crawl are real processes.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).parents[1]))

from vigie_crawl import ROOT, crawl_env, run_crawl  # noqa: E402

from demo.server import DemoServer  # noqa: E402
from demo.world import build_world  # noqa: E402
from spiders.distributed import CrawlKeys, RedisBudget  # noqa: E402
from spiders.jobs import JobsSpider  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import Capture, CrawlRun, Record  # noqa: E402
from tests import vigie_zygote as zygote  # noqa: E402
from tests.vigie_cli import run_vigie  # noqa: E402

ADS = 150  # about 160 pages: 150 ads and their search pages


@pytest.fixture(scope="module")
def board() -> Iterator[DemoServer]:
    with DemoServer(build_world(7, ADS), faults=False) as server:
        yield server


def _workers(env: dict[str, str], folder: Path) -> list[tuple[zygote.Child, tuple[Path, Path]]]:
    """Two ``vigie worker jobs`` processes started at once (forked by the test process's
    zygote, tests/vigie_zygote.py), each with its output files."""
    started = []
    for i in range(2):
        out, err = folder / f"worker{i}.stdout", folder / f"worker{i}.stderr"
        started.append((zygote.popen(["worker", "jobs", "--idle-timeout", "3"], env, ROOT,
                                     stdout=out, stderr=err), (out, err)))
    return started


def _records(url: str) -> set[tuple[str, str, str]]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = {(r.url, r.kind, r.fingerprint) for r in session.exec(select(Record)).all()}
    engine.dispose()
    return rows


def test_two_workers_fetch_every_page_once(tmp_path: Path, board: DemoServer,
                                           redis_url: str, redis_client: object,
                                           databases: Any) -> None:
    data = tmp_path / "distributed"
    url = databases.url(data)
    # A small delay per page: on the loopback board with none, the first worker to pop can
    # empty the shared queue each time pages are pushed (0.25 s before the other's next look)
    # and fetch the whole board alone, and "both workers fetched pages" would hang on timing.
    env = crawl_env(data, VIGIE_REDIS_URL=redis_url, VIGIE_DATABASE_URL=url,
                    VIGIE_DOWNLOAD_DELAY="0.02")
    board.requests.reset()
    launched = run_vigie(["crawl", "jobs", "--purpose", "distributed test", "--case", "T-6",
                          "--enqueue", "-a", f"base_url={board.url}"], env)
    assert launched.returncode == 0, launched.stderr[-3000:]
    key = re.search(r"distributed crawl (jobs-1-[0-9a-f]{6}) enqueued with 1 start requests",
                    launched.stdout)
    assert key is not None, launched.stdout
    assert board.requests.total() == 0  # launching fetches nothing

    started = time.monotonic()
    workers = _workers(env, tmp_path)
    for worker, (out, err) in workers:
        assert worker.wait(timeout=180) == 0, err.read_text()[-3000:]
        assert "worker run" in out.read_text()
    elapsed = time.monotonic() - started

    fetched = board.requests.by_target
    pages = {t: n for t, n in fetched.items() if t != "/robots.txt"}
    assert len(pages) > ADS  # every ad and the search pages
    twice = {t: n for t, n in pages.items() if n != 1}
    assert not twice, f"fetched more than once: {sorted(twice.items())[:10]}"
    assert fetched["/robots.txt"] == 2  # each worker reads robots.txt itself

    engine = make_engine(url)
    with Session(engine) as session:
        runs = session.exec(select(CrawlRun).order_by(CrawlRun.id)).all()
        captures = session.exec(select(Capture)).all()
    engine.dispose()
    launch, *worker_runs = runs
    assert launch.launched_by == "cli" and launch.purpose == "distributed test"
    assert len(worker_runs) == 2
    for run in worker_runs:
        assert run.launched_by == "worker"
        assert (run.purpose, run.case_ref) == ("distributed test", "T-6")
        assert run.status == "finished"
        assert run.report["distributed"]["crawl_key"] == key.group(1)
    per_worker = {run.id: sum(1 for c in captures if c.run_id == run.id) for run in worker_runs}
    assert all(n > 0 for n in per_worker.values()), per_worker  # both workers fetched pages
    # no page archived twice; robots.txt is fetched by each worker, so it may be archived by
    # each (two fetches at the same moment, both real; an identical later body is not)
    pages_archived = [c.url for c in captures if not c.url.endswith("/robots.txt")]
    assert len(set(pages_archived)) == len(pages_archived)
    assert 1 <= len(captures) - len(pages_archived) <= 2
    # The last worker out closed the crawl on its launching run.
    assert launch.status == "finished"
    assert launch.report["complete"] is True
    assert launch.report["distributed"]["worker_runs"] == [r.id for r in worker_runs]
    assert launch.items_scraped == sum(r.items_scraped for r in worker_runs) == ADS
    print(f"two workers: {len(pages)} pages in {elapsed:.1f} s, per worker {per_worker}")

    # Same records as one process crawling the same board.
    single = tmp_path / "single"
    board.requests.reset()
    single_url = databases.url(single)
    done = run_crawl(single, board.url, VIGIE_DATABASE_URL=single_url)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _records(single_url) == _records(url)
    assert len(_records(url)) == ADS


def test_a_limit_bounds_the_whole_crawl_not_each_worker(tmp_path: Path, board: DemoServer,
                                                        redis_url: str,
                                                        redis_client: Any,
                                                        databases: Any) -> None:
    """``-a limit=N`` is counted in Redis across workers: N ads in all, never N per worker."""
    limit = 130  # of 150 ads, 20 per search page: both workers parse search pages
    url = databases.url(tmp_path / "limited")
    env = crawl_env(tmp_path / "limited", VIGIE_REDIS_URL=redis_url, VIGIE_DATABASE_URL=url)
    board.requests.reset()
    launched = run_vigie(["crawl", "jobs", "--purpose", "distributed limit", "--enqueue",
                          "-a", f"base_url={board.url}", "-a", f"limit={limit}"], env)
    assert launched.returncode == 0, launched.stderr[-3000:]
    key = re.search(r"distributed crawl (jobs-\d+-[0-9a-f]{6}) enqueued", launched.stdout)
    assert key is not None, launched.stdout
    for worker, (_, err) in _workers(env, tmp_path):
        assert worker.wait(timeout=180) == 0, err.read_text()[-3000:]
    ads = {t for t in board.requests.by_target if t.startswith("/jobs/ad/")}
    assert len(ads) == limit
    assert len(_records(url)) == limit
    # the workers counted in the crawl's shared counter (the takes refused past the limit too)
    assert int(redis_client.get(CrawlKeys(key.group(1)).budget)) >= limit


def test_workers_share_one_budget(redis_client: Any) -> None:
    """Two spiders of one crawl (two workers) draw on one counter: the limit is the crawl's."""
    budget_key = CrawlKeys("jobs-0-budget").budget
    redis_client.set(budget_key, 2)  # what the launch's start() took
    first, second = (JobsSpider(base_url="http://127.0.0.1:9", limit=6) for _ in range(2))
    for spider in (first, second):
        spider.shared_budget = RedisBudget(redis_client, budget_key)
    assert [first.take_budget() for _ in range(3)] == [True, True, True]
    assert second.budget_left()
    assert [second.take_budget() for _ in range(2)] == [True, False]
    assert not first.budget_left() and not first.take_budget()
    assert (first.budget_used, second.budget_used) == (3, 1)
    alone = JobsSpider(base_url="http://127.0.0.1:9", limit=6)  # not distributed: its own count
    assert all(alone.take_budget() for _ in range(6)) and not alone.take_budget()
