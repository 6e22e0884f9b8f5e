"""The classifieds as a person sees them: real Chromium runs /classifieds/app.js.

Like real marketplaces, the site shows a cookie-consent wall until "Tout accepter", loads more
listings when the index is scrolled to the bottom, and hides each phone number behind a
"Afficher le numéro" / "Toon nummer" button that fetches it from the API.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from demo.server import DemoServer
from demo.world import World

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
READY = "body[data-ready='1']"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def links(page: Page) -> list[str]:
    return page.eval_on_selector_all("a.listing-link", "els => els.map(e => e.href)")


def scroll_to_bottom(page: Page) -> None:
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")


def accept_cookies(page: Page) -> None:
    page.click("#cookie-wall button.cookie-accept")
    page.wait_for_selector("#cookie-wall", state="detached", timeout=5_000)


@pytest.mark.browser
def test_script_renders_index_and_detail(server: DemoServer, world: World,
                                         browser: Browser) -> None:
    page = browser.new_page()
    try:
        page.goto(server.url + "/classifieds/?page=2")
        page.wait_for_selector(READY, timeout=10_000)
        assert links(page) == [f"{server.url}/classifieds/listing/{i}" for i in range(20, 40)]
        assert page.get_attribute("a.next-page[rel=next]", "href") == "/classifieds/?page=3"

        page.goto(server.url + "/classifieds/?page=5")
        page.wait_for_selector(READY, timeout=10_000)
        assert page.locator("a.next-page").count() == 0
        assert page.locator(".listings-end").count() == 1

        listing = next(world.listing(i) for i in range(world.n_listings)
                       if world.listing(i).vat)
        page.goto(server.url + listing.path)
        page.wait_for_selector(READY, timeout=10_000)
        article = page.locator(f"article.listing[data-id='{listing.id}']")
        assert article.locator("h1.listing-title").text_content() == listing.title
        assert article.locator(".listing-provider").text_content() == listing.provider_name
        assert article.locator(".listing-vat").text_content() == listing.vat
        assert article.locator(".listing-category").text_content() == listing.category
        assert article.locator(".listing-location").text_content() == \
            f"{listing.postcode} {listing.locality}"
        assert article.locator(".listing-price").text_content() == listing.price_text
    finally:
        page.close()


@pytest.mark.browser
def test_cookie_wall_blocks_scrolling_until_accepted_then_persists(
        server: DemoServer, world: World, browser: Browser) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + "/classifieds/")
        page.wait_for_selector(READY, timeout=10_000)
        assert page.locator("#cookie-wall[role=dialog]").is_visible()
        assert page.locator("#cookie-wall button.cookie-accept").text_content() == "Tout accepter"
        scroll_to_bottom(page)
        page.wait_for_timeout(300)
        assert len(links(page)) == 20  # nothing more loads behind the wall

        accept_cookies(page)  # still at the bottom: the next page loads at once
        assert page.evaluate("localStorage.getItem('pa-consent')") == "1"
        assert {c["name"]: c["value"] for c in context.cookies()}["pa_consent"] == "1"
        for pages_shown in (2, 3, 4, 5):  # world of 100 listings: 5 pages of 20
            if pages_shown > 2:
                scroll_to_bottom(page)
            page.wait_for_function(f"document.querySelectorAll('a.listing-link').length == "
                                   f"{20 * pages_shown}", timeout=5_000)
            page.wait_for_function("!document.body.dataset.loading", timeout=5_000)
            if pages_shown < 5:
                assert page.get_attribute("a.next-page", "href") == \
                    f"/classifieds/?page={pages_shown + 1}"
        assert links(page) == [f"{server.url}/classifieds/listing/{i}"
                               for i in range(world.n_listings)]
        assert page.locator(".listings-end").count() == 1
        assert page.locator("a.next-page").count() == 0

        page.goto(server.url + "/classifieds/?page=4")  # consent kept: no wall any more
        page.wait_for_selector(READY, timeout=10_000)
        assert page.locator("#cookie-wall").count() == 0
    finally:
        context.close()


@pytest.mark.browser
def test_phone_only_after_the_button_and_the_wall_blocks_the_button(
        server: DemoServer, world: World, browser: Browser) -> None:
    with_phone = [world.listing(i) for i in range(world.n_listings) if world.listing(i).phone]
    nl = next(lst for lst in with_phone if lst.language == "nl")
    fr = next(lst for lst in with_phone if lst.language == "fr")
    without = next(world.listing(i) for i in range(world.n_listings)
                   if world.listing(i).phone is None)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + fr.path)
        page.wait_for_selector(READY, timeout=10_000)
        assert page.locator(".listing-phone").count() == 0
        assert fr.phone not in page.content()
        button = page.locator("article.listing button.show-phone")
        assert button.text_content() == "Afficher le numéro"
        with pytest.raises(PlaywrightTimeout):  # the wall intercepts the click
            button.click(timeout=800)
        accept_cookies(page)
        button.click()
        assert page.locator("article.listing .listing-phone").text_content(timeout=5_000) \
            == fr.phone
        assert page.locator("button.show-phone").count() == 0

        page.goto(server.url + nl.path)
        page.wait_for_selector(READY, timeout=10_000)
        assert page.locator("#cookie-wall").count() == 0
        page.click("button.show-phone:has-text('Toon nummer')")
        assert page.locator(".listing-phone").text_content(timeout=5_000) == nl.phone

        page.goto(server.url + without.path)
        page.wait_for_selector(READY, timeout=10_000)
        assert page.locator("button.show-phone").count() == 0
        assert page.locator(".listing-contact-only").count() == 1
    finally:
        context.close()
