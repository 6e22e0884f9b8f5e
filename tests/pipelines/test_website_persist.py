"""``website`` items → Records on real SQLite: through the pipelines directly, and end to end
with ``vigie crawl websites`` against the demo's company sites (capture middleware included)."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from demo.companies import company_sites, route
from demo.server import DemoServer
from demo.world import build_world
from entity_resolution.register import RegisterEntry
from pipelines.items import NormalizePipeline, PersistPipeline, ValidatePipeline
from pipelines.register_sync import import_entries
from spiders.parsers.website import merge_pages, parse_website_page
from storage.db import make_engine, session_scope
from storage.evidence import EvidenceStore
from storage.models import Capture, CrawlRun, Employer, Match, Record
from tests import vigie_zygote as zygote

FIXTURES = Path(__file__).parents[1] / "fixtures" / "websites_constructed"
REPO = Path(__file__).parents[2]


def _capture(settings, engine, url: str, body: bytes) -> int:  # type: ignore[no-untyped-def]
    stored = EvidenceStore(settings.evidence_dir).write_response(url, 200, [], body)
    with session_scope(engine) as session:
        cap = Capture(url=url, final_url=url, status=200, sha256=stored.sha256,
                      warc_file=stored.warc_file, warc_offset=stored.warc_offset,
                      warc_length=stored.warc_length, fetched_at=stored.fetched_at)
        session.add(cap)
        session.flush()
        assert cap.id is not None
        return cap.id


def _site_item(settings, engine, pages: dict[str, bytes], key: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """What the spider yields for these pages (home first), with real captures."""
    captures = {url: _capture(settings, engine, url, body) for url, body in pages.items()}
    parsed = [parse_website_page(body, url) for url, body in pages.items()]
    fields = merge_pages(parsed, captures)
    language = fields.pop("language")
    home = next(iter(pages))
    names = fields["names"]
    fields.update(external_id=key, domain=key, site_url=home, page_title=parsed[0].title,
                  employer_name=names[0]["value"] if names else None,
                  has_enterprise_number=bool(fields["enterprise_numbers"]),
                  pages_seen=list(pages), pages_failed=[], pages_left=0)
    return {"kind": "website", "source": "websites", "url": home,
            "capture_id": captures[home], "language": language, "fields": fields,
            "provenance": {"pages": [{"url": u, "capture_id": c} for u, c in captures.items()]}}


def _run(engine, item: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    persist = PersistPipeline(engine)
    persist.open_spider()
    persist.process_item(NormalizePipeline().process_item(ValidatePipeline().process_item(item)))


def test_demo_site_is_stored_and_matched_by_its_number(settings, engine) -> None:  # type: ignore[no-untyped-def]
    world = build_world(7, 300)
    site = next(s for s in company_sites(world)
                if s.variant == "ok" and not s.multilingual and s.iban)
    employer = site.employer
    with Session(engine) as session:
        import_entries(session, [RegisterEntry(
            enterprise_number=employer.enterprise_number, name=employer.name, status="AC",
            juridical_situation="000", onss_employer=True,
            postcode=employer.address.postcode, start_date=date(2010, 1, 1))])
    legal = "mentions-legales.html" if site.language == "fr" else "colofon.html"
    base = f"http://127.0.0.1:9/sites/{site.slug}/"
    pages = {base + path: route(world, f"/sites/{site.slug}/{path}")[1].encode()
             for path in ("", legal, "contact.html")}
    item = _site_item(settings, engine, pages, f"127.0.0.1:9/sites/{site.slug}/")
    _run(engine, item)
    with Session(engine) as session:
        record = session.exec(select(Record).where(Record.kind == "website")).one()
        match = session.exec(select(Match)).one()
        matched = session.get(Employer, match.employer_id)
    assert record.enterprise_number == employer.enterprise_number
    assert record.vat_number == f"BE{employer.enterprise_number}"
    assert record.phone == "+32" + site.phone[1:]
    assert record.postcode == employer.address.postcode and record.country == "BE"
    assert record.capture_id == item["capture_id"] and record.url == base
    assert record.normalized["has_enterprise_number"] is True
    assert record.normalized["ibans"] == [site.iban]
    assert record.normalized["emails"] == [site.email]
    assert sorted(record.normalized["social"]) == sorted(site.social)
    assert record.raw["pages_seen"] == list(pages)
    assert matched.enterprise_number == employer.enterprise_number and match.outcome == "match"
    # A later visit (new captures) updates the same Record.
    item2 = _site_item(settings, engine, pages, f"127.0.0.1:9/sites/{site.slug}/")
    _run(engine, item2)
    with Session(engine) as session:
        record = session.exec(select(Record).where(Record.kind == "website")).one()
    assert record.seen_count == 2 and record.last_capture_id == item2["capture_id"]


def test_own_be_vat_first_foreign_vat_kept(settings, engine) -> None:  # type: ignore[no-untyped-def]
    url = "https://www.veneco.be/colofon"
    item = _site_item(settings, engine, {url: (FIXTURES / "veneco_colofon.html").read_bytes()},
                      "veneco.be")
    _run(engine, item)
    with Session(engine) as session:
        record = session.exec(select(Record)).one()
    assert record.enterprise_number == "0200065765"
    assert record.vat_number == "BE0200065765"
    assert record.normalized["foreign_vats"] == ["PL5261040828"]
    assert record.normalized["website"] == "veneco.be"
    assert record.employer_name == "Intergemeentelijke Vereniging Veneco"
    assert record.district is not None and record.postcode == "9070"


def test_site_without_pages_is_refused(settings, engine) -> None:  # type: ignore[no-untyped-def]
    url = "https://www.veneco.be/colofon"
    item = _site_item(settings, engine, {url: (FIXTURES / "veneco_colofon.html").read_bytes()},
                      "veneco.be")
    item["fields"]["pages_seen"] = []
    from scrapy.exceptions import DropItem

    try:
        ValidatePipeline().process_item(item)
    except DropItem as exc:
        assert "no page read" in str(exc)
    else:  # pragma: no cover - the assertion that matters
        raise AssertionError("a site item without pages was accepted")


def test_vigie_crawl_websites_end_to_end(tmp_path: Path, databases) -> None:  # noqa: ANN001
    world = build_world(7, 300)
    sites = company_sites(world)
    chosen = [next(s for s in sites if s.variant == v) for v in
              ("ok", "other_number", "foreign_vat", "no_number")]
    data_dir = tmp_path / "var"
    env = {**os.environ, "VIGIE_DATA_DIR": str(data_dir), "VIGIE_DOWNLOAD_DELAY": "0",
           "VIGIE_AUTOTHROTTLE": "false", "VIGIE_CONCURRENT_PER_DOMAIN": "8",
           "PYTHONPATH": str(REPO), "VIGIE_DATABASE_URL": databases.url(data_dir)}
    with DemoServer(world) as server:
        domains = ",".join(f"/sites/{s.slug}/" for s in chosen)
        # a process forked by the test process's zygote (tests/vigie_zygote.py)
        done = zygote.VigiePopen(
            [sys.executable, "-m", "vigie", "crawl", "websites", "--purpose",
             "test: company sites", "--no-progress", "-a", f"base_url={server.url}",
             "-a", f"domains={domains}"], env, REPO)
        out, err = done.communicate(timeout=180)
    assert done.returncode == 0, out[-2000:] + err[-2000:]
    engine = make_engine(env["VIGIE_DATABASE_URL"])
    try:
        with Session(engine) as session:
            run = session.exec(select(CrawlRun)).one()
            records = {r.raw["domain"].split("/sites/")[1].rstrip("/"): r
                       for r in session.exec(select(Record).where(Record.kind == "website"))}
            captures = {c.id: c for c in session.exec(select(Capture))}
    finally:
        engine.dispose()
    assert run.spider == "websites" and run.items_scraped == 4
    assert run.status == "finished" and run.errors_count == 0
    assert run.pages_seen == 1 + 4 * 5  # robots.txt, then 5 pages per single-language site
    assert set(records) == {s.slug for s in chosen}
    for site in chosen:
        record = records[site.slug]
        assert record.enterprise_number == site.shown_number
        assert record.vat_number == site.shown_vat
        assert record.phone == "+32" + site.phone[1:]
        assert record.normalized["has_enterprise_number"] is (site.shown_number is not None)
        # Every page read is a capture, and every value points at the capture it came from.
        pages = record.provenance["pages"]
        assert all(captures[p["capture_id"]].final_url == p["url"] for p in pages)
        assert record.capture_id == pages[0]["capture_id"]
        for bucket in ("enterprise_numbers", "phones", "emails", "addresses"):
            for value in record.raw[bucket]:
                for seen in value["found"]:
                    assert captures[seen["capture_id"]].final_url == seen["url"]
