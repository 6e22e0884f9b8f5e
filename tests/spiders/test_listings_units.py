"""The listings source's browser steps and the context/browser recycling bookkeeping.

The real Chromium behaviour is tested by test_listings_demo_crawl.py; here the parts that can
be checked without a browser: the YAML validation and which context each request gets.
"""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse

from spiders import SpiderError
from spiders.browser_pool import IN_FLIGHT, BrowserRecycleMiddleware
from spiders.settings import BROWSER_RECYCLER, playwright_settings
from spiders.source import load_source


def test_listings_yaml_describes_the_browser_steps() -> None:
    steps = load_source("listings").browser
    assert steps.cookie_wall and "Tout accepter" in (steps.cookie_accept or "")
    assert "Toon nummer" in (steps.phone_button or "")
    assert steps.phone_value == "article.listing .listing-phone"
    assert steps.max_scrolls == 10 and steps.scroll_end == ".listings-end"


def test_cookie_wall_without_accept_button_is_refused(tmp_path, monkeypatch) -> None:
    import spiders.source as source

    text = source.source_path("listings").read_text(encoding="utf-8")
    broken = text.replace("  cookie_accept: >-\n", "  cookie_accept_typo: >-\n")
    monkeypatch.setattr(source, "SOURCES_DIR", tmp_path)
    (tmp_path / "listings.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(SpiderError, match="cookie_accept"):
        load_source("listings")


def test_playwright_settings_switch_recycling_on_and_off() -> None:
    settings = playwright_settings("/usr/bin/chromium", recycle_context_after=7,
                                   restart_browser_after=70)
    assert settings["DOWNLOADER_MIDDLEWARES"] == {BROWSER_RECYCLER: 950}
    assert settings["VIGIE_BROWSER_CONTEXT_PAGES"] == 7
    assert settings["VIGIE_BROWSER_RESTART_PAGES"] == 70
    with pytest.raises(NotConfigured):
        BrowserRecycleMiddleware(0, 0)


def browser_request(url: str, **meta: object) -> Request:
    return Request(url, meta={"playwright": True, **meta})


def test_contexts_rotate_and_retire_when_their_last_page_is_back() -> None:
    mw = BrowserRecycleMiddleware(context_pages=3, restart_pages=0)

    async def scenario() -> None:
        first = [browser_request(f"http://x/{i}") for i in range(4)]
        for request in first:
            assert await mw.process_request(request) is None
        names = [r.meta["playwright_context"] for r in first]
        assert names == ["vigie-0", "vigie-0", "vigie-0", "vigie-1"]
        assert mw.retired == {"vigie-0"} and mw.in_flight["vigie-0"] == 3
        await mw.process_response(first[0], HtmlResponse("http://x/0", body=b""))
        await mw.process_exception(first[1], TimeoutError("slow"))
        assert mw.retired == {"vigie-0"} and mw.in_flight["vigie-0"] == 1
        await mw.process_response(first[2], HtmlResponse("http://x/2", body=b""))
        assert mw.retired == set() and "vigie-0" not in mw.in_flight  # closed and forgotten
        assert IN_FLIGHT not in first[2].meta

        retry = first[1].replace(dont_filter=True)  # a retried request gets today's context
        await mw.process_request(retry)
        assert retry.meta["playwright_context"] == "vigie-1"

        chosen = browser_request("http://x/s", playwright_context="session")
        plain = Request("http://x/robots.txt")
        await mw.process_request(chosen)
        await mw.process_request(plain)
        assert chosen.meta["playwright_context"] == "session"
        assert "playwright_context" not in plain.meta
        assert mw.in_flight["vigie-1"] == 2

    asyncio.run(scenario())
