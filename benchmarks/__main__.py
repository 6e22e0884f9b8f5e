"""Run Vigie's benchmarks and report each as a ratio against a baseline measured alongside.

    python -m benchmarks            # full run (< 15 min on 2 cores)
    python -m benchmarks --quick    # smoke run (< 2 min)
    python -m benchmarks --only matching,storage
    python -m benchmarks --only browser   # Playwright crawl memory (2 × 2,000 pages)
    python -m benchmarks --only scale   # 100k queries against a 1M-entry register

Each benchmark runs in its own process (``benchmarks.runner``). The table is printed with
Rich; the figures and the machine they were measured on go to ``benchmarks/results/``
(``latest.json``, plus ``quick.json`` or ``default.json`` for the last run of each mode).
Exit code 1 if any benchmark failed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from benchmarks.common import REPO_ROOT, BenchResult, machine_info
from benchmarks.report import print_report, write_json
from benchmarks.runner import BENCHMARKS

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TIMEOUT_S = {"quick": 300, "default": 1200}
# Benchmarks that need longer: the browser crawls 2 × 2,000 pages through Chromium; scale
# builds a million-entry register and queries it 100,000 times (seconds).
TIMEOUT_S_BY_NAME = {"browser": {"quick": 600, "default": 3600},
                     "scale": {"quick": 300, "default": 3600}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated subset of: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=RESULTS_DIR,
        help="where to write latest.json (default: benchmarks/results)",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    mode = "quick" if args.quick else "default"
    console = Console()
    if not console.is_terminal:  # piped or logged: room for the whole table
        console = Console(width=max(console.width, 110))
    machine = machine_info()
    console.print(
        f"[bold]Vigie benchmarks[/] ({mode}): {', '.join(names)} on "
        f"{machine['cores']} cores, Python {machine['python']}"
    )
    start = time.perf_counter()
    results: list[BenchResult] = []
    errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="vigie-bench-") as tmp:
        for name in names:
            console.print(f"[bold]→ {name}[/]")
            out = Path(tmp) / f"{name}.json"
            cmd = [sys.executable, "-m", "benchmarks.runner", name, "--out", str(out)]
            if args.quick:
                cmd.append("--quick")
            timeout = TIMEOUT_S_BY_NAME.get(name, TIMEOUT_S)[mode]
            try:
                done = subprocess.run(cmd, cwd=REPO_ROOT, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                errors[name] = f"did not finish within {timeout} s"
                continue
            if done.returncode != 0 or not out.exists():
                errors[name] = f"exited with code {done.returncode} (see its output above)"
                continue
            results.append(BenchResult.from_dict(json.loads(out.read_text(encoding="utf-8"))))
    total = time.perf_counter() - start
    print_report(console, results, machine, mode, errors)
    command = "python -m benchmarks" + (" --quick" if args.quick else "")
    if args.only != ",".join(BENCHMARKS):
        command += f" --only {shlex.quote(args.only)}"
    for filename in ("latest.json", f"{mode}.json"):
        write_json(args.results_dir / filename, results, machine, mode, errors, total, command)
    console.print(f"total {total:.0f} s; results written to {args.results_dir / 'latest.json'}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
