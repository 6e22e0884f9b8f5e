"""Real crawls of YAML-described boards over HTTP on 127.0.0.1 (subprocesses, harness.py).

The second demo board (EmploisPlus) through its sitemap index (plain and gzipped urlsets) and
through its list pages; the demo aggregator feed; and the real Recruityard feeds served as
files. Items are checked against the demo world's ground truth.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_spiders_crawl import ITEM_KEYS, Crawl, run

from demo.board2 import Board2
from demo.jobfeed import feed_entries
from demo.pages.jobs import tax_id
from demo.server import DemoServer
from demo.world import build_world

JOBS = Path(__file__).parents[1] / "fixtures" / "realworld" / "jobs"


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer(build_world(7, 300)) as server:
        yield server


@pytest.fixture(scope="module")
def board2(demo: DemoServer) -> Board2:
    return demo.site.board2


@pytest.fixture(scope="module")
def board2_crawl(demo: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    demo.requests.reset()
    return run("board2", tmp_path_factory.mktemp("board2"), f"base_url={demo.url}")


def test_board2_sitemap_crawl_finds_every_ad(
    board2_crawl: Crawl, board2: Board2, demo: DemoServer
) -> None:
    assert board2_crawl.problems == []
    assert board2.n_ads == 145 and len(board2.reposts()) == 85
    items = {i["fields"]["external_id"]: i for i in board2_crawl.items}
    assert len(board2_crawl.items) == len(items) == board2.n_ads
    assert board2_crawl.stats["item_scraped_count"] == 145
    fetched = demo.requests.snapshot()
    assert fetched["/board2/sitemap.xml"] == 1
    assert fetched["/board2/sitemap-offres-1.xml"] == 1
    assert fetched["/board2/sitemap-offres-2.xml.gz"] == 1
    assert fetched["/board2/sitemap-pages.xml"] == 1
    assert fetched["/board2/offres"] == 0  # listed in the sitemap, not allowed by the YAML
    forms = {"jsonld": 0, "rdfa": 0, "plain": 0}
    for board_id in range(1, board2.n_ads + 1):
        truth = board2.ad(board_id)
        item = items[truth.ref]
        assert set(item) == ITEM_KEYS and item["source"] == "board2"
        assert item["url"].endswith(truth.path)
        fields, prov = item["fields"], item["provenance"]
        ad = truth.ad
        assert fields["title"] == ad.title
        assert fields["employer_name"] == ad.employer_name
        assert (fields["postcode"], fields["locality"]) == (ad.postcode, ad.locality)
        assert fields["date_posted"] == ad.date_posted.isoformat()
        assert fields["salary_text"] == ad.salary_text
        assert fields["description"] == ad.description
        if ad.company_number:
            assert tax_id(ad.company_number) in fields["employer_number"]
        else:
            assert "employer_number" not in fields
        assert item["language"] == ad.language
        forms[truth.form] += 1
        expected_title = {
            "jsonld": "jsonld:title",
            "rdfa": "rdfa:title",
            "plain": "css:h2.offre__intitule",
        }[truth.form]
        assert prov["title"] == expected_title
        if truth.form == "plain":
            assert prov["external_id"] == "xpath://div[@class='offre']/@data-ref"
            assert prov["date_posted"] == "xpath://time[@class='offre__date']/@datetime"
            assert prov["employer_name"] == "css:.offre__societe-nom"
        else:
            assert fields["salary_unit"] == ad.salary_unit
    assert min(forms.values()) >= 25  # all three forms crawled


def test_board2_reposts_keep_the_employer_and_change_the_id(
    board2_crawl: Crawl, board2: Board2
) -> None:
    items = {i["fields"]["external_id"]: i["fields"] for i in board2_crawl.items}
    retitled = 0
    for board_id, main_id in board2.reposts().items():
        main = board2.world.ad(main_id)
        fields = items[f"EP-{board_id:05d}"]
        assert fields["employer_name"] == main.employer_name
        assert fields["postcode"] == main.postcode
        assert fields["external_id"] != main.identifier
        assert len(fields["description"]) <= len(main.description) + 2
        retitled += fields["title"] != main.title
    assert retitled >= 70


def test_board2_list_pages_with_the_yaml_link_selectors(
    demo: DemoServer, board2: Board2, tmp_path: Path
) -> None:
    crawl = run(
        "board2",
        tmp_path,
        f"base_url={demo.url}",
        f"start_url={demo.url}/board2/offres?p=1",
        "limit=30",
    )
    assert crawl.problems == []
    got = sorted(i["fields"]["external_id"] for i in crawl.items)
    assert got == [board2.ad(i).ref for i in range(1, 31)]  # 25 on page 1, 5 on page 2


def test_demo_feed_crawl(demo: DemoServer, board2: Board2, tmp_path: Path) -> None:
    crawl = run("jobfeed", tmp_path, f"base_url={demo.url}")
    assert crawl.problems == []
    entries = feed_entries(board2)
    assert len(crawl.items) == len(entries) == 106
    assert {e.board for e in entries} == {"jobs", "board2"}
    for item, entry in zip(crawl.items, entries, strict=True):
        fields = item["fields"]
        assert item["kind"] == "job_ad" and item["source"] == "jobfeed"
        assert item["url"] == f"{demo.url}/feeds/jobs.xml"
        assert fields["external_id"] == entry.reference
        assert fields["ad_url"] == demo.url + entry.path
        assert fields["title"] == entry.ad.title
        assert fields["employer_name"] == entry.ad.employer_name
        assert fields["description"] == entry.ad.description
        assert fields["postcode"] == entry.ad.postcode
        assert item["provenance"]["employer_name"] == "feed:company"
        if entry.ad.salary_min is not None:
            assert float(fields["salary_min"]) == entry.ad.salary_min
    assert crawl.stats["downloader/request_count"] == 2  # robots.txt + the feed


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    """The real feeds served as static files."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(JOBS))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_real_recruityard_feed_over_http(files: str, tmp_path: Path) -> None:
    crawl = run("jobfeed", tmp_path, f"base_url={files}", f"feed_url={files}/feed.xml")
    assert crawl.problems == [] and len(crawl.items) == 88
    first = crawl.items[0]["fields"]
    assert first["external_id"] == "CC-0506-25"
    assert first["title"] == "Content Moderation with Ukrainian"
    assert (first["salary_min"], first["salary_max"]) == ("1050", "1306")
    assert first["ad_url"] == (
        "https://recruityard.com/find-jobs-all/content-moderation-with-ukrainian-in-lisbon-pt"
    )
    assert {i["fields"]["country"] for i in crawl.items} == {"PT", "GR", "BG", "PL", "ES"}

