"""Source files, settings builders, listing parser, encoding repair, dates, extract_page."""

from __future__ import annotations

from pathlib import Path

import pytest

from spiders import ParseError, SpiderError
from spiders.parsers import extract_page
from spiders.parsers.dates import parse_date
from spiders.parsers.encoding import declared_encoding, decode_body
from spiders.parsers.listing import parse_listing_page
from spiders.registry import RegistrySpider, parse_address, parse_numbers
from spiders.settings import crawl_settings, playwright_settings, source_settings
from spiders.source import list_sources, load_source

KBO = Path(__file__).parents[1] / "fixtures" / "realworld" / "kbo"


def test_every_source_file_loads() -> None:
    assert {"jobs", "listings", "registry", "websites", "board2", "jobfeed", "gazette"} <= set(
        list_sources())
    for name in list_sources():
        spec = load_source(name)
        assert spec.name == name and spec.politeness.robots_obey is True
        assert "art. 23" in spec.legal_basis
    assert load_source("listings").renderer == "browser"
    assert load_source("jobs").fallbacks["title"] == "h1.job-title"


def test_unknown_or_invalid_source_is_a_spider_error(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(SpiderError, match="no source file"):
        load_source("nope")
    import spiders.source as source

    monkeypatch.setattr(source, "SOURCES_DIR", tmp_path)
    (tmp_path / "bad.yaml").write_text(
        "name: bad\nkind: job_board\ntitle: t\n"
        "base_url: ftp://x\nstart_paths: [/]\n"
        "legal_basis: art. 23 public data\nschedule: daily\n"
    )
    with pytest.raises(SpiderError, match="base_url") as info:
        source.load_source("bad")
    assert "schedule" in str(info.value)


def test_settings_builders() -> None:
    spec = load_source("registry")
    settings = source_settings(spec)
    assert settings["DOWNLOAD_DELAY"] == 2.0
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["AUTOTHROTTLE_ENABLED"] is True and settings["ROBOTSTXT_OBEY"] is True
    assert "DOWNLOAD_HANDLERS" not in crawl_settings(spec)
    browser = crawl_settings(load_source("listings"), "/usr/bin/chromium")
    launch = browser["PLAYWRIGHT_LAUNCH_OPTIONS"]
    assert launch["executable_path"] == "/usr/bin/chromium"
    assert "--no-sandbox" in launch["args"] and "--disable-gpu" in launch["args"]
    assert browser["DOWNLOAD_HANDLERS"]["http"].endswith("ScrapyPlaywrightDownloadHandler")
    assert browser["TWISTED_REACTOR"].endswith("AsyncioSelectorReactor")
    assert "executable_path" not in playwright_settings(None)["PLAYWRIGHT_LAUNCH_OPTIONS"]


def test_encoding_repair() -> None:
    body = "<p>Étudiant·e – 14,50 € / heure</p>".encode("cp1252")
    declared = declared_encoding("text/html; charset=UTF-8", body)
    assert declared == "utf-8"
    text, repaired = decode_body(body, declared)
    assert repaired == "cp1252" and "Étudiant·e – 14,50 €" in text
    assert decode_body("Étudiant".encode(), "utf-8") == ("Étudiant", None)
    assert declared_encoding(None, b'<meta charset="windows-1252"><p>x') == "cp1252"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Depuis le 9 août 1960", "1960-08-09"),
        ("1er janvier 2022", "2022-01-01"),
        ("Sinds 1 januari 2024", "2024-01-01"),
        ("Seit dem 1. März 2020", "2020-03-01"),
        ("Since May 1, 2000", "2000-05-01"),
        ("afgesloten sinds 24/11/2010", "2010-11-24"),
        ("no date", None),
        ("31 février 2020", None),
    ],
)
def test_dates(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_enterprise_number_argument() -> None:
    assert parse_numbers("0200.065.765, 200068636") == ["0200065765", "0200068636"]
    with pytest.raises(SpiderError, match="0200065766"):
        parse_numbers("0200065766")


LISTING = """<html lang="fr"><body data-ready="1"><article class="listing" data-id="L42">
<h1 class="listing-title">Nettoyage de bureaux à Anderlecht</h1>
<span class="listing-category">cleaning</span><span class="listing-provider">Clean Express</span>
<span class="listing-phone">0470 12 34 56</span><span class="listing-vat">BE 0123.456.749</span>
<span class="listing-location">1070 Anderlecht</span><span class="listing-price">15 €/h</span>
<div class="listing-description">Nous nettoyons vos bureaux le soir, avec une équipe
fiable et des prix bas pour les entreprises de la région.</div></article></body></html>"""


def test_listing_parser() -> None:
    result = parse_listing_page(LISTING, "http://x/classifieds/listing/L42")
    assert result["fields"] == {
        "title": "Nettoyage de bureaux à Anderlecht",
        "external_id": "L42",
        "category": "cleaning",
        "provider_name": "Clean Express",
        "phone": "0470 12 34 56",
        "provider_number": "BE 0123.456.749",
        "price_text": "15 €/h",
        "description": "Nous nettoyons vos bureaux le soir, avec une équipe fiable et des prix "
        "bas pour les entreprises de la région.",
        "postcode": "1070",
        "locality": "Anderlecht",
    }
    assert result["provenance"]["provider_name"] == "css:.listing-provider"
    assert result["language"] == "fr"


def test_unrendered_listing_shell_is_a_parse_error() -> None:
    shell = "<html><body><div id='app'></div><script src='/x.js'></script></body></html>"
    with pytest.raises(ParseError, match="article.listing"):
        parse_listing_page(shell, "http://x/classifieds/listing/1")


def test_extract_page_for_the_cli() -> None:
    body = (KBO / "kbo_fr_0200305493.html").read_bytes()
    item = extract_page("registry", body, "https://kbopub.economie.fgov.be/x")
    assert item["kind"] == "register_entry" and item["source"] == "registry"
    assert item["fields"]["name"].startswith("Intergemeentelijk Samenwerkingsverband")
    assert item["language"] == "fr"
    with pytest.raises(SpiderError, match="no parser"):
        extract_page("gazette", body, "http://x")


def test_fixes_correct_known_bad_values() -> None:
    spec = load_source("jobs").model_copy(
        update={"fixes": {"employer_name": {"Clean Expres": "Clean Express SRL"}}}
    )
    fields = spec.apply_fixes({"employer_name": "Clean Expres", "title": "Clean Expres"})
    assert fields == {"employer_name": "Clean Express SRL", "title": "Clean Expres"}


def test_spider_arguments_and_problem_reports() -> None:
    from scrapy.http import HtmlResponse, Request
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet import error as tx_error
    from twisted.python.failure import Failure

    from spiders.base import classify_failure
    from spiders.jobs import JobsSpider
    from spiders.registry import RegistrySpider

    spider = JobsSpider(base_url="http://127.0.0.1:8800/", limit="1", purpose="audit")
    assert spider.allowed_domains == ["127.0.0.1"] and spider.purpose == "audit"
    assert spider.source.expected.items_min == 10 and spider.source is spider.spec
    assert spider.url("/jobs/search?page=1") == "http://127.0.0.1:8800/jobs/search?page=1"
    assert spider.take_budget() is True and spider.take_budget() is False
    spider.report_problem("http://x/1", "parse", "no title")
    assert spider.problems == [{"url": "http://x/1", "kind": "parse", "message": "no title"}]
    with pytest.raises(SpiderError, match="limit"):
        JobsSpider(limit="many")
    with pytest.raises(SpiderError, match="not a valid enterprise number"):
        RegistrySpider(numbers="0200065766")

    response = HtmlResponse("http://x/1", status=503, request=Request("http://x/1"))
    assert classify_failure(Failure(HttpError(response)))[0] == "http_503"
    assert classify_failure(Failure(tx_error.TimeoutError()))[0] == "timeout"
    assert classify_failure(Failure(tx_error.DNSLookupError()))[0] == "connection"
    assert classify_failure(Failure(ValueError("odd")))[0] == "download"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Panhuisstraat 1, 9070 Destelbergen", ("Panhuisstraat", "1", "9070", "Destelbergen")),
        ("Rue du Cerf 200 bte 3, 1332 Rixensart", ("Rue du Cerf", "200", "1332", "Rixensart")),
        ("Gentsesteenweg 1B, 9520", ("Gentsesteenweg", "1B", "9520", "")),
        ("Stropstraat, 9000 Gent", ("Stropstraat", "", "9000", "Gent")),
        ("9000 Gent", ("", "", "9000", "Gent")),
        ("9000", ("", "", "9000", "")),
        ("Destelbergen", ("", "", "", "Destelbergen")),
    ],
)
def test_parse_address(text: str, expected: tuple[str, str, str, str]) -> None:
    got = parse_address(text)
    assert (got["street"], got["house_number"], got["postcode"], got["municipality"]) == expected


def test_search_arguments_are_checked() -> None:
    with pytest.raises(SpiderError, match="needs a postcode or a municipality"):
        parse_address("Panhuisstraat 1,")
    with pytest.raises(SpiderError, match="4 digits"):
        RegistrySpider(name="Veneco", postcode="90700")
    spider = RegistrySpider(name="Veneco", postcode="9070", base_url="http://127.0.0.1:1")
    (request,) = spider.search_requests()
    assert request.url.startswith(
        "http://127.0.0.1:1/kbopub/zoeknaamfonetischform.html?lang=fr&searchWord=Veneco&"
    )
    assert "pstcdeNPRP=9070" in request.url and "rechtsvormFonetic=ALL" in request.url
    spider = RegistrySpider(address="Rue du Cerf 200, 1332 Rixensart", base_url="http://x")
    (request,) = spider.search_requests()
    assert "postcod1=1332&postgemeente1=Rixensart&straatgemeente1=Rue+du+Cerf&huisnummer=200" in (
        request.url
    )


def test_the_next_search_page_goes_ahead_only_while_few_ads_wait() -> None:
    """While fewer than AD_LOOKAHEAD ads wait, the board's next search page outranks them (the
    downloads never run dry while a list page is read); past that, the ads outrank it, so a
    crawl holds a bounded number of ads, not the whole board (memory of a 100,000-ad crawl).
    Every ad request is counted out again when parsed, failed or dropped as a duplicate."""
    from scrapy.http import HtmlResponse, Request
    from twisted.python.failure import Failure

    from demo.pages.jobs import search_page
    from demo.world import build_world
    from spiders.jobs import AD_LOOKAHEAD, AD_PRIORITY, JobsSpider

    world = build_world(7, 60)
    html = search_page([world.ad(i) for i in range(20)], 1, 3, faults=False)
    spider = JobsSpider(base_url="http://127.0.0.1:9")
    url = "http://127.0.0.1:9/jobs/search?page=1"
    response = HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url))

    def parse() -> tuple[list[Request], Request]:
        out = list(spider.parse_search(response))
        ads = [r for r in out if r.callback == spider.parse_ad]
        pages = [r for r in out if r.callback == spider.parse_search]
        assert len(ads) == 20 and len(pages) == 1
        assert {r.priority for r in ads} == {AD_PRIORITY}
        return ads, pages[0]

    ads, next_page = parse()
    assert spider.ads_waiting == 20
    assert next_page.priority > AD_PRIORITY  # few ads wait: read the next page now
    while spider.ads_waiting < AD_LOOKAHEAD:
        ads, next_page = parse()
    assert next_page.priority < AD_PRIORITY  # enough ads wait: the next page goes behind
    # Parsed, failed and dropped ads are counted out; the next page goes ahead again.
    ad_html = HtmlResponse(ads[0].url, body=b"<html><body></body></html>", encoding="utf-8",
                           request=ads[0])
    before = spider.ads_waiting
    list(spider.parse_ad(ad_html))
    spider.ad_failed(Failure(ValueError("timeout"), exc_tb=None))
    spider._request_dropped(ads[1])
    spider._request_dropped(Request("http://127.0.0.1:9/jobs/search?page=2",
                                    callback=spider.parse_search))  # not an ad: no change
    assert spider.ads_waiting == before - 3
    spider.ads_waiting = AD_LOOKAHEAD - 21  # with this page's 20 ads: one short
    assert parse()[1].priority > AD_PRIORITY
