"""The listings spider against the demo classifieds, as on the real web, with real Chromium.

The demo shows a cookie-consent wall (it blocks clicks and loading until "Tout accepter"),
loads more listings only when the index is scrolled to the bottom, and reveals each phone
number only after a click on "Afficher le numéro" / "Toon nummer". Contexts are recycled every
6 pages and the browser restarted every 12, so the wall comes back in every new context.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_spiders_crawl import HERE, REPO, Crawl

from demo.server import DemoServer
from demo.world import World, build_world
from tests import vigie_zygote as zygote


def run(out: Path, args: list[str], sets: list[str] = ()) -> Crawl:
    """One listings crawl in a subprocess (tests/spiders/harness.py), with settings."""
    cmd = [sys.executable, str(HERE / "harness.py"), "listings", str(out)]
    cmd += [x for arg in args for x in ("-a", arg)] + [x for s in sets for x in ("-s", s)]
    # generous: a shared 2-core machine under load runs Chromium several times slower
    proc = zygote.run_captured(cmd, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    crawl = Crawl(out)
    assert crawl.stats["finish_reason_seen"] == "finished"
    return crawl


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(11, 75)  # 25 listings: two batches of 20 on the index


@pytest.fixture(scope="module")
def demo(world: World) -> Iterator[DemoServer]:
    with DemoServer(world) as server:
        yield server


@pytest.fixture(scope="module")
def crawl(demo: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return run(tmp_path_factory.mktemp("listings-demo"),
               [f"base_url={demo.url}", "render_timeout_ms=8000"],
               ["VIGIE_BROWSER_CONTEXT_PAGES=6", "VIGIE_BROWSER_RESTART_PAGES=12"])


@pytest.mark.browser
def test_every_listing_with_its_hidden_phone(crawl: Crawl, world: World,
                                             demo: DemoServer) -> None:
    assert crawl.problems == []
    items = {int(i["fields"]["external_id"]): i["fields"] for i in crawl.items}
    assert set(items) == set(range(world.n_listings))  # the second batch came by scrolling
    with_phone = 0
    for ident, fields in items.items():
        listing = world.listing(ident)
        assert fields["title"] == listing.title
        assert fields["provider_name"] == listing.provider_name
        assert fields.get("phone") == listing.phone
        assert fields.get("provider_number") == listing.vat
        with_phone += listing.phone is not None
    assert 0 < with_phone < world.n_listings
    assert crawl.stats["vigie/browser/phones_revealed"] == with_phone
    fetched = demo.requests.by_target
    assert fetched["/classifieds/api/listings?page=2"] == 1  # loaded by the scroll only
    phone_calls = {t for t in fetched if t.endswith("/phone")}
    assert phone_calls == {f"/classifieds/api/listings/{i}/phone" for i in items
                           if world.listing(i).phone}


@pytest.mark.browser
def test_wall_dismissed_in_every_context_and_screenshots_kept(crawl: Crawl) -> None:
    stats = crawl.stats
    pages = 1 + 25  # one index load (scrolled) and the detail pages
    assert stats["playwright/page_count"] == pages
    assert stats["playwright/page_count/closed"] == pages  # every page closed
    assert stats["vigie/browser/scrolls"] == 1
    # a fresh context has no consent: the wall is back and dismissed again (by every page
    # that opened in it before the first "accept" was stored)
    assert stats["playwright/context_count"] >= 4
    assert stats["playwright/context_count"] <= stats["vigie/browser/cookie_walls_dismissed"]
    assert stats["vigie/browser/cookie_walls_dismissed"] < pages
    assert stats["vigie/browser/restarts"] == 2
    assert stats["playwright/browser_count"] == 3
    assert stats["vigie/browser/contexts_closed"] >= 3
    shots = {s["url"]: s for s in crawl.screenshots}
    assert len(shots) == pages
    for shot in crawl.screenshots:
        assert bytes.fromhex(shot["head"]) == b"\x89PNG\r\n\x1a\n" and shot["size"] > 1000
    for item in crawl.items:
        assert item["fields"]["screenshot_sha256"] == shots[item["url"]]["sha256"]


@pytest.mark.browser
def test_limit_stops_scrolling_early(demo: DemoServer, tmp_path: Path) -> None:
    before = demo.requests.by_target["/classifieds/api/listings?page=2"]
    small = run(tmp_path, [f"base_url={demo.url}", "limit=3"])
    assert small.problems == [] and len(small.items) == 3
    assert demo.requests.by_target["/classifieds/api/listings?page=2"] == before
    assert "vigie/browser/scrolls" not in small.stats
