"""Building and exporting a dossier in a real browser (Debian's Chromium + Playwright): a
reviewer opens a dossier from a signal, adds a note, exports the evidence bundle and the PDF
report; the bundle verifies; no scraped payload runs anywhere on the way."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.review.conftest import PASSWORD
from tests.review.test_browser import CHROMIUM_ARGS, base_url  # noqa: F401  (fixture)
from vigie.verify import verify_bundle


@pytest.mark.browser
def test_reviewer_builds_and_exports_a_dossier(base_url: str, world, settings,  # noqa: F811
                                               tmp_path: Path) -> None:
    executable = settings.chromium_executable
    assert executable and Path(executable).exists(), "Chromium is required (apt install chromium)"
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(accept_downloads=True)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{base_url}/login")
            page.fill("#username", "rita")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base_url}/signals")

            page.goto(f"{base_url}/signals/{world.signal_id}")
            page.fill("form.new-dossier input[name=title]", "Nettoyage <b>Rapide</b> case")
            page.fill("form.new-dossier input[name=case_ref]", "PV-2024/0042")
            page.click("form.new-dossier button[type=submit]")
            page.wait_for_url(f"{base_url}/dossiers/*")
            assert page.locator("h1.dossier-title").inner_text() == "Nettoyage <b>Rapide</b> case"
            rows = page.locator("table.dossier-signals tbody tr")
            assert rows.count() == 1
            assert rows.first.locator("a").first.inner_text().startswith("<script>alert(1)")

            page.fill("form.add-note textarea[name=note]", "Visit with the <i>ONSS</i> team")
            page.click("form.add-note button[type=submit]")
            page.wait_for_load_state("load")
            assert "Visit with the <i>ONSS</i> team" in page.locator("p.note").first.inner_text()

            with page.expect_download() as info:
                page.click("button.export-bundle")
            bundle = tmp_path / "bundle.zip"
            info.value.save_as(bundle)
            with page.expect_download() as info:
                page.click("button.export-pdf")
            pdf = tmp_path / "report.pdf"
            info.value.save_as(pdf)
            xss = page.evaluate("() => window.__xss === undefined")
        finally:
            browser.close()
    assert xss and dialogs == []  # no scraped payload ran
    manifest, problems = verify_bundle(bundle)
    assert problems == [] and manifest["dossier"]["case_ref"] == "PV-2024/0042"
    with zipfile.ZipFile(bundle) as zf:
        data = json.loads(zf.read("dossier.json"))
    assert [n["note"] for n in data["notes"]] == ["Visit with the <i>ONSS</i> team"]
    assert pdf.read_bytes().startswith(b"%PDF-")
