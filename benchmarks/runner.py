"""Run one benchmark in this process and write its result as JSON.

    python -m benchmarks.runner matching [--quick] --out result.json

``python -m benchmarks`` starts one such process per benchmark, so that each one's peak
memory (``ru_maxrss`` of the process) is its own and a failure in one does not stop the rest.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path

from benchmarks.common import BenchResult, self_peak_rss_mb

BENCHMARKS = ("matching", "accuracy", "scale", "crawl", "storage", "import", "queue",
              "browser", "workers")


def run_one(name: str, quick: bool) -> BenchResult:
    if name not in BENCHMARKS:
        raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    module = importlib.import_module(f"benchmarks.bench_{name}")
    start = time.perf_counter()
    result: BenchResult = module.run(quick=quick)
    result.seconds = round(time.perf_counter() - start, 2)
    result.figures["benchmark_process_peak_rss_mb"] = round(self_peak_rss_mb(), 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.runner", description=__doc__)
    parser.add_argument("name", choices=BENCHMARKS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result = run_one(args.name, args.quick)
    args.out.write_text(json.dumps(result.as_dict(), indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
