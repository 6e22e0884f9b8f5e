"""Instructions per query of the scale matching, counted by Valgrind (not a test; run by hand).

    PYTHONPATH=$PWD .venv/bin/python tests/entity_resolution/perf_instructions.py \
        CACHE [n_entries=200000] [n_queries=300]

On a machine shared with other work, CPU times of two branches measured back to back differ
by ±10 % from run to run (perf_scale.py), which hides a change worth a few per cent. The
number of instructions executed does not depend on the load. This script runs itself under
``valgrind --tool=callgrind`` with the counting switched off, loads the matcher and queries
of :mod:`tests.entity_resolution.perf_scale` (``CACHE`` as its ``--cache``: give each branch
its own, or one built by the older branch), matches 300 queries to warm the caches, freezes
the garbage collector as the forked workers do (else collections of the loaded index
dominate), then switches counting on (``callgrind_control -i on``) for ``n_queries``
queries of ``Matcher._match_rows`` — one worker's work — and prints the total. The total
includes the interpreter's shutdown, the same for both branches; compare totals of two
branches on the same cache and query count. A run takes about 4 minutes at 200,000 entries.
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(cache: Path, entries: int, count: int, ready: Path, go: Path) -> None:
    from tests.entity_resolution.perf_scale import _load

    matcher, queries = _load(entries, cache)
    for q in queries[:300]:
        matcher._match_rows(q)
    todo = queries[300 : 300 + count]
    gc.collect()
    gc.freeze()
    ready.touch()
    while not go.exists():
        time.sleep(0.2)
    for q in todo:
        matcher._match_rows(q)


def main() -> None:
    if sys.argv[1] == "--child":
        cache, entries, count, ready, go = sys.argv[2:7]
        child(Path(cache), int(entries), int(count), Path(ready), Path(go))
        return
    cache = Path(sys.argv[1])
    entries = sys.argv[2] if len(sys.argv) > 2 else "200000"
    count = sys.argv[3] if len(sys.argv) > 3 else "300"
    with tempfile.TemporaryDirectory() as tmp:
        ready, go, out = Path(tmp, "ready"), Path(tmp, "go"), Path(tmp, "callgrind.out")
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
            sys.executable, __file__, "--child", str(cache), entries, count, str(ready), str(go),
        ]  # fmt: skip
        proc = subprocess.Popen(command, stderr=subprocess.DEVNULL, env=os.environ.copy())
        while not ready.exists():
            if proc.poll() is not None:
                raise SystemExit(f"the matching process ended early ({proc.returncode})")
            time.sleep(1)
        on = ["callgrind_control", "-i", "on", str(proc.pid)]
        subprocess.run(on, check=True, stdout=subprocess.DEVNULL)
        go.touch()
        proc.wait()
        total = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
        if total is None:
            raise SystemExit("no totals in the callgrind output")
        print(f"{entries} entries, {count} queries: {int(total.group(1)):,} instructions")


if __name__ == "__main__":
    main()
