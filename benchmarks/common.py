"""What every benchmark shares: the result shape, timing, memory and child-process helpers.

A benchmark returns a :class:`BenchResult`: its parameters, a list of :class:`Comparison`
rows (one measure, Vigie's value, the baseline's value, and their ratio Vigie ÷ baseline),
free-form figures, peak memory per side and notes. Ratios, not absolute speeds, are what
carry over between machines.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from benchmarks import BenchmarkError

T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Comparison:
    """One measure of Vigie against its baseline, both taken in the same run."""

    measure: str
    unit: str
    vigie: float
    baseline: float
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        """Vigie ÷ baseline (``inf`` when the baseline is zero and Vigie is not)."""
        if self.baseline == 0:
            return 0.0 if self.vigie == 0 else float("inf")
        return self.vigie / self.baseline

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


@dataclass
class BenchResult:
    """Everything one benchmark measured."""

    name: str
    title: str
    baseline: str
    params: dict[str, Any] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    peak_memory_mb: dict[str, float] = field(default_factory=dict)
    memory_method: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def compare(
        self, measure: str, unit: str, vigie: float, baseline: float, higher_is_better: bool = True
    ) -> Comparison:
        row = Comparison(measure, unit, float(vigie), float(baseline), higher_is_better)
        self.comparisons.append(row)
        return row

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["comparisons"] = [c.as_dict() for c in self.comparisons]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchResult:
        rows = [
            Comparison(
                c["measure"], c["unit"], c["vigie"], c["baseline"], c.get("higher_is_better", True)
            )
            for c in data.get("comparisons", [])
        ]
        fields = {k: v for k, v in data.items() if k != "comparisons"}
        return cls(**fields, comparisons=rows)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """``(fn(), seconds)`` on the monotonic high-resolution clock."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def traced_peak_mb(fn: Callable[[], T]) -> tuple[T, float]:
    """``(fn(), MB)``: the peak of Python allocations made while ``fn`` ran (tracemalloc).

    Tracing slows allocation-heavy code several times over, so never time inside it."""
    if tracemalloc.is_tracing():
        raise BenchmarkError("tracemalloc is already tracing: nested memory measurement")
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / 1e6


def self_peak_rss_mb() -> float:
    """Peak resident memory of this process so far (``ru_maxrss``, KiB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class ChildRun:
    """A finished child process with its wall time and its own peak resident memory."""

    args: list[str]
    returncode: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    stdout: str
    stderr: str


def run_child(
    args: Sequence[str],
    env: dict[str, str] | None = None,
    timeout: float = 1200,
    cwd: Path | None = None,
) -> ChildRun:
    """Run ``args`` to its end and measure it.

    ``os.wait4`` gives the rusage of exactly this child (and the descendants it waited for),
    so several children measured in one run do not mask each other as the cumulative
    ``RUSAGE_CHILDREN`` maximum would. Output goes to temporary files (no pipe to fill up)."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(args), env=env, stdout=out, stderr=err, cwd=cwd or REPO_ROOT)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise BenchmarkError(f"{' '.join(args[:4])} … ran over {timeout:.0f} s")
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        return ChildRun(
            list(args),
            proc.returncode,
            seconds,
            usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gb = round(pages / 1e9, 1)
    except (ValueError, OSError):
        pass
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def progress(bench: str, message: str) -> None:
    """A progress line (benchmarks run for minutes; say what is happening)."""
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"  {stamp} [{bench}] {message}", flush=True)


# -- processes and their memory, from /proc ------------------------------------------------------
def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue  # the process ended meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # field 4; the name may hold spaces
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants alive now."""
    children = _children_map()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, ()))
    return tree


def proc_kib(path: str, key: str) -> int:
    """The KiB figure on the line of ``path`` (a /proc file) starting with ``key``."""
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass  # gone meanwhile: counts as nothing
    return 0
