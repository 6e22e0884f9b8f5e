"""The network view in a real browser (Debian's Chromium via Playwright, uvicorn on
127.0.0.1): nodes drawn, bankrupt nodes marked, zoom and drag, export as PNG and SVG, click to
open — and a script in a scraped name stays text. Fails (never skips) without Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.review.conftest import PASSWORD
from tests.review.test_browser import CHROMIUM_ARGS, base_url  # noqa: F401 (fixture)
from tests.review.test_network import GAMMA, ring  # noqa: F401 (fixture)

SCREENSHOT = Path("/tmp/review_network.png")


@pytest.mark.browser
def test_network_view_in_a_real_browser(base_url: str, ring, settings) -> None:  # noqa: ANN001, F811
    executable = settings.chromium_executable
    assert executable and Path(executable).exists(), "Chromium is required for this test"
    dialogs: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900},
                                    accept_downloads=True)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base_url}/login")
            page.fill("#username", "alice")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base_url}/signals")

            page.goto(f"{base_url}/network?employer={ring.gamma}")
            page.wait_for_selector("#network[data-drawn]")
            drawn = int(page.get_attribute("#network", "data-drawn") or "0")
            api = page.evaluate(
                "url => fetch(url).then(r => r.json())", f"/api/network?employer={ring.gamma}")
            assert drawn == len(api["nodes"]) >= 7
            assert page.locator("svg g.node").count() == drawn
            assert page.locator("svg line.edge").count() == len(api["edges"])
            bankrupt = page.locator('svg g.node[data-bankrupt="true"]')
            assert bankrupt.count() == 2 and page.locator("svg path.bankrupt-mark").count() == 2
            gamma = page.locator(f'svg g.node[data-id="employer:{ring.gamma}"]')
            assert gamma.locator("g.signal-count text").text_content() == "1"
            label = gamma.locator("text.label").text_content() or ""
            assert label.startswith("<img src=x onerror=") and GAMMA.startswith(label[:-1])
            assert page.evaluate("() => typeof window.__xss") == "undefined"
            assert page.locator("#network img").count() == 0  # the payload made no element

            # zoom with the wheel, drag a node
            zoom = "s => Number(s.dataset.zoom)"
            first = page.eval_on_selector("#network svg", zoom)
            page.mouse.move(400, 400)
            page.mouse.wheel(0, -300)
            page.wait_for_function(
                "z => Number(document.querySelector('#network svg').dataset.zoom) > z", arg=first)
            assert page.eval_on_selector("#network svg", zoom) > first
            person = page.locator(f'svg g.node[data-id="person:{ring.boss}"] circle').first
            before = page.get_attribute(f'svg g.node[data-id="person:{ring.boss}"]', "transform")
            box = person.bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(box["x"] + 60, box["y"] + 45, steps=5)
            page.mouse.up()
            after = page.get_attribute(f'svg g.node[data-id="person:{ring.boss}"]', "transform")
            assert after != before and page.url.endswith(f"/network?employer={ring.gamma}")

            # export as PNG and as SVG: real files of the drawn graph
            with page.expect_download() as png_info:
                page.click("#export-png")
            png = Path(png_info.value.path()).read_bytes()
            assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000
            assert png_info.value.suggested_filename == f"vigie-network-employer-{ring.gamma}.png"
            with page.expect_download() as svg_info:
                page.click("#export-svg")
            svg = Path(svg_info.value.path()).read_text()
            assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
            assert "&lt;img src=x onerror=" in svg and "<img" not in svg
            assert svg.count('class="node"') == drawn

            # click a bankrupt enterprise: its page opens
            page.locator(f'svg g.node[data-id="employer:{ring.alpha}"] circle').first.click()
            page.wait_for_url(f"{base_url}/employers/{ring.alpha}")
            assert "Bouw Alpha BV" in page.locator("h1").inner_text()
            page.go_back()
            page.wait_for_selector("#network[data-drawn]")
            page.screenshot(path=str(SCREENSHOT))
        finally:
            browser.close()
    assert dialogs == [] and errors == []
