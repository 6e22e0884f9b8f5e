"""A real crawl of the demo Gazette (ejustice clone, ISO-8859-1) over HTTP on 127.0.0.1.

The spider runs in a subprocess (tests/spiders/harness.py); the demo server runs here, so the
test can compare the items with the demo world and count what the crawler fetched.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.gazette import PER_PAGE
from demo.server import DemoServer
from demo.world import World, build_world
from tests import vigie_zygote as zygote

HERE = Path(__file__).parent
REPO = HERE.parents[1]
UNKNOWN = "0200420608"  # valid number, not in the demo register: "Liste (0)"


def _crawl(out: Path, *args: str) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    cmd = [sys.executable, str(HERE / "harness.py"), "gazette", str(out)]
    for arg in args:
        cmd += ["-a", arg]
    proc = zygote.run_captured(cmd, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["finish_reason_seen"] == "finished"
    lines = (out / "items.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line], json.loads(
        (out / "problems.json").read_text()
    )


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(7, 300)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[DemoServer]:
    with DemoServer(world) as srv:
        yield srv


@pytest.fixture(scope="module")
def carousel_crawl(
    world: World, server: DemoServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[dict[str, Any]], list[dict[str, str]], tuple[str, ...]]:
    numbers = world.carousels[0].enterprise_numbers
    dotted = ",".join(f"{n[:4]}.{n[4:7]}.{n[7:]}" for n in (*numbers, UNKNOWN))
    server.requests.reset()
    items, problems = _crawl(
        tmp_path_factory.mktemp("gazette"),
        f"base_url={server.url}",
        f"numbers={dotted}",
        "details=1",
    )
    return items, problems, numbers


def test_crawl_yields_every_publication_of_the_numbers(
    carousel_crawl: tuple[list[dict[str, Any]], list[dict[str, str]], tuple[str, ...]],
    server: DemoServer,
) -> None:
    items, problems, numbers = carousel_crawl
    assert problems == []
    gazette = server.site.gazette
    for number in numbers:
        expected = {(p.day.isoformat(), p.numac, p.rubric) for p in gazette.publications(number)}
        got = {
            (i["fields"]["publication_date"], i["fields"]["numac"], i["fields"]["rubric"])
            for i in items
            if i["fields"]["enterprise_number"] == number
        }
        assert got == expected and len(expected) >= 4
    assert len(items) == sum(len(gazette.publications(n)) for n in numbers)
    assert not any(i["fields"]["enterprise_number"] == UNKNOWN for i in items)
    for item in items:
        assert item["kind"] == "gazette" and item["source"] == "gazette"
        assert item["fields"]["pdf_url"].startswith(server.url + "/")
        assert item["provenance"]["rubric"] == "line:3"
    # pagination followed: every list page of each number fetched once, plus one article page
    targets = server.requests.by_target
    for number in numbers:
        pages = -(-len(gazette.publications(number)) // PER_PAGE)
        assert pages >= 1
        for page in range(2, pages + 1):
            assert targets[f"/cgi_tsv/list.pl?language=fr&sum_date=&page={page}&btw={number}"] == 1
        assert targets[f"/cgi_tsv/article.pl?language=fr&btw_search={number}"] == 1
    assert targets[f"/cgi_tsv/list.pl?language=fr&btw={UNKNOWN}&page=1"] == 1


def test_crawl_carousel_facts(
    carousel_crawl: tuple[list[dict[str, Any]], list[dict[str, str]], tuple[str, ...]],
    world: World,
) -> None:
    items, _problems, numbers = carousel_crawl
    boss = world.person(world.carousels[0].person_id)
    boss_name = f"{boss.last_name.upper()} {boss.first_name}"
    old, newest = numbers[0], numbers[-1]
    by_number: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_number.setdefault(item["fields"]["enterprise_number"], []).append(item["fields"])
    # the older links of the chain went bankrupt, published under "N° BCE" and "KBO NR."
    bankrupt = [f for f in by_number[old] if f["rubric_code"] == "bankruptcy"]
    assert {f["rubric"] for f in bankrupt} == {"N° BCE", "KBO NR."}
    assert all(f["pdf_url"] and "/mopdf/" in f["pdf_url"] for f in bankrupt)
    # the boss is appointed in the newest company and resigned from the old ones
    appointed = [p for f in by_number[newest] for p in f["persons"] if p["action"] == "appointment"]
    assert boss_name in {p["name"] for p in appointed}
    resigned = {
        p["name"] for f in by_number[old] for p in f["persons"] if p["action"] == "resignation"
    }
    assert boss_name in resigned
    employer = world.employer(old)
    assert employer is not None
    assert by_number[old][0]["enterprise_name"] == employer.name


def test_crawl_without_numbers_reads_the_search_results(server: DemoServer, tmp_path: Path) -> None:
    items, problems = _crawl(tmp_path, f"base_url={server.url}", "limit=3")
    assert problems == []
    newest = server.site.gazette.all_publications()[: 3 * PER_PAGE]
    assert [(i["fields"]["enterprise_number"], i["fields"]["numac"]) for i in items] == [
        (p.enterprise_number, p.numac) for p in newest
    ]
