"""Run the real ``vigie crawl`` command in a subprocess against a local server (test helper).

A Twisted reactor runs once per process, so every crawl of a test is its own process, exactly
as the scheduler runs them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from storage.db import upgrade

ROOT = Path(__file__).resolve().parents[1]


def crawl_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of a test crawl: its own data folder, no delay, no AutoThrottle. The
    database is the folder's SQLite file (migrated here) unless ``VIGIE_DATABASE_URL`` is
    given (the ``databases`` fixture's URL: migrated already)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if "VIGIE_DATABASE_URL" not in extra:
        upgrade(f"sqlite:///{(data_dir / 'vigie.sqlite3').resolve()}")
    env = dict(os.environ)
    env.update(
        VIGIE_DATA_DIR=str(data_dir),
        VIGIE_DOWNLOAD_DELAY="0",
        VIGIE_AUTOTHROTTLE="false",
        VIGIE_SECRET_KEY="test-secret-key-0123456789abcdef",
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    env.update(extra)
    return env


def crawl_command(base_url: str, start_url: str | None = None, *more: str) -> list[str]:
    args = [
        sys.executable,
        "-m",
        "vigie",
        "crawl",
        "jobs",
        "--purpose",
        "robustness test",
        "--no-progress",
        "-a",
        f"base_url={base_url}",
    ]
    if start_url:
        args += ["-a", f"start_url={start_url}"]
    return args + list(more)


@dataclass(frozen=True)
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float  # peak memory of this crawl's process alone


def run_crawl(
    data_dir: Path,
    base_url: str,
    start_url: str | None = None,
    *more: str,
    timeout: int = 180,
    **extra_env: str,
) -> CrawlResult:
    """One complete ``vigie crawl jobs`` run; its exit code is returned, not checked."""
    out_path, err_path = data_dir / "crawl.stdout", data_dir / "crawl.stderr"
    env = crawl_env(data_dir, **extra_env)
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(
            crawl_command(base_url, start_url, *more), env=env, cwd=ROOT, stdout=out, stderr=err
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError(f"crawl still running after {timeout} s")
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return CrawlResult(
        proc.returncode,
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
        usage.ru_maxrss / 1024,
    )
