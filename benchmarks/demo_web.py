"""The demo web in its own process, so that serving pages does not share the GIL (or the
caches) of the process that measures, and each crawl starts against a cold server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from types import TracebackType

from benchmarks import BenchmarkError
from benchmarks.common import REPO_ROOT


class DemoWebProcess:
    """``python -m demo serve --seed S --size N --port 0``; ``url`` once started.

    On exit the server is stopped and its own CPU time and peak RSS are kept in
    ``cpu_seconds`` and ``peak_rss_mb`` (to see whether the server limited a crawl)."""

    def __init__(self, seed: int, size: int, faults: bool = True, start_timeout: float = 60):
        self.seed = seed
        self.size = size
        self.faults = faults
        self.start_timeout = start_timeout
        self.url = ""
        self.cpu_seconds = 0.0
        self.peak_rss_mb = 0.0
        self._proc: subprocess.Popen[str] | None = None
        self._err = tempfile.TemporaryFile()

    def __enter__(self) -> DemoWebProcess:
        cmd = [
            sys.executable,
            "-m",
            "demo",
            "serve",
            "--seed",
            str(self.seed),
            "--size",
            str(self.size),
            "--port",
            "0",
        ]
        if not self.faults:
            cmd.append("--no-faults")
        self._proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self._err, text=True, cwd=REPO_ROOT
        )
        line: list[str] = []
        reader = threading.Thread(
            target=lambda: line.append(self._proc.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(self.start_timeout)
        first = line[0] if line else ""
        url = next((w for w in first.split() if w.startswith("http://")), "")
        if not url:
            self._stop()
            self._err.seek(0)
            detail = self._err.read().decode("utf-8", "replace")[-500:]
            raise BenchmarkError(f"the demo web did not start: {first!r} {detail}")
        self.url = url
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.cpu_seconds = usage.ru_utime + usage.ru_stime
        self.peak_rss_mb = usage.ru_maxrss / 1024
        if proc.stdout is not None:
            proc.stdout.close()
        self._err.close()
