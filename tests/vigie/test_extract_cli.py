"""`vigie extract` runs a spider's parser on a saved real page and prints JSON lines."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.vigie_cli import run_vigie

REAL = Path(__file__).parents[1] / "fixtures" / "realworld"


def _extract(spider: str, url: str, page: Path) -> subprocess.CompletedProcess[str]:
    """``vigie extract`` through the CLI's entry point, in this process (no reactor: a new
    Python would only import Scrapy again)."""
    return run_vigie(["extract", "--spider", spider, "--url", url, str(page)], os.environ)


def test_extract_real_kbo_page():
    url = ("https://kbopub.economie.fgov.be/kbopub/toonondernemingps.html"
           "?lang=fr&ondernemingsnummer=0200065765")
    done = _extract("registry", url, REAL / "kbo" / "kbo_fr_0200065765.html")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    item = json.loads(lines[0])
    assert item["kind"] == "register_entry"
    assert item["fields"]["enterprise_number"] == "0200065765"
    assert item["fields"]["onss_employer"] is True


def test_extract_real_microdata_job_page():
    page = REAL / "jobs" / "reed_details.html"
    done = _extract("jobs", "https://www.reed.co.uk/jobs/x/1", page)
    assert done.returncode == 0, done.stderr
    item = json.loads(done.stdout)
    assert item["kind"] == "job_ad"
    assert item["fields"]["title"]
    assert any(v.startswith("microdata:") for v in item["provenance"].values())


def test_extract_reports_a_page_that_is_not_a_register_page(tmp_path):
    page = tmp_path / "x.html"
    page.write_bytes(b"<html><body><p>nothing here</p></body></html>")
    done = _extract("registry", "https://kbopub.economie.fgov.be/x", page)
    assert done.returncode != 0
    assert "error:" in done.stderr and "Traceback" not in done.stderr
