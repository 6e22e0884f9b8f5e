"""Distributed crawling: two ``vigie worker`` processes on one Redis crawl against one worker.

Each side: a fresh data folder with the demo KBO register imported, a fresh demo web (no
faulty pages) in its own process, a throwaway ``redis-server``, ``vigie crawl jobs --enqueue``
then N workers started together (``VIGIE_DOWNLOAD_DELAY=0``, 16 per domain, no
AutoThrottle, robots.txt obeyed). The full pipeline runs in every worker (capture to WARC,
store, match, detect).

Pages/s = captures ÷ the span from the first to the last capture (``Capture.fetched_at``):
the crawl itself, without interpreter start-up and without the idle wait before a worker
leaves. The process wall (first worker start to last exit, minus the idle timeout) is
reported beside it. Peak memory is each worker process's own ``ru_maxrss``. Runs alternate
(1, 2, 2, 1, …) and the best of each side is compared. On a 2-core machine with the demo web
on the same cores the ratio is bounded well below 2.
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks import BenchmarkError
from benchmarks.bench_crawl import crawl_env
from benchmarks.common import BenchResult, ChildRun, progress, run_child
from benchmarks.demo_web import DemoWebProcess
from demo.kbo_export import write_kbo_opendata
from demo.world import build_world

QUICK = {"size": 300, "repeats": 1}
DEFAULT = {"size": 2_000, "repeats": 2}
IDLE_TIMEOUT = 3.0


class RedisProcess:
    """A throwaway ``redis-server`` on a free loopback port, no persistence."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.url = ""
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RedisProcess:
        binary = shutil.which("redis-server")
        if binary is None:
            raise BenchmarkError("redis-server is not installed (scripts/bootstrap.sh)")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.folder.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(self.folder),
             "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    self.url = f"redis://127.0.0.1:{port}/0"
                    return self
            except OSError:
                time.sleep(0.05)
        self._proc.kill()
        raise BenchmarkError("redis-server did not start within 10 s")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)


def _check(run: ChildRun, what: str) -> None:
    if run.returncode != 0:
        raise BenchmarkError(f"{what} exited with {run.returncode}:\n"
                             f"{(run.stderr or run.stdout)[-1500:]}")


def distributed_crawl(work: Path, kbo_dir: Path, seed: int, size: int, workers: int,
                      tag: str) -> dict[str, Any]:
    """One crawl of the board by ``workers`` worker processes; its figures."""
    data_dir = work / f"w{workers}-{tag}"
    with RedisProcess(work / f"redis-{workers}-{tag}") as redis:
        env = {**crawl_env(data_dir), "VIGIE_REDIS_URL": redis.url}
        _check(run_child([sys.executable, "-m", "vigie", "register", "import", "kbo",
                          str(kbo_dir)], env=env), "vigie register import kbo")
        with DemoWebProcess(seed, size, faults=False) as web:
            _check(run_child([sys.executable, "-m", "vigie", "crawl", "jobs", "--enqueue",
                              "--purpose", "benchmark: distributed crawl", "-a",
                              f"base_url={web.url}"], env=env), "vigie crawl --enqueue")
            runs: list[ChildRun] = []
            errors: list[BaseException] = []

            def one() -> None:
                try:
                    runs.append(run_child([sys.executable, "-m", "vigie", "worker", "jobs",
                                           "--idle-timeout", str(IDLE_TIMEOUT)], env=env))
                except BenchmarkError as exc:
                    errors.append(exc)

            start = time.perf_counter()
            threads = [threading.Thread(target=one) for _ in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    for run in runs:
        _check(run, "vigie worker")
    with sqlite3.connect(data_dir / "vigie.sqlite3") as db:
        rows = db.execute("SELECT run_id, fetched_at FROM capture").fetchall()
        launch = db.execute("SELECT status, items_scraped FROM crawlrun ORDER BY id LIMIT 1"
                            ).fetchone()
    if not rows:
        raise BenchmarkError("the distributed crawl captured nothing")
    moments = sorted(datetime.fromisoformat(r[1]) for r in rows)
    span = max((moments[-1] - moments[0]).total_seconds(), 1e-6)
    per_worker: dict[str, int] = {}
    for run_id, _ in rows:
        per_worker[str(run_id)] = per_worker.get(str(run_id), 0) + 1
    return {
        "workers": workers,
        "pages": len(rows),
        "pages_per_worker": per_worker,
        "items": launch[1] if launch else None,
        "crawl_status": launch[0] if launch else None,
        "capture_span_seconds": round(span, 3),
        "pages_per_second": len(rows) / span,
        "wall_seconds": round(wall, 3),
        "pages_per_second_wall": len(rows) / max(wall - IDLE_TIMEOUT, 1e-6),
        "peak_rss_mb_per_worker": [round(r.peak_rss_mb, 1) for r in runs],
        "cpu_seconds": round(sum(r.cpu_seconds for r in runs), 2),
        "server_cpu_seconds": round(web.cpu_seconds, 2),
    }


def run_workers_benchmark(size: int = 300, repeats: int = 1, seed: int = 7) -> BenchResult:
    result = BenchResult(
        "workers",
        "Distributed crawl: 2 Redis workers vs 1, demo job board",
        "one `vigie worker` on the same Redis crawl, same pages and settings",
        params={"world_seed": seed, "ads": size, "repeats": repeats,
                "idle_timeout": IDLE_TIMEOUT, "download_delay": 0, "robots_obey": True},
    )
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-workers-"))
    one: list[dict[str, Any]] = []
    two: list[dict[str, Any]] = []
    try:
        kbo_dir = work / "kbo"
        write_kbo_opendata(build_world(seed, size), kbo_dir)
        for rep in range(repeats):
            for workers in ((1, 2) if rep % 2 == 0 else (2, 1)):
                done = distributed_crawl(work, kbo_dir, seed, size, workers, str(rep))
                (one if workers == 1 else two).append(done)
                progress("workers", f"run {rep + 1}/{repeats}, {workers} worker(s): "
                         f"{done['pages']} pages in {done['capture_span_seconds']:.1f} s "
                         f"({done['pages_per_second']:.0f} pages/s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best1 = max(one, key=lambda r: r["pages_per_second"])
    best2 = max(two, key=lambda r: r["pages_per_second"])
    result.compare("pages/s (captures span)", "pages/s", best2["pages_per_second"],
                   best1["pages_per_second"])
    result.compare("pages/s (process wall)", "pages/s", best2["pages_per_second_wall"],
                   best1["pages_per_second_wall"])
    result.peak_memory_mb = {"vigie": max(max(r["peak_rss_mb_per_worker"]) for r in two),
                             "baseline": max(max(r["peak_rss_mb_per_worker"]) for r in one)}
    result.memory_method = "peak RSS of each worker process (os.wait4 rusage ru_maxrss)"
    result.figures = {"two_workers": two, "one_worker": one}
    ratio = best2["pages_per_second"] / best1["pages_per_second"]
    result.notes.append(f"2 workers ÷ 1 worker: {ratio:.2f}× pages/s (captures span)")
    if best1["pages"] != best2["pages"]:
        result.notes.append(f"page counts differ: 1 worker {best1['pages']}, "
                            f"2 workers {best2['pages']}")
    print(f"workers: 2 ÷ 1 = {ratio:.2f}× pages/s; peak RSS per worker "
          f"{result.peak_memory_mb['vigie']} MiB (2) / {result.peak_memory_mb['baseline']} MiB (1)",
          file=sys.stderr)
    return result


def run(quick: bool = False) -> BenchResult:
    return run_workers_benchmark(**(QUICK if quick else DEFAULT))
