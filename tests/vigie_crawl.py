"""Run the real ``vigie crawl`` command in a subprocess against a local server (test helper).

A Twisted reactor runs once per process, so every crawl of a test is its own process, exactly
as the scheduler runs them (forked by the test process's zygote, :mod:`tests.vigie_zygote`,
which did the imports once).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from storage.db import upgrade
from tests.vigie_zygote import run as zygote_run

ROOT = Path(__file__).resolve().parents[1]


def crawl_env(data_dir: Path, **extra: str | None) -> dict[str, str]:
    """Environment of a test crawl: its own data folder, no delay, no AutoThrottle, a short
    retry back-off. The database is the folder's SQLite file (migrated here) unless
    ``VIGIE_DATABASE_URL`` is given (the ``databases`` fixture's URL: migrated already). An
    ``extra`` value of None removes that variable (e.g. ``VIGIE_RETRY_BACKOFF_BASE=None``: the
    source's own back-off, for the tests that time it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if "VIGIE_DATABASE_URL" not in extra:
        upgrade(f"sqlite:///{(data_dir / 'vigie.sqlite3').resolve()}")
    env = dict(os.environ)
    env.update(
        VIGIE_DATA_DIR=str(data_dir),
        VIGIE_DOWNLOAD_DELAY="0",
        VIGIE_AUTOTHROTTLE="false",
        # The demo board's 500 page is retried 3 times as in production, 0.05 + 0.1 + 0.2 s
        # apart instead of 1 + 2 + 4 s (tests/spiders/test_politeness.py checks the back-off).
        VIGIE_RETRY_BACKOFF_BASE="0.05",
        VIGIE_SECRET_KEY="test-secret-key-0123456789abcdef",
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def crawl_command(base_url: str, start_url: str | None = None, *more: str) -> list[str]:
    """``python -m vigie crawl jobs ...`` (see :func:`vigie_args`)."""
    return [sys.executable, "-m", "vigie", *vigie_args(base_url, start_url, *more)]


def vigie_args(base_url: str, start_url: str | None = None, *more: str) -> list[str]:
    """The arguments of ``vigie`` for a crawl of the demo job board."""
    args = [
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
    **extra_env: str | None,
) -> CrawlResult:
    """One complete ``vigie crawl jobs`` run; its exit code is returned, not checked. The
    process is forked by the test process's zygote (:mod:`vigie_zygote`: the imports done
    once, the crawl in a process of its own)."""
    out_path, err_path = data_dir / "crawl.stdout", data_dir / "crawl.stderr"
    env = crawl_env(data_dir, **extra_env)
    child = zygote_run(vigie_args(base_url, start_url, *more), env, timeout, ROOT, out_path,
                       err_path)
    return CrawlResult(
        int(child.returncode or 0),
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
        child.max_rss_kb / 1024,
    )
