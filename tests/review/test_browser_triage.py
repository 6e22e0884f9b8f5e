"""The triage workbench in a real browser (Debian's Chromium via Playwright, the app served by
uvicorn on 127.0.0.1): filter the queue, select two signals, assign them in bulk, comment on
one — with XSS payloads in the scraped fields and in the comment, none of which may run."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlmodel import Session, select

from storage.models import AuditEvent, Signal
from tests.review.conftest import PASSWORD, XSS_FLAG
from tests.review.test_browser import CHROMIUM_ARGS, base_url  # noqa: F401  (fixture)


@pytest.mark.browser
def test_triage_in_a_real_browser(base_url: str, world, settings, engine) -> None:  # noqa: F811
    executable = settings.chromium_executable
    assert executable and Path(executable).exists(), "Chromium is required for this test"
    dialogs: list[str] = []
    with Session(engine) as s:
        low_wage = sorted(x.id for x in s.exec(select(Signal).where(Signal.rule == "low_wage")))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{base_url}/login")
            page.fill("#username", "alice")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base_url}/signals")
            # Filter: the low-wage rule only.
            page.select_option("form.filters select[name=rule]", "low_wage")
            page.click("form.filters button.primary")
            page.wait_for_url("**/signals?*rule=low_wage*")
            boxes = page.locator("input.select-signal")
            assert boxes.count() == 2
            boxes.nth(0).check()
            boxes.nth(1).check()
            page.select_option("select.bulk-action", "assign")
            page.select_option("select.bulk-assignee", "rita")
            page.click("button.bulk-apply")
            page.wait_for_url("**/signals?*rule=low_wage*")
            assert page.locator("td.assignee").all_inner_texts() == ["rita", "rita"]
            # Comment on one of them, with a payload that would set a flag if it ran.
            page.goto(f"{base_url}/signals/{low_wage[0]}")
            page.fill("form.comment-form textarea[name=text]", f"Called the employer {XSS_FLAG}")
            page.click("form.comment-form button[type=submit]")
            page.wait_for_url(f"**/signals/{low_wage[0]}#comments")
            text = page.locator("p.comment-text").first.inner_text()
            assert text == f"Called the employer {XSS_FLAG}"  # shown as text
            assert page.locator("strong.assignee").inner_text() == "rita"
            # The queue's first signal carries XSS payloads in its scraped title.
            page.goto(f"{base_url}/signals/{world.signal_id}")
            assert page.locator("h1.signal-title").inner_text().startswith("<script>")
            assert page.evaluate("() => typeof window.__xss") == "undefined"
        finally:
            browser.close()
    assert dialogs == []
    with Session(engine) as s:
        assigned = s.exec(select(Signal).where(Signal.id.in_(low_wage))).all()
        assert {x.assignee for x in assigned} == {"rita"}
        actions = [e.action for e in s.exec(select(AuditEvent)).all()]
        assert actions.count("signal.assign") == 2 and actions.count("signal.comment") == 1
