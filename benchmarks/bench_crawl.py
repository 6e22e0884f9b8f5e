"""Crawl throughput on the demo job board: ``vigie crawl jobs`` against a bare Scrapy spider.

Vigie: the full pipeline as an operator runs it — ``vigie register import kbo`` of a KBO Open
Data dump (the demo world's register padded with KBO-like filler to ``--register`` employers,
100,000 by default as issue 6 asks) into a fresh data folder, then ``vigie crawl jobs`` (capture
to WARC with fsync, Capture rows, validate → normalise → store → match → detect, run report).
Baseline: :mod:`benchmarks.bare_spider`, same pages, same parser, same Scrapy settings, no
Vigie components. Both run in their own process with ``VIGIE_DOWNLOAD_DELAY=0``,
``VIGIE_CONCURRENT_PER_DOMAIN=16``, ``VIGIE_AUTOTHROTTLE=false``, robots.txt obeyed, each
against a freshly started demo web in a third process.

Pages/s = Scrapy's ``response_received_count`` ÷ its ``elapsed_time_seconds`` (spider open
to spider closed, pipelines' closing work included; interpreter start-up excluded — the
process wall time is reported beside it). Runs alternate (Vigie, bare, bare, Vigie, …) and
the best of each side is compared.

Sizes: ``python -m benchmarks --only crawl`` crawls a 2,000-ad board (300 with ``--quick``);
bigger boards from this module's own command line, e.g. the 10,000-ad throughput run and the
100,000-ad memory run (peak RSS of the crawl process against the 500 MiB target):

    python -m benchmarks.bench_crawl --ads 10000 --repeats 1 --out crawl-10k.json
    python -m benchmarks.bench_crawl --ads 100000 --repeats 1 --out crawl-100k.json

The Vigie crawl also reports its RSS along the way (``rss_by_pages``: the crawl process's
resident memory, sampled every 2 s from ``/proc``, at each 1,000 pages), so memory growth with
pages shows on a 10,000-page run already.
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

from benchmarks import BenchmarkError
from benchmarks.common import (
    REPO_ROOT,
    BenchResult,
    ChildRun,
    proc_kib,
    process_tree,
    progress,
    run_child,
)
from benchmarks.demo_web import DemoWebProcess
from benchmarks.filler import filler_entries
from benchmarks.kbo_dump import pad_dump
from demo.kbo_export import write_kbo_opendata
from demo.world import build_world

QUICK = {"size": 300, "repeats": 1, "register": 5_000}
DEFAULT = {"size": 2_000, "repeats": 3, "register": 100_000}
CONCURRENCY = 16
MEMORY_TARGET_MB = 500  # issue 6 §7: peak of a 100,000-page crawl


def _timeout(size: int) -> float:
    """Seconds a crawl of ``size`` ads may take (at 10 pages/s on a slow, busy machine)."""
    return max(1200.0, size / 10)


def write_register(seed: int, size: int, register: int, directory: Path) -> int:
    """The KBO dump the Vigie side imports: the demo world's register (the employers of the
    board's ads) padded with filler entries to ``register`` enterprises; how many."""
    world = build_world(seed, size)
    counts = write_kbo_opendata(world, directory)
    demo = counts["enterprise"]
    if register > demo:
        pad_dump(directory, filler_entries(register - demo, world, seed=seed))
    return max(register, demo)


# Settings passed through from the benchmark's environment, for A/B runs of one mode against
# another (e.g. ``VIGIE_WRITE_PROCESS=false``: the item writer as a thread of the crawl).
PASSED_THROUGH = ("VIGIE_WRITE_PROCESS", "VIGIE_MATCH_PROCESS")


def crawl_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update({k: os.environ[k] for k in PASSED_THROUGH if k in os.environ})
    env.update(
        {
            "VIGIE_DATA_DIR": str(data_dir),
            "VIGIE_DOWNLOAD_DELAY": "0",
            "VIGIE_CONCURRENT_PER_DOMAIN": str(CONCURRENCY),
            "VIGIE_AUTOTHROTTLE": "false",
            "VIGIE_ROBOTS_OBEY": "true",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _check(run: ChildRun, what: str, ok: tuple[int, ...] = (0,)) -> None:
    if run.returncode not in ok:
        tail = (run.stderr or run.stdout)[-1500:]
        raise BenchmarkError(f"{what} exited with {run.returncode}:\n{tail}")


class RssSampler:
    """Resident memory of a running crawl against the pages it has captured so far: every
    ``every`` seconds, the ``VmRSS`` of the crawl process and of its children (the matcher's
    process, :mod:`pipelines.match_process`) from ``/proc``, summed, and the number of
    Capture rows (a read of the crawl's SQLite file, which WAL mode allows beside the
    writer)."""

    def __init__(self, db: Path, every: float = 2.0) -> None:
        self.db = db
        self.every = every
        self.samples: list[tuple[int, float]] = []  # (pages, RSS MB of the tree)
        self.peak_mb = 0.0  # the largest sum seen, counted pages or not
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, pid: int) -> None:
        self._thread = threading.Thread(target=self._run, args=(pid,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self, pid: int) -> None:
        while not self._stop.wait(self.every):
            if not Path(f"/proc/{pid}").exists():
                return  # the crawl is over
            rss_mb = sum(proc_kib(f"/proc/{p}/status", "VmRSS:") for p in process_tree(pid)) / 1024
            self.peak_mb = max(self.peak_mb, rss_mb)
            try:
                with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=1) as db:
                    pages = int(db.execute("SELECT count(*) FROM capture").fetchone()[0])
            except sqlite3.Error:
                continue  # locked or not created yet: next time
            self.samples.append((pages, round(rss_mb, 1)))

    def by_thousand(self) -> dict[int, float]:
        """The largest RSS seen up to each 1,000 pages (the last sample too)."""
        out: dict[int, float] = {}
        peak = 0.0
        for pages, rss in self.samples:
            peak = max(peak, rss)
            out[pages // 1000 * 1000] = peak
        return out


def run_sampled(args: list[str], env: dict[str, str], timeout: float,
                sampler: RssSampler) -> ChildRun:
    """:func:`benchmarks.common.run_child` with an :class:`RssSampler` on the child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, cwd=REPO_ROOT)
        sampler.start(proc.pid)
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > start + timeout:
                    proc.kill()
                    os.wait4(proc.pid, 0)
                    raise BenchmarkError(f"{' '.join(args[:4])} … ran over {timeout:.0f} s")
                time.sleep(0.02)
        finally:
            sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(args, proc.returncode, time.perf_counter() - start,
                        usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime,
                        out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"))


def vigie_crawl(
    work: Path, kbo_dir: Path, seed: int, size: int, tag: str, warm: bool = True
) -> dict[str, Any]:
    """Import the register, prepare its matcher (``warm``: as after any register import,
    timed apart), then crawl the board with the full pipeline; its figures."""
    data_dir = work / f"vigie-{tag}"
    env = crawl_env(data_dir)
    imported = run_child(
        [sys.executable, "-m", "vigie", "register", "import", "kbo", str(kbo_dir)],
        env=env,
        timeout=_timeout(size),
        )
    _check(imported, "vigie register import kbo")
    warmed_seconds = None
    if warm:
        warmed = run_child(
            [sys.executable, "-m", "pipelines.matcher_cache", "--warm",
             f"sqlite:///{data_dir / 'vigie.sqlite3'}", str(data_dir)],
            env=env, timeout=_timeout(size),
        )
        _check(warmed, "python -m pipelines.matcher_cache --warm")
        warmed_seconds = round(warmed.seconds, 2)
    sampler = RssSampler(data_dir / "vigie.sqlite3")
    with DemoWebProcess(seed, size) as web:
        crawl = run_sampled(
            [
                sys.executable,
                "-m",
                "vigie",
                "crawl",
                "jobs",
                "--purpose",
                "benchmark: crawl throughput",
                "--no-progress",
                "-a",
                f"base_url={web.url}",
            ],
            env,
            _timeout(size),
            sampler,
        )
    _check(crawl, "vigie crawl jobs")
    with sqlite3.connect(data_dir / "vigie.sqlite3") as db:
        row = db.execute(
            "SELECT stats, status, report FROM crawlrun ORDER BY id DESC LIMIT 1"
        ).fetchone()
        counts = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("capture", "record", "match", "signal", "employer")
        }
    if row is None:
        raise BenchmarkError("vigie crawl jobs left no CrawlRun row")
    stats = json.loads(row[0])
    report = json.loads(row[2]) if row[2] else {}
    return {
        **_figures(stats, crawl, web),
        "writes": report.get("writes"),
        "status": row[1],
        "stored": counts,
        "register_import_seconds": round(imported.seconds, 2),
        "register_import_peak_rss_mb": round(imported.peak_rss_mb, 1),
        "matcher_prepared_seconds": warmed_seconds,
        "rss_by_pages": sampler.by_thousand(),
        "peak_tree_rss_mb": round(sampler.peak_mb, 1),
    }


def bare_crawl(work: Path, seed: int, size: int, tag: str) -> dict[str, Any]:
    data_dir = work / f"bare-{tag}"
    stats_file = work / f"bare-{tag}.json"
    with DemoWebProcess(seed, size) as web:
        crawl = run_child(
            [
                sys.executable,
                "-m",
                "benchmarks.bare_spider",
                "--base-url",
                web.url,
                "--data-dir",
                str(data_dir),
                "--stats-out",
                str(stats_file),
            ],
            env=crawl_env(data_dir),
            timeout=_timeout(size),
        )
    _check(crawl, "the bare spider")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    return {
        **_figures(stats, crawl, web),
        "parse_errors": stats.get("bare/parse_errors"),
        "depth_limit": stats.get("bare/depth_limit"),
    }


def _figures(stats: dict[str, Any], crawl: ChildRun, web: DemoWebProcess) -> dict[str, Any]:
    pages = int(stats.get("response_received_count", 0))
    elapsed = float(stats.get("elapsed_time_seconds") or 0.0)
    if not pages or not elapsed:
        raise BenchmarkError(f"crawl fetched nothing (pages {pages}, elapsed {elapsed})")
    return {
        "pages": pages,
        "items": int(stats.get("item_scraped_count", 0)),
        "request_depth_max": stats.get("request_depth_max"),
        "elapsed_seconds": round(elapsed, 3),
        "pages_per_second": pages / elapsed,
        "process_seconds": round(crawl.seconds, 3),
        "pages_per_second_wall": pages / crawl.seconds,
        "peak_rss_mb": round(crawl.peak_rss_mb, 1),
        "crawl_cpu_seconds": round(crawl.cpu_seconds, 2),
        "reactor_cpu_seconds": stats.get("vigie/reactor_cpu_seconds")
        or stats.get("bare/reactor_cpu_seconds"),
        "server_cpu_seconds": round(web.cpu_seconds, 2),
    }


def run_crawl_benchmark(
    size: int = 300, repeats: int = 1, seed: int = 7, keep: bool = False, register: int = 5_000,
    warm: bool = True,
) -> BenchResult:
    from pipelines.matcher_cache import BACKGROUND_MIN

    warm = warm and register >= BACKGROUND_MIN  # a smaller register is built by the crawl
    result = BenchResult(
        "crawl",
        "Crawl throughput, demo job board",
        "bare Scrapy spider, same pages, parser and settings, nothing stored",
        params={
            "world_seed": seed,
            "ads": size,
            "register_employers": register,
            "matcher_prepared_before_crawl": warm,
            "repeats": repeats,
            "concurrent_per_domain": CONCURRENCY,
            "download_delay": 0,
            "autothrottle": False,
            "robots_obey": True,
        },
    )
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-crawl-"))
    try:
        kbo_dir = work / "kbo"
        employers = write_register(seed, size, register, kbo_dir)
        progress("crawl", f"register of {employers} employers written")
        vigie_runs: list[dict[str, Any]] = []
        bare_runs: list[dict[str, Any]] = []
        for rep in range(repeats):
            order = ("vigie", "bare") if rep % 2 == 0 else ("bare", "vigie")
            for side in order:
                if side == "vigie":
                    vigie_runs.append(vigie_crawl(work, kbo_dir, seed, size, str(rep), warm))
                    done = vigie_runs[-1]
                else:
                    bare_runs.append(bare_crawl(work, seed, size, str(rep)))
                    done = bare_runs[-1]
                progress(
                    "crawl",
                    f"run {rep + 1}/{repeats} {side}: {done['pages']} pages in "
                    f"{done['elapsed_seconds']:.1f} s "
                    f"({done['pages_per_second']:.0f} pages/s)",
                )
    finally:
        if keep:
            result.notes.append(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    best_v = max(vigie_runs, key=lambda r: r["pages_per_second"])
    best_b = max(bare_runs, key=lambda r: r["pages_per_second"])
    result.compare(
        "pages/s (crawl)", "pages/s", best_v["pages_per_second"], best_b["pages_per_second"]
    )
    result.compare(
        "pages/s (process wall)",
        "pages/s",
        best_v["pages_per_second_wall"],
        best_b["pages_per_second_wall"],
    )
    result.compare(
        "CPU s of the crawl process",
        "s",
        best_v["crawl_cpu_seconds"],
        best_b["crawl_cpu_seconds"],
        higher_is_better=False,
    )
    if best_v.get("reactor_cpu_seconds") and best_b.get("reactor_cpu_seconds"):
        # The reactor's thread only (from the spider's open to its close): what bounds the
        # crawl's pages/s once the writing and matching run in other processes.
        result.compare(
            "CPU s of the reactor thread",
            "s",
            best_v["reactor_cpu_seconds"],
            best_b["reactor_cpu_seconds"],
            higher_is_better=False,
        )
    result.peak_memory_mb = {
        "vigie": max(max(r["peak_rss_mb"], r.get("peak_tree_rss_mb", 0.0)) for r in vigie_runs),
        "baseline": max(r["peak_rss_mb"] for r in bare_runs),
    }
    result.memory_method = (
        "peak RSS of each crawl process (os.wait4 rusage ru_maxrss); for Vigie, at least the "
        "sum of the crawl process and its matcher process sampled every 2 s from /proc"
    )
    peak = result.peak_memory_mb["vigie"]
    result.notes.append(
        f"peak RSS of the Vigie crawl (its process and its matcher's): {peak:.0f} MB for "
        f"{best_v['pages']} pages "
        f"(issue 6 target for a 100,000-page crawl: ≤ {MEMORY_TARGET_MB} MiB "
        f"= {MEMORY_TARGET_MB * 1.048576:.0f} MB)"
    )
    growth = best_v.get("rss_by_pages") or {}
    if growth:
        result.notes.append(
            "RSS of the Vigie crawl (its process and its children) by pages captured: "
            + ", ".join(f"{pages}: {mb:.0f} MB" for pages, mb in sorted(growth.items()))
        )
    result.notes.append(f"register: {register} employers (demo world + KBO-like filler)")
    if warm:
        result.notes.append(
            "matcher prepared after the import (python -m pipelines.matcher_cache --warm, "
            f"{best_v['matcher_prepared_seconds']} s, not in the crawl's time), as a "
            "scheduled crawl finds it; --cold: the crawl builds it in a child process"
        )
    result.figures = {"vigie_runs": vigie_runs, "bare_runs": bare_runs}
    if best_v["pages"] != best_b["pages"]:
        result.notes.append(
            f"the two crawls fetched different page counts: Vigie {best_v['pages']}, "
            f"bare {best_b['pages']}"
        )
    if best_b["items"] < size:
        result.notes.append(
            f"coverage: {best_b['items']} ads parsed of the {size} on the board (both sides); "
            f"deepest request at depth {best_b['request_depth_max']}, Scrapy DEPTH_LIMIT "
            f"{best_b['depth_limit']} (set in vigie.crawl.scrapy_settings): the chain of "
            "search pages is cut there"
        )
    result.notes.append(
        f"Vigie stored {best_v['stored']['capture']} captures, {best_v['stored']['record']} "
        f"records, {best_v['stored']['match']} matches, {best_v['stored']['signal']} signals; "
        f"run status {best_v['status']}"
    )
    return result


def run(quick: bool = False) -> BenchResult:
    return run_crawl_benchmark(**(QUICK if quick else DEFAULT))


def main(argv: list[str] | None = None) -> int:
    """Run the crawl benchmark at any size; print the comparison and write it as JSON."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_crawl", description=__doc__)
    parser.add_argument("--ads", type=int, default=DEFAULT["size"], help="ads on the board")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--register", type=int, default=DEFAULT["register"],
                        help="employers in the register (demo world + KBO-like filler)")
    parser.add_argument("--out", type=Path, help="write the result here as JSON")
    parser.add_argument("--cold", action="store_true",
                        help="do not prepare the matcher after the import: the crawl builds it")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder (data folders, database) for inspection")
    args = parser.parse_args(argv)
    result = run_crawl_benchmark(args.ads, args.repeats, args.seed, register=args.register,
                                 warm=not args.cold, keep=args.keep)
    for row in result.comparisons:
        print(f"{row.measure}: Vigie {row.vigie:.3f}, bare {row.baseline:.3f}, "
              f"ratio {row.ratio:.3f} {row.unit}")
    print(f"peak memory MB: {result.peak_memory_mb}")
    for note in result.notes:
        print(f"note: {note}")
    if args.out:
        args.out.write_text(json.dumps(result.as_dict(), indent=1, default=str), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
