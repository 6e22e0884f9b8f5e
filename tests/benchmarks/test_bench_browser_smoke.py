"""The browser-memory benchmark's measuring parts, without a browser crawl (too slow here).

The crawl itself is exercised by tests/spiders/test_listings_demo_crawl.py; this checks that
the process-tree memory reading counts children and that the summary finds the level at the
reference page count, the peak and their ratio.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from benchmarks import BenchmarkError
from benchmarks.bench_browser import QUICK, process_tree, summarise, tree_memory_mb
from benchmarks.runner import BENCHMARKS


def test_process_tree_counts_children_and_their_memory() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(60_000_000); "
                              "b[::4096] = b'x' * len(b[::4096]); time.sleep(30)"])
    try:
        for _ in range(100):  # until the child has touched its 60 MB
            memory = tree_memory_mb(os.getpid())
            if memory["tree_rss"] - memory["python_rss"] > 55:
                break
            subprocess.run(["sleep", "0.1"], check=True)
        assert child.pid in process_tree(os.getpid())
        assert memory["processes"] >= 2
        assert memory["tree_rss"] - memory["python_rss"] > 55  # the child's pages are counted
        assert 0 < memory["tree_pss"] <= memory["tree_rss"]
    finally:
        child.kill()
        child.wait()
    assert child.pid not in process_tree(os.getpid())


def test_summary_level_at_reference_peak_and_ratio() -> None:
    samples = [{"pages": p, "tree_rss": m, "tree_pss": m / 2}
               for p, m in [(0, 100), (40, 1000), (100, 900), (150, 1150), (250, 1080)]]
    summary = summarise(samples, "tree_rss", at_pages=100)
    assert summary["tree_rss_level_mb"] == 1000  # the highest by page 100, not the trough
    assert summary["tree_rss_sample_at_reference_mb"] == 900
    assert summary["tree_rss_peak_mb"] == 1150 and summary["tree_rss_peak_at_pages"] == 150
    assert summary["tree_rss_peak_ratio"] == 1.15
    assert summary["tree_rss_final_mb"] == 1080
    assert summary["tree_rss_mean_after_reference_mb"] == round((900 + 1150 + 1080) / 3, 1)
    with pytest.raises(BenchmarkError, match="never reached 300 pages"):
        summarise(samples, "tree_rss", at_pages=300)


def test_registered_with_a_quick_mode_below_the_default() -> None:
    assert "browser" in BENCHMARKS
    assert QUICK["pages"] > QUICK["at_pages"] and QUICK["pages"] < 2000
