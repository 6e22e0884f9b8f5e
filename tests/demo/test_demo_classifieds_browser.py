"""The classifieds as a person sees them: real Chromium runs /classifieds/app.js."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from demo.server import DemoServer
from demo.world import World

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.mark.browser
def test_script_renders_index_and_detail(server: DemoServer, world: World) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(server.url + "/classifieds/?page=2")
            page.wait_for_selector("body[data-ready='1']", timeout=10_000)
            hrefs = page.eval_on_selector_all("a.listing-link", "els => els.map(e => e.href)")
            assert hrefs == [f"{server.url}/classifieds/listing/{i}" for i in range(20, 40)]
            assert page.get_attribute("a.next-page[rel=next]", "href") == "/classifieds/?page=3"

            page.goto(server.url + "/classifieds/?page=5")
            page.wait_for_selector("body[data-ready='1']", timeout=10_000)
            assert page.locator("a.next-page").count() == 0

            listing = next(world.listing(i) for i in range(world.n_listings)
                           if world.listing(i).vat)
            page.goto(server.url + listing.path)
            page.wait_for_selector("body[data-ready='1']", timeout=10_000)
            article = page.locator(f"article.listing[data-id='{listing.id}']")
            assert article.locator("h1.listing-title").text_content() == listing.title
            assert article.locator(".listing-provider").text_content() == listing.provider_name
            assert article.locator(".listing-vat").text_content() == listing.vat
            assert article.locator(".listing-category").text_content() == listing.category
            assert article.locator(".listing-location").text_content() == \
                f"{listing.postcode} {listing.locality}"
            assert article.locator(".listing-price").text_content() == listing.price_text
        finally:
            browser.close()
