"""Real crawls over HTTP on 127.0.0.1: each spider runs in a subprocess (tests/spiders/harness.py).

Asserts the items (contract shape, concrete values), the problems the spider reports for the
faulty pages, that the crawl finishes, and — with real Chromium — that JavaScript-rendered
listings are extracted and screenshotted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from site_pages import LISTINGS

from tests import vigie_zygote as zygote

HERE = Path(__file__).parent
REPO = HERE.parents[1]
ITEM_KEYS = {"kind", "source", "url", "capture_id", "language", "fields", "provenance"}


class Crawl:
    """What one harness run wrote: items, problems, stats, screenshots."""

    def __init__(self, out: Path) -> None:
        lines = (out / "items.jsonl").read_text(encoding="utf-8").splitlines()
        self.items: list[dict[str, Any]] = [json.loads(line) for line in lines if line]
        self.problems: list[dict[str, str]] = json.loads((out / "problems.json").read_text())
        self.stats: dict[str, Any] = json.loads((out / "stats.json").read_text())
        self.screenshots: list[dict[str, Any]] = json.loads((out / "screenshots.json").read_text())

    def by_path(self) -> dict[str, dict[str, Any]]:
        return {item["url"].split("/", 3)[3]: item for item in self.items}

    def problem_kinds(self) -> set[tuple[str, str]]:
        return {(p["url"].split("/", 3)[3], p["kind"]) for p in self.problems}


def run(spider: str, out: Path, *args: str) -> Crawl:
    cmd = [sys.executable, str(HERE / "harness.py"), spider, str(out)]
    for arg in args:
        cmd += ["-a", arg]
    proc = zygote.run_captured(cmd, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    crawl = Crawl(out)
    assert crawl.stats["finish_reason_seen"] == "finished"
    return crawl


@pytest.fixture(scope="module")
def jobs_crawl(site: str, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return run("jobs", tmp_path_factory.mktemp("jobs"), f"base_url={site}")


def test_jobs_items_in_three_forms(jobs_crawl: Crawl) -> None:
    items = jobs_crawl.by_path()
    assert set(items) == {
        "jobs/ad/a1",
        "jobs/ad/a2",
        "jobs/ad/a3",
        "jobs/ad/a4",
        "jobs/ad/a5",
        "jobs/ad/fault-encoding",
    }
    for item in jobs_crawl.items:
        assert set(item) == ITEM_KEYS
        assert item["kind"] == "job_ad" and item["source"] == "jobs"
        assert item["capture_id"] is None  # no capture middleware in this harness
    a1 = items["jobs/ad/a1"]
    assert a1["fields"]["title"] == "Nettoyeur/Nettoyeuse de bureaux"
    assert a1["fields"]["employer_name"] == "Clean Express SRL"
    assert a1["fields"]["employer_number"] == "BE 0123.456.749"
    assert (a1["fields"]["salary_min"], a1["fields"]["salary_unit"]) == ("14.5", "HOUR")
    assert a1["fields"]["salary_text"] == "€ 14,50 / heure"
    assert a1["provenance"]["employer_name"] == "jsonld:hiringOrganization.name"
    assert a1["provenance"]["salary_text"] == "css:.job-salary"
    assert a1["language"] == "fr"
    a2 = items["jobs/ad/a2"]
    assert (a2["fields"]["employer_name"], a2["fields"]["postcode"]) == (
        "Logistiek Janssens BV",
        "9000",
    )
    assert a2["fields"]["employer_number"] == "ondernemingsnummer 0200 065 765"
    assert a2["provenance"]["title"] == "microdata:title" and a2["language"] == "nl"
    a3 = items["jobs/ad/a3"]["fields"]
    assert (a3["title"], a3["employer_name"], a3["salary_text"]) == (
        "Laveur de voitures",
        "Wash Center",
        "cash 6€/h",
    )
    assert (a3["street"], a3["postcode"], a3["locality"]) == (
        "Chaussée de Mons 100",
        "1070",
        "Anderlecht",
    )
    assert items["jobs/ad/a3"]["provenance"]["employer_name"] == "css:.job-company"
    a4 = items["jobs/ad/a4"]
    assert a4["fields"]["employer_name"] == "Transporte Schmitz GmbH"  # JobPosting in @graph
    assert a4["provenance"]["locality"] == "jsonld:jobLocation.address.addressLocality"
    assert a4["language"] == "de"
    assert items["jobs/ad/a5"]["fields"]["employer_number"] == "VAT PL5261040828"


def test_jobs_faults_are_reported_and_the_crawl_goes_on(jobs_crawl: Crawl) -> None:
    kinds = jobs_crawl.problem_kinds()
    assert ("jobs/ad/fault-500", "http_500") in kinds
    assert ("jobs/ad/fault-malformed", "parse") in kinds
    assert ("jobs/ad/fault-encoding", "encoding") in kinds
    assert ("private/ad/9", "robots") in kinds  # robots.txt obeyed
    assert ("jobs/ad/fault-encoding", "parse") not in kinds
    repaired = jobs_crawl.by_path()["jobs/ad/fault-encoding"]["fields"]
    assert repaired["encoding_repaired"] == "cp1252"
    assert repaired["title"] == "Étudiant·e — aide-ménagère"
    assert repaired["employer_name"] == "Ménage Élégance SRL"
    assert jobs_crawl.stats["vigie/problems/http_500"] == 1
    assert jobs_crawl.stats["vigie/problems/parse"] == 1
    assert jobs_crawl.stats["item_scraped_count"] == 6


def test_jobs_limit_and_start_url(site: str, tmp_path: Path) -> None:
    crawl = run(
        "jobs", tmp_path, f"base_url={site}", "limit=2", f"start_url={site}/jobs/search?page=2"
    )
    assert sorted(crawl.by_path()) == ["jobs/ad/a4", "jobs/ad/a5"]
    assert crawl.problems == []


def test_registry_from_list_pages(site: str, tmp_path: Path) -> None:
    crawl = run("registry", tmp_path, f"base_url={site}")
    assert crawl.problems == []
    entries = {i["fields"]["enterprise_number"]: i for i in crawl.items}
    assert len(entries) == 8
    veneco = entries["0200065765"]
    assert veneco["kind"] == "register_entry" and veneco["language"] == "fr"
    assert veneco["fields"]["name"] == "Intergemeentelijke Vereniging Veneco"
    assert veneco["fields"]["onss_since"] == "2022-01-01"
    assert len(veneco["fields"]["functions"]) == 15
    assert veneco["provenance"]["legal_form"] == "label:Forme légale"
    assert entries["0200420608"]["fields"]["onss_employer"] is False
    unknown = entries["0123456749"]
    assert unknown["fields"]["found"] is False and unknown["language"] is None


def test_registry_targeted_numbers(site: str, tmp_path: Path) -> None:
    crawl = run(
        "registry",
        tmp_path,
        f"base_url={site}",
        "numbers=0200.362.408, 123456749",
        "purpose=test",
        "case_ref=DOS-1",
    )
    found = {i["fields"]["enterprise_number"]: i["fields"] for i in crawl.items}
    assert set(found) == {"0200362408", "0123456749"}
    assert found["0200362408"]["phone"] == "02 315 13 51"
    assert found["0123456749"]["found"] is False


@pytest.mark.browser
def test_listings_rendered_by_chromium(site: str, tmp_path: Path) -> None:
    crawl = run("listings", tmp_path, f"base_url={site}", "render_timeout_ms=4000")
    # the listing whose API answers 404 never renders: reported, and the crawl goes on
    assert crawl.problem_kinds() == {("classifieds/listing/999", "render")}
    items = {i["fields"]["external_id"]: i for i in crawl.items}
    assert set(items) == {x["id"] for x in LISTINGS}
    for source in LISTINGS:
        fields = items[source["id"]]["fields"]
        assert fields["title"] == source["title"]
        assert fields["provider_name"] == source["provider"]
        assert fields["phone"] == source["phone"]
        assert fields["category"] == source["category"]
        assert fields.get("provider_number") == (source["vat"] or None)
        assert f"{fields['postcode']} {fields['locality']}" == source["location"]
        assert fields["screenshot_taken"] is True
    assert items["103"]["language"] == "nl"
    shots = {s["url"].split("/", 3)[3]: s for s in crawl.screenshots}
    assert {"classifieds/", "classifieds/?page=2"} <= set(shots)
    assert "classifieds/listing/999" not in shots  # the screenshot comes after the wait
    for shot in crawl.screenshots:
        assert bytes.fromhex(shot["head"]) == b"\x89PNG\r\n\x1a\n" and shot["size"] > 1000
    for item in crawl.items:
        path = item["url"].split("/", 3)[3]
        assert item["fields"]["screenshot_sha256"] == shots[path]["sha256"]
    assert crawl.stats["playwright/page_count"] == 7
    assert crawl.stats["vigie/problems/render"] == 1


def test_registry_search_by_name_follows_every_result_page(site: str, tmp_path: Path) -> None:
    # "Inter": Intergemeentelijke Vereniging Veneco, Intergemeentelijk Samenwerkingsverband…
    # (SOLVA) and Intercommunale Sociale du Brabant wallon — 3 hits, 2 per result page.
    crawl = run("registry", tmp_path, f"base_url={site}", "name=Inter", "purpose=test")
    assert crawl.problems == []
    found = {i["fields"]["enterprise_number"]: i["fields"] for i in crawl.items}
    assert set(found) == {"0200065765", "0200305493", "0200362408"}
    assert found["0200362408"]["name"] == "Intercommunale Sociale du Brabant wallon"
    assert {i["url"].rsplit("=", 1)[-1] for i in crawl.items} == set(found)


def test_registry_search_by_address(site: str, tmp_path: Path) -> None:
    crawl = run("registry", tmp_path, f"base_url={site}", "address=9000 Gent")
    assert crawl.problems == []
    assert {i["fields"]["enterprise_number"] for i in crawl.items} == {
        "0200068636",
        "0200171970",
    }
    crawl = run(
        "registry", tmp_path / "street", f"base_url={site}", "address=Stropstraat 1, 9000 Gent"
    )
    assert [i["fields"]["name"] for i in crawl.items] == ["Farys"]


def test_registry_search_without_hits_is_counted_not_a_problem(site: str, tmp_path: Path) -> None:
    crawl = run("registry", tmp_path, f"base_url={site}", "name=Zyxwvut", "postcode=9000")
    assert crawl.items == [] and crawl.problems == []
    assert crawl.stats["registry/search_without_hits"] == 1
