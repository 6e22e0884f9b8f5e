"""A real crawl of the demo's company sites over HTTP on 127.0.0.1 (tests/spiders/harness.py
in a subprocess), checked site by site against the demo's ground truth, with the page bound."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.companies import CompanySite, company_sites
from demo.server import DemoServer
from demo.world import World, build_world
from tests import vigie_zygote as zygote

HERE = Path(__file__).parent
REPO = HERE.parents[1]
ITEM_KEYS = {"kind", "source", "url", "capture_id", "language", "fields", "provenance"}


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(7, 300)


@pytest.fixture(scope="module")
def demo(world: World) -> Iterator[DemoServer]:
    with DemoServer(world) as server:
        yield server


def crawl(out: Path, *args: str) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    cmd = [sys.executable, str(HERE / "harness.py"), "websites", str(out)]
    for arg in args:
        cmd += ["-a", arg]
    proc = zygote.run_captured(cmd, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["finish_reason_seen"] == "finished"
    items = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines() if line]
    return items, json.loads((out / "problems.json").read_text())


@pytest.fixture(scope="module")
def full(demo: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every site of the demo's list page, with the YAML's bound (8 pages per site)."""
    demo.requests.reset()
    items, problems = crawl(tmp_path_factory.mktemp("websites"), f"base_url={demo.url}")
    return {"items": items, "problems": problems, "requests": demo.requests.snapshot()}


def _slug(item: dict[str, Any]) -> str:
    return item["url"].split("/sites/", 1)[1].split("/", 1)[0]


def _values(item: dict[str, Any], bucket: str) -> list[str]:
    return [v["value"] for v in item["fields"][bucket]]


def test_one_item_per_site_in_contract_shape(full: dict[str, Any], world: World) -> None:
    sites = company_sites(world)
    assert len(sites) == 27
    assert sorted(_slug(i) for i in full["items"]) == sorted(s.slug for s in sites)
    assert full["problems"] == []
    for item in full["items"]:
        assert set(item) == ITEM_KEYS
        assert item["kind"] == "website" and item["source"] == "websites"
        assert item["fields"]["domain"] == item["fields"]["external_id"]
        assert item["fields"]["domain"].endswith(f"/sites/{_slug(item)}/")


def test_every_site_matches_its_ground_truth(full: dict[str, Any], world: World) -> None:
    truth = {s.slug: s for s in company_sites(world)}
    for item in full["items"]:
        site: CompanySite = truth[_slug(item)]
        fields = item["fields"]
        assert _values(item, "enterprise_numbers") == (
            [site.shown_number] if site.shown_number else []), site.slug
        assert _values(item, "vats") == ([site.shown_vat] if site.shown_vat else []), site.slug
        assert fields["has_enterprise_number"] is (site.shown_number is not None)
        assert _values(item, "phones") == ["+32" + site.phone[1:]], site.slug
        assert _values(item, "emails") == [site.email], (site.slug, site.email_form)
        assert _values(item, "ibans") == ([site.iban] if site.iban else []), site.slug
        assert sorted(_values(item, "social")) == sorted(site.social), site.slug
        postcodes = {a["postcode"] for a in fields["addresses"]}
        assert postcodes == {site.employer.address.postcode}, site.slug
        assert item["language"] == site.language


def test_fraud_hints_are_visible(full: dict[str, Any], world: World) -> None:
    truth = {s.slug: s for s in company_sites(world)}
    by_variant: dict[str, list[dict[str, Any]]] = {}
    for item in full["items"]:
        by_variant.setdefault(truth[_slug(item)].variant, []).append(item)
    assert {k: len(v) for k, v in by_variant.items()} == {
        "ok": 19, "other_number": 3, "foreign_vat": 3, "no_number": 2}
    for item in by_variant["other_number"]:
        site = truth[_slug(item)]
        shown = _values(item, "enterprise_numbers")
        assert shown == [site.shown_number] and shown != [site.employer.enterprise_number]
        assert world.employer(shown[0]) is not None  # another register enterprise
    for item in by_variant["foreign_vat"]:
        assert _values(item, "enterprise_numbers") == []
        assert [v["country"] for v in item["fields"]["vats"]][0] in {"PL", "RO", "BG", "PT"}
    for item in by_variant["no_number"]:
        assert item["fields"]["has_enterprise_number"] is False
        assert item["fields"]["vats"] == [] and item["fields"]["numbers_invalid"] == []


def test_legal_notice_is_read_first_and_values_say_where(
    full: dict[str, Any], world: World
) -> None:
    truth = {s.slug: s for s in company_sites(world)}
    for item in full["items"]:
        site = truth[_slug(item)]
        pages = item["provenance"]["pages"]
        assert pages[0]["why"] == "home" and pages[1]["why"] == "legal"
        if site.shown_number:
            found = item["fields"]["enterprise_numbers"][0]["found"]
            legal = [f for f in found if f["url"] == pages[1]["url"]]
            assert {f["where"] for f in legal} >= {"text"}
            assert ("footer" in {f["where"] for f in found}) is site.number_in_footer
        if site.email_form == "cfemail":  # plain only on the privacy page
            found = item["fields"]["emails"][0]["found"]
            assert {f["where"] for f in found if "/contact" in f["url"]} == {"cfemail"}
            assert {f["where"] for f in found} == {"cfemail", "text"}


def test_page_bound_and_no_useless_pages(full: dict[str, Any], world: World) -> None:
    truth = {s.slug: s for s in company_sites(world)}
    requests = full["requests"]
    for item in full["items"]:
        site = truth[_slug(item)]
        fetched = sum(n for path, n in requests.items()
                      if path.startswith(f"/sites/{site.slug}/"))
        seen = item["fields"]["pages_seen"]
        if site.multilingual:  # 15 pages worth reading: the bound stops at 8
            assert len(seen) == 8 and fetched == 8 and item["fields"]["pages_left"] > 0
        else:  # home, legal, contact, about, privacy; never services or news
            assert len(seen) == 5 and fetched == 5 and item["fields"]["pages_left"] == 0
        assert not any(p.endswith(("services.html", "diensten.html", "nieuws.html",
                                   "actualites.html", "news.html")) for p in seen)
        assert max(p["depth"] for p in item["provenance"]["pages"]) <= 2


def test_targeted_domains_with_a_smaller_bound_and_a_dead_site(
    demo: DemoServer, world: World, tmp_path: Path
) -> None:
    sites = company_sites(world)
    multi = next(s for s in sites if s.multilingual)
    single = next(s for s in sites if not s.multilingual and s.variant == "ok")
    items, problems = crawl(
        tmp_path,
        f"base_url={demo.url}",
        f"domains=/sites/{multi.slug}/fr/, /sites/{single.slug}/,/sites/doesnotexist/",
        "pages_per_domain=3",
    )
    assert sorted(_slug(i) for i in items) == sorted([multi.slug, single.slug])
    for item in items:
        assert len(item["fields"]["pages_seen"]) == 3
        assert [p["why"] for p in item["provenance"]["pages"]] == ["home", "legal", "contact"]
    kinds = {(p["url"].split("/", 3)[3], p["kind"]) for p in problems}
    assert kinds == {("sites/doesnotexist/", "http_404"), ("sites/doesnotexist/", "site")}
