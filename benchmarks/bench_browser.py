"""Browser crawl memory: does a long Playwright crawl keep its memory flat?

The listings spider crawls the demo classifieds through Chromium (cookie wall, infinite
scroll, "show phone" clicks, a full-page screenshot per page) for ``pages`` detail pages.
The crawl runs in a child process that samples, every 0.25 s, the resident memory of itself
AND of all its descendants (the Chromium browser, renderer and utility processes), read from
``/proc`` (RSS summed, and PSS, which shares shared pages out fairly), together with the number
of pages opened so far. Target (issue 4): the peak stays within 20 % of the level after the
first 200 pages (the highest memory seen by then: see :func:`summarise`).

Vigie's side recycles browser contexts and restarts the browser
(:mod:`spiders.browser_pool`, the defaults of :func:`spiders.settings.playwright_settings`);
the baseline is the same crawl of the same pages with both switched off (one context for the
whole crawl), measured in the same run. Throughput (pages/s) is compared too: recycling costs
new contexts, restarts and cookie walls shown again.

    python -m benchmarks --only browser [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from benchmarks import BenchmarkError
from benchmarks.common import BenchResult, ChildRun, proc_kib, process_tree, progress, run_child
from benchmarks.demo_web import DemoWebProcess

DEFAULT = {"pages": 2000, "seed": 7, "at_pages": 200}  # reference: memory after 200 pages
QUICK = {"pages": 150, "seed": 7, "at_pages": 50}
SAMPLE_EVERY_S = 0.25
TARGET_RATIO = 1.2


# -- memory of a process tree, from /proc --------------------------------------------------------
def tree_memory_mb(pid: int) -> dict[str, float]:
    """RSS of ``pid`` itself, RSS and PSS summed over ``pid`` and its descendants (MB)."""
    tree = process_tree(pid)
    own = proc_kib(f"/proc/{pid}/status", "VmRSS:")
    rss = sum(proc_kib(f"/proc/{p}/status", "VmRSS:") for p in tree)
    pss = sum(proc_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in tree)
    return {"python_rss": own / 1024, "tree_rss": rss / 1024, "tree_pss": pss / 1024,
            "processes": len(tree)}


class MemorySampler:
    """Scrapy extension (crawl side): memory of this process tree against pages opened."""

    def __init__(self, crawler: Any, out: Path) -> None:
        self.crawler = crawler
        self.out = out
        self.samples: list[dict[str, float]] = []
        self.loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> MemorySampler:
        from scrapy import signals

        ext = cls(crawler, Path(crawler.settings.get("BENCH_SAMPLES_OUT")))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def sample(self) -> None:
        pages = self.crawler.stats.get_value("playwright/page_count", 0)
        self.samples.append({"pages": pages, **tree_memory_mb(os.getpid())})

    def opened(self) -> None:
        from twisted.internet import task

        self.loop = task.LoopingCall(self.sample)
        self.loop.start(SAMPLE_EVERY_S)

    def closed(self, spider: Any) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.sample()
        stats = {k: v for k, v in self.crawler.stats.get_stats().items()
                 if isinstance(v, int | float | str)}
        self.out.write_text(json.dumps({"samples": self.samples, "stats": stats,
                                        "problems": spider.problems}, default=str))


def crawl_main(argv: list[str]) -> int:
    """The crawl child: ``python -m benchmarks.bench_browser URL PAGES OUT [--no-recycle]``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("pages", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--no-recycle", action="store_true")
    args = parser.parse_args(argv)
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from spiders.listings import ListingsSpider
    from spiders.settings import playwright_settings, source_settings
    from spiders.source import load_source

    chromium = shutil.which("chromium") or None
    extra = {"recycle_context_after": 0, "restart_browser_after": 0} if args.no_recycle else {}
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    settings.setdict(source_settings(load_source("listings")), priority="project")
    settings.setdict(playwright_settings(chromium, **extra), priority="project")
    settings.setdict({
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY_JITTER": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "WARNING",
        "EXTENSIONS": {"benchmarks.bench_browser.MemorySampler": 900},
        "BENCH_SAMPLES_OUT": str(args.out),
    }, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(ListingsSpider, base_url=args.base_url, limit=str(args.pages))
    process.start()
    return 0


# -- the benchmark (parent side) ------------------------------------------------------------------
def summarise(samples: list[dict[str, float]], key: str, at_pages: int) -> dict[str, float]:
    """The level reached after ``at_pages`` pages, the peak, and their ratio.

    The memory of a browser crawl swings with the number of pages open at once (one renderer
    process each), so one sample taken at page 200 may fall in a trough. The *level* after the
    first ``at_pages`` pages is therefore the highest value seen up to then; the ratio is the
    crawl's overall peak over that level (1.0: it never went higher later on)."""
    early = [s for s in samples if s["pages"] <= at_pages]
    if not samples or samples[-1]["pages"] < at_pages or not early:
        raise BenchmarkError(f"the crawl never reached {at_pages} pages")
    level = max(s[key] for s in early)
    at = next(s for s in samples if s["pages"] >= at_pages)
    peak = max(samples, key=lambda s: s[key])
    after = [s[key] for s in samples if s["pages"] >= at_pages]
    return {
        f"{key}_level_mb": round(level, 1),
        f"{key}_sample_at_reference_mb": round(at[key], 1),
        f"{key}_peak_mb": round(peak[key], 1),
        f"{key}_peak_at_pages": peak["pages"],
        f"{key}_final_mb": round(samples[-1][key], 1),
        f"{key}_mean_after_reference_mb": round(sum(after) / len(after), 1),
        f"{key}_peak_ratio": round(peak[key] / level, 3),
    }


def one_crawl(base_url: str, pages: int, out: Path, recycle: bool,
              at_pages: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.bench_browser", base_url, str(pages), str(out)]
    if not recycle:
        cmd.append("--no-recycle")
    run: ChildRun = run_child(cmd, timeout=3000)
    if run.returncode != 0 or not out.exists():
        raise BenchmarkError(f"browser crawl failed ({run.returncode}): {run.stderr[-2000:]}")
    data = json.loads(out.read_text(encoding="utf-8"))
    stats, samples = data["stats"], data["samples"]
    opened = int(stats.get("playwright/page_count", 0))
    elapsed = float(stats.get("elapsed_time_seconds") or run.seconds)
    figures: dict[str, Any] = {
        "pages_opened": opened,
        "items": int(stats.get("item_scraped_count", 0)),
        "problems": len(data["problems"]),
        "problem_kinds": sorted({p["kind"] for p in data["problems"]}),
        "pages_per_second": round(opened / elapsed, 3),
        "elapsed_seconds": round(elapsed, 1),
        "samples": len(samples),
        "max_processes": max(s["processes"] for s in samples),
        "browser_launches": stats.get("playwright/browser_count"),
        "contexts": stats.get("playwright/context_count"),
        "pages_closed": stats.get("playwright/page_count/closed"),
        "cookie_walls_dismissed": stats.get("vigie/browser/cookie_walls_dismissed"),
        "phones_revealed": stats.get("vigie/browser/phones_revealed"),
        "python_rss_peak_mb": round(max(s["python_rss"] for s in samples), 1),
    }
    for key in ("tree_rss", "tree_pss"):
        figures.update(summarise(samples, key, at_pages))
    # a coarse memory curve for the report: one point per 100 pages
    curve, step = [], 100
    for s in samples:
        if s["pages"] >= len(curve) * step:
            curve.append([s["pages"], round(s["tree_rss"], 1), round(s["tree_pss"], 1)])
    figures["curve_pages_rss_pss_mb"] = curve
    return figures


def run_browser_benchmark(pages: int, seed: int, at_pages: int,
                          work: Path | None = None) -> BenchResult:
    import tempfile

    size = 3 * (pages + 40)  # the demo world has size // 3 listings
    result = BenchResult(
        name="browser",
        title=f"Playwright crawl of {pages} listings: memory of crawl + Chromium",
        baseline="same crawl, no context recycling and no browser restart",
        params={"pages": pages, "seed": seed, "world_size": size, "at_pages": at_pages,
                "sample_every_s": SAMPLE_EVERY_S, "target_peak_ratio": TARGET_RATIO},
        memory_method="/proc VmRSS (and smaps_rollup Pss) summed over the crawl process and "
                      "its Chromium descendants, sampled every 0.25 s",
    )
    with tempfile.TemporaryDirectory(prefix="vigie-bench-browser-") as tmp:
        folder = work or Path(tmp)
        sides = {}
        for side, recycle in (("vigie", True), ("baseline", False)):
            with DemoWebProcess(seed, size) as web:
                progress("browser", f"{side}: {pages} listings from {web.url}")
                sides[side] = one_crawl(web.url, pages, folder / f"{side}.json", recycle,
                                        at_pages)
            done = sides[side]
            progress("browser", f"{side}: {done['pages_per_second']} pages/s, "
                                f"peak/reference {done['tree_rss_peak_ratio']}")
    vigie, base = sides["vigie"], sides["baseline"]
    result.compare(f"peak ÷ level after {at_pages} pages (RSS)", "×",
                   vigie["tree_rss_peak_ratio"], base["tree_rss_peak_ratio"], False)
    result.compare(f"peak ÷ level after {at_pages} pages (PSS)", "×",
                   vigie["tree_pss_peak_ratio"], base["tree_pss_peak_ratio"], False)
    result.compare("peak memory (RSS, tree)", "MB",
                   vigie["tree_rss_peak_mb"], base["tree_rss_peak_mb"], False)
    result.compare("pages/s", "pages/s", vigie["pages_per_second"], base["pages_per_second"])
    result.figures = {"vigie": vigie, "baseline": base}
    result.peak_memory_mb = {"vigie": vigie["tree_rss_peak_mb"],
                             "baseline": base["tree_rss_peak_mb"]}
    ok = vigie["tree_rss_peak_ratio"] <= TARGET_RATIO
    result.notes.append(
        f"target peak ≤ {TARGET_RATIO} × level after {at_pages} pages: "
        f"{'met' if ok else 'NOT met'} ({vigie['tree_rss_peak_ratio']} RSS, "
        f"{vigie['tree_pss_peak_ratio']} PSS); baseline {base['tree_rss_peak_ratio']} RSS")
    return result


def run(quick: bool = False) -> BenchResult:
    return run_browser_benchmark(**(QUICK if quick else DEFAULT))


if __name__ == "__main__":
    raise SystemExit(crawl_main(sys.argv[1:]))
