"""Boards as data: RDFa JobPosting, streamed feeds, sitemaps, link selectors, YAML-made spiders.

Parsers run on real pages and feeds (tests/fixtures/realworld/jobs, see PROVENANCE.md there).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request, Response, XmlResponse

from spiders import ParseError, SpiderError
from spiders.parsers.jobfeed import iter_job_feed, parse_job_feed
from spiders.parsers.jobposting import parse_job_page, rdfa_job_posting
from spiders.selectors import link_targets
from spiders.sitemaps import read_sitemap
from spiders.source import SourceSpec, load_source, sources_of_kind

JOBS = Path(__file__).parents[1] / "fixtures" / "realworld" / "jobs"
REED_URL = "https://www.reed.co.uk/jobs/software-developer/52507327"


# -- RDFa ------------------------------------------------------------------------------------


def test_schema_org_rdfa_example() -> None:
    result = parse_job_page(
        (JOBS / "schemaorg_jobposting_rdfa.html").read_bytes(), "https://schema.org/JobPosting"
    )
    fields, prov = result["fields"], result["provenance"]
    assert fields["title"] == "Software Engineer"
    assert fields["employer_name"] == "ABC Company Inc."
    assert fields["locality"] == "Kirkland"
    assert fields["date_posted"] == "2011-10-31"
    assert fields["employment_type"] == "Full-time"
    assert (fields["salary_min"], fields["salary_max"], fields["salary_currency"]) == (
        "100000",
        "100000",
        "USD",
    )
    assert fields["description"].startswith("Description: ABC Company Inc. seeks a full-time")
    assert prov["employer_name"] == "rdfa:hiringOrganization.name"
    assert prov["locality"] == "rdfa:jobLocation.address.addressLocality"
    assert prov["salary_currency"] == "rdfa:salaryCurrency"
    assert result["language"] == "en"


def test_reed_page_as_rdfa_and_the_empty_organization() -> None:
    page = (JOBS / "reed_details_rdfa.html").read_bytes()
    bare = parse_job_page(page, REED_URL)
    fields, prov = bare["fields"], bare["provenance"]
    assert fields["title"] == "Software Developer" and prov["title"] == "rdfa:title"
    assert (fields["locality"], fields["postcode"], fields["country"]) == (
        "Manchester",
        "M31HJ",
        "GB",
    )
    assert (fields["salary_min"], fields["salary_max"], fields["salary_unit"]) == (
        "35000.00",
        "45000.00",
        "YEAR",
    )
    assert prov["salary_min"] == "rdfa:baseSalary.value.minValue"
    assert fields["employment_type"] == "FULL_TIME" and fields["date_posted"] == "2024-04-19"
    # the <a href> around the name makes the company page the subject of "name" in RDFa
    assert "employer_name" not in fields
    helped = parse_job_page(page, REED_URL, {"employer_name": "[data-element=about_recruiter]"})
    assert helped["fields"]["employer_name"] == "Test Company"
    assert helped["provenance"]["employer_name"] == "css:[data-element=about_recruiter]"


def test_microdata_still_wins_over_rdfa_on_the_original_page() -> None:
    result = parse_job_page((JOBS / "reed_details.html").read_bytes(), REED_URL)
    assert result["provenance"]["title"] == "microdata:title"
    assert result["fields"]["employer_name"] == "Test Company"


def test_rdfa_framing_survives_cycles_and_keeps_iris() -> None:
    graph = [
        {
            "@id": "_:job",
            "@type": ["http://schema.org/JobPosting"],
            "http://schema.org/title": [{"@value": "Plongeur"}],
            "http://schema.org/hiringOrganization": [{"@id": "_:org"}],
            "http://schema.org/url": [{"@id": "https://example.be/job/1"}],
        },
        {
            "@id": "_:org",
            "@type": ["http://schema.org/Organization"],
            "http://schema.org/name": [{"@value": "Resto A"}, {"@value": "Resto A SRL"}],
            "http://schema.org/subjectOf": [{"@id": "_:job"}],
        },
    ]
    job = rdfa_job_posting(graph)
    assert job is not None and job["title"] == "Plongeur"
    assert job["hiringOrganization"]["name"] == ["Resto A", "Resto A SRL"]
    assert job["hiringOrganization"]["subjectOf"] == "_:job"  # the cycle stops at the IRI
    assert job["url"] == "https://example.be/job/1"
    assert rdfa_job_posting(graph[1:]) is None


def test_xpath_fallbacks_read_attributes() -> None:
    page = (
        '<html lang="fr"><body><div class="offre" data-ref="EP-00007">'
        '<h2 class="t">Plongeur</h2><time class="d" datetime="2025-09-01">01/09/2025</time>'
        '<p class="c">Resto A</p></div></body></html>'
    )
    fallbacks = {
        "external_id": "xpath://div[@class='offre']/@data-ref",
        "title": "xpath://h2[@class='t']",
        "employer_name": ".c",
        "date_posted": "xpath://time/@datetime",
    }
    result = parse_job_page(page, "http://x/1", fallbacks)
    assert result["fields"] == {
        "external_id": "EP-00007",
        "title": "Plongeur",
        "employer_name": "Resto A",
        "date_posted": "2025-09-01",
    }
    assert result["provenance"]["date_posted"] == "xpath://time/@datetime"
    with pytest.raises(ParseError, match="job title"):
        parse_job_page(page, "http://x/1", {"title": "xpath://h3"})


# -- feeds, streamed ---------------------------------------------------------------------------


def test_real_feed_streams_from_a_file_object() -> None:
    with (JOBS / "feed.xml").open("rb") as handle:
        jobs = iter_job_feed(handle, "feed.xml")
        first = next(jobs)
        assert first["fields"]["external_id"] == "CC-0506-25"
        rest = list(jobs)
    assert len(rest) == 87
    assert [j["fields"]["title"] for j in rest] == [
        j["fields"]["title"] for j in parse_job_feed((JOBS / "feed.xml").read_bytes())[1:]
    ]


def test_truncated_real_feed_yields_what_it_read_then_fails() -> None:
    data = (JOBS / "jooble.xml").read_bytes()
    cut = data[: len(data) // 2]
    seen = []
    with pytest.raises(ParseError, match="well-formed"):
        for job in iter_job_feed(cut, "jooble.xml"):
            seen.append(job["fields"]["external_id"])
    assert 30 < len(seen) < 60 and seen[0] == "CC-0506-25"


def test_feed_with_another_item_tag_and_no_entities() -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "EXPANDED">]>'
        b"<r><offer><title>Chauffeur &x;</title><company>Tr. Janssens</company></offer></r>"
    )
    jobs = list(iter_job_feed(xml, "f", item_tag="offer"))
    assert len(jobs) == 1 and "EXPANDED" not in jobs[0]["fields"]["title"]
    with pytest.raises(ParseError, match="no <job> element in <r>"):
        list(iter_job_feed(xml, "f"))


# -- sitemaps and links ------------------------------------------------------------------------

URLSET = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>http://b.test/offre/1-a.html</loc></url>"
    b"<url><loc>http://b.test/offre/2-b.html</loc><lastmod>2025-09-01</lastmod></url>"
    b"</urlset>"
)


def test_sitemaps_plain_gzipped_and_index() -> None:
    plain = read_sitemap(XmlResponse("http://b.test/s.xml", body=URLSET))
    assert plain.kind == "urlset"
    assert plain.urls == ["http://b.test/offre/1-a.html", "http://b.test/offre/2-b.html"]
    zipped = Response("http://b.test/s-2.xml.gz", body=gzip.compress(URLSET))
    assert read_sitemap(zipped) == plain
    index = XmlResponse(
        "http://b.test/sitemap.xml",
        body=b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>http://b.test/s.xml</loc></sitemap></sitemapindex>",
    )
    assert read_sitemap(index).kind == "sitemapindex"
    with pytest.raises(ParseError, match="not a sitemap"):
        read_sitemap(HtmlResponse("http://b.test/", body=b"<html><body>hi</body></html>"))
    with pytest.raises(ParseError, match="not a sitemap root"):
        read_sitemap(XmlResponse("http://b.test/x.xml", body=b"<rss><channel/></rss>"))
    bomb = Response("http://b.test/big.xml.gz", body=gzip.compress(b" " * 5000 + URLSET))
    with pytest.raises(ParseError, match="larger than"):
        read_sitemap(bomb, max_size=1000)


def test_link_targets_css_attr_and_xpath() -> None:
    sel = Selector(
        text='<a class="ep-card__link" href="/o/1">A</a><a class="ep-card__link" href=" ">B</a>'
        '<ul><li class="ep-pager__next"><a href="?p=2">›</a></li></ul>'
    )
    assert link_targets(sel, "a.ep-card__link") == ["/o/1"]
    assert link_targets(sel, "a.ep-card__link::attr(href)") == ["/o/1"]
    assert link_targets(sel, "xpath://li[@class='ep-pager__next']/a/@href") == ["?p=2"]
    assert link_targets(sel, "xpath://li[@class='ep-pager__next']/a") == ["?p=2"]
    assert link_targets(sel, "a.none") == []


# -- sources and spiders made from YAML ------------------------------------------------------


def test_board_sources_and_their_defaults() -> None:
    jobs = load_source("jobs")
    assert (jobs.links.ads, jobs.links.next_page) == ("a.job-link", "a[rel=next]")
    board2 = load_source("board2")
    assert board2.kind == "job_board" and board2.start_paths == []
    assert board2.sitemap_urls == ["/board2/sitemap.xml"]
    assert board2.links.allow and board2.fallbacks["title"] == "h2.offre__intitule"
    feed = load_source("jobfeed")
    assert feed.kind == "job_feed" and feed.feed.item_tag == "job"
    names = {s.name for s in sources_of_kind("job_board", "job_feed")}
    assert {"jobs", "board2", "jobfeed"} <= names and "registry" not in names


def test_a_source_needs_somewhere_to_start_and_valid_regexes() -> None:
    base = load_source("board2").model_dump()
    with pytest.raises(ValueError, match="start_paths or sitemap_urls"):
        SourceSpec.model_validate({**base, "sitemap_urls": []})
    with pytest.raises(ValueError, match="allow"):
        SourceSpec.model_validate({**base, "links": {"allow": "(unclosed"}})


def test_every_board_yaml_is_a_spider() -> None:
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    from spiders.feeds import FeedSpider
    from spiders.jobs import JobsSpider

    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    loader = SpiderLoader.from_settings(settings)
    assert {"jobs", "board2", "jobfeed", "registry", "listings"} <= set(loader.list())
    board2 = loader.load("board2")
    assert issubclass(board2, JobsSpider) and board2.source_name == "board2"
    assert issubclass(loader.load("jobfeed"), FeedSpider)
    assert loader.load("jobs") is JobsSpider
    spider = board2(base_url="http://127.0.0.1:9/", limit="3")
    assert spider.name == "board2" and spider.spec.sitemap_urls == ["/board2/sitemap.xml"]
    assert spider.wanted("http://127.0.0.1:9/board2/offre/12-kok.html")
    assert not spider.wanted("http://127.0.0.1:9/board2/offres?p=2")
    with pytest.raises(SpiderError, match="no source file"):
        load_source("board3")


def test_feed_items_resolve_links_against_the_feed() -> None:
    from spiders.boards import SPIDERS

    spider = SPIDERS["jobfeed"](base_url="http://agg.test")
    xml = (JOBS / "jooble.xml").read_bytes()
    url = "http://agg.test/feeds/jooble.xml"
    response = XmlResponse(url, body=xml, request=Request(url))
    items = list(spider.parse_feed(response))
    assert len(items) == 88 and spider.problems == []
    first = items[0]
    assert first["url"] == "http://agg.test/feeds/jooble.xml" and first["source"] == "jobfeed"
    assert first["fields"]["ad_url"].startswith("https://recruityard.com/find-jobs-all/")
    assert first["provenance"]["external_id"] == "feed:@id"
    limited = SPIDERS["jobfeed"](base_url="http://agg.test", limit="10")
    assert len(list(limited.parse_feed(response))) == 10
    bad = XmlResponse("http://agg.test/f.xml", body=b"<jobs><job>", request=Request(url))
    broken = list(spider.parse_feed(bad))
    assert broken == [] and spider.problems[-1]["kind"] == "parse"


def test_extract_page_for_a_yaml_board() -> None:
    from demo.board2 import Board2, detail_page
    from demo.world import build_world
    from spiders.parsers import extract_page

    board = Board2(build_world(7, 300))
    plain = next(board.ad(i) for i in range(1, 60) if board.ad(i).form == "plain")
    item = extract_page("board2", detail_page(plain), "http://127.0.0.1:8800" + plain.path)
    assert item["kind"] == "job_ad" and item["source"] == "board2"
    assert item["fields"]["external_id"] == plain.ref
    assert item["fields"]["title"] == plain.ad.title
    assert item["fields"]["date_posted"] == plain.ad.date_posted.isoformat()
    assert item["provenance"]["title"] == "css:h2.offre__intitule"
    with pytest.raises(SpiderError, match="no parser"):
        extract_page("jobfeed", b"<source/>", "http://x")
