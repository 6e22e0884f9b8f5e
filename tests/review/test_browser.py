"""One real browser walk through the review UI: Debian's Chromium driven by Playwright against
the app served by uvicorn on 127.0.0.1. Fails (never skips) when Chromium is missing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import sync_playwright

from tests.review.conftest import CAPTURED_TEXT, PASSWORD

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SCREENSHOT = Path("/tmp/review_signal.png")


@pytest.fixture
def base_url(app) -> Iterator[str]:  # noqa: ANN001
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.mark.browser
def test_signal_page_in_a_real_browser(base_url: str, world, settings) -> None:
    executable = settings.chromium_executable
    assert executable and Path(executable).exists(), (
        "Chromium is required for this test (apt-get install chromium)")
    dialogs: list[str] = []
    requests: list[str] = []
    responses: list[str] = []
    blocked: dict[str, str | None] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("request", lambda r: requests.append(r.url))
            page.on("requestfailed", lambda r: blocked.update({r.url: r.failure}))
            page.on("response", lambda r: responses.append(r.url))

            page.goto(f"{base_url}/signals")
            assert "/login" in page.url  # anonymous: sent to the login form
            page.fill("#username", "alice")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base_url}/signals")
            assert page.locator("table.queue tbody tr").count() == 4

            page.click(f'table.queue a[href="/signals/{world.signal_id}"]')
            page.wait_for_url(f"{base_url}/signals/{world.signal_id}")
            page.wait_for_load_state("load")

            assert page.locator("h1.signal-title").inner_text().startswith(
                "<script>alert(1)</script>")  # shown as text, not run
            rationale = page.locator("p.rationale").inner_text()
            assert "is not an ONSS employer." in rationale
            explain = page.locator("table.explain").first.inner_text()
            assert "The ad gives enterprise number 0123.456.749" in explain

            frame = page.frame_locator("iframe.evidence-frame").first
            assert frame.locator("h1").inner_text(timeout=10_000) == CAPTURED_TEXT

            shot = page.locator("img.evidence-shot").first
            shot.wait_for(state="visible")
            page.wait_for_function(
                "() => { const i = document.querySelector('img.evidence-shot');"
                " return i && i.complete; }")
            assert shot.evaluate("img => img.naturalWidth") == 160

            # A viewport as tall as the page (full_page stitching leaves out-of-process
            # frames such as the sandboxed capture blank).
            height = page.evaluate("() => document.documentElement.scrollHeight")
            page.set_viewport_size({"width": 1360, "height": height})
            frame.locator("h1").wait_for(state="visible")
            page.screenshot(path=str(SCREENSHOT))
            assert page.evaluate("() => typeof window.__xss") == "undefined"
        finally:
            browser.close()
    assert dialogs == []  # neither the scraped fields nor the archived page ran a script
    # Nothing reached the live site: the archived page's stylesheet and images (live URLs and
    # the relative one) were stopped by the sandbox CSP before any request went out.
    live = [url for url in requests if url.startswith("http://198.51.100.7/")]
    assert sorted(live) == ["http://198.51.100.7/live.css", "http://198.51.100.7/tracker.png"]
    assert {url: blocked.get(url) for url in live} == {url: "csp" for url in live}
    assert blocked.get(f"{base_url}/captures/{world.capture_id}/x") == "csp"
    assert responses and all(url.startswith(base_url) for url in responses)
