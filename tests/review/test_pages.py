"""The server-rendered pages: queue, signal, capture, employer, status changes, escaping."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from review.security import CAPTURE_CSP, PAGE_CSP
from storage.models import Capture, Signal
from tests.review.conftest import CAPTURED_TEXT, XSS_FLAG, XSS_IMG, XSS_SCRIPT, csrf_from


def queue_titles(html: str) -> list[str]:
    return re.findall(r'class="signal-link">([^<]*)</a>', html)


def test_root_redirects_to_the_queue(user_client: TestClient) -> None:
    response = user_client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signals"


def test_queue_lists_newest_first_and_filters(user_client: TestClient) -> None:
    page = user_client.get("/signals")
    assert page.status_code == 200
    assert queue_titles(page.text) == [
        "Hourly wage far below the legal minimum",
        "&lt;script&gt;alert(1)&lt;/script&gt; Job ad by an employer not registered with ONSS",
        "Service listing with a foreign VAT number",
        "Cash wages offered",
    ]
    # the <select>s are populated from the data
    assert '<option value="liege">liege</option>' in page.text
    assert '<option value="foreign_vat">foreign_vat</option>' in page.text
    by_rule = user_client.get("/signals", params={"rule": "low_wage"})
    assert queue_titles(by_rule.text) == ["Hourly wage far below the legal minimum",
                                          "Cash wages offered"]
    assert '<option value="low_wage" selected>' in by_rule.text
    combined = user_client.get("/signals", params={"rule": "low_wage", "district": "bruxelles",
                                                   "severity": "high", "status": "new"})
    assert queue_titles(combined.text) == ["Cash wages offered"]
    assert "1 signal ·" in combined.text
    none = user_client.get("/signals", params={"status": "confirmed"})
    assert "No signal matches these filters." in none.text
    empty_means_any = user_client.get("/signals", params={"rule": "", "district": ""})
    assert len(queue_titles(empty_means_any.text)) == 4


def test_queue_sorts_by_severity(user_client: TestClient) -> None:
    page = user_client.get("/signals", params={"sort": "severity"})
    titles = queue_titles(page.text)
    assert titles[0].endswith("not registered with ONSS")  # high, newest of the highs
    assert titles[1] == "Cash wages offered"  # high, older
    assert titles[2:] == ["Hourly wage far below the legal minimum",
                          "Service listing with a foreign VAT number"]
    bad = user_client.get("/signals", params={"sort": "title; DROP TABLE signal"})
    assert bad.status_code == 400


def test_queue_paginates_by_fifty(user_client: TestClient, engine) -> None:
    base = datetime(2023, 1, 1, tzinfo=UTC)
    with Session(engine) as s:
        for i in range(60):
            s.add(Signal(key=f"bulk{i}", rule="bulk", severity="low", title=f"Bulk {i:02d}",
                         rationale="r", subject_type="record", subject_key=str(i),
                         first_seen=base, last_seen=base + timedelta(minutes=i)))
        s.commit()
    first = user_client.get("/signals", params={"rule": "bulk"})
    assert len(queue_titles(first.text)) == 50
    assert queue_titles(first.text)[0] == "Bulk 59"
    # Next/previous links carry keyset cursors (and the page number, for display).
    nxt = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert nxt.startswith("/signals?rule=bulk&sort=last_seen&after=") and nxt.endswith("page=2")
    second = user_client.get(nxt)
    assert queue_titles(second.text) == [f"Bulk {i:02d}" for i in range(9, -1, -1)]
    assert "page 2 of 2" in second.text and 'rel="next"' not in second.text
    prev = re.search(r'href="([^"]+)" rel="prev"', second.text).group(1).replace("&amp;", "&")
    assert queue_titles(user_client.get(prev).text) == queue_titles(first.text)
    # An old link by page number is still read by position.
    by_number = user_client.get("/signals", params={"rule": "bulk", "page": 2})
    assert queue_titles(by_number.text) == queue_titles(second.text)
    assert user_client.get("/signals", params={"after": "not-a-cursor"}).status_code == 400


def test_signal_page_shows_rationale_match_and_evidence(user_client: TestClient, world) -> None:
    page = user_client.get(f"/signals/{world.signal_id}")
    assert page.status_code == 200
    html = page.text
    assert "is not an ONSS employer." in html and "Wages are offered in cash." in html
    # the employer
    assert "0123.456.749" in html
    assert "Situation normale" in html
    assert "Rue Haute 12, 1000 Bruxelles" in html
    # the match and its explanation
    assert '<strong class="match-score">0.97</strong>' in html
    assert "matcher-1.0" in html
    assert "The ad gives enterprise number 0123.456.749, the register&#39;s number." in html
    assert "<td class=\"num\">0.70</td>" in html
    # the evidence chain with the capture's fingerprint and location
    with Session(user_client.app.state.engine) as s:
        cap = s.get(Capture, world.capture_id)
    assert f"Record #{world.record_id}" in html
    assert f'<a href="/captures/{cap.id}">Capture #{cap.id}</a>' in html
    assert cap.sha256 in html and cap.warc_file in html
    assert f"offset {cap.warc_offset}" in html
    assert "2024-05-02 08:30:00 UTC" in html
    assert world.screenshot_sha256 in html
    assert f'<iframe sandbox src="/captures/{cap.id}/content"' in html
    assert f'<img src="/captures/{cap.id}/screenshot"' in html
    assert "css:.job-salary" in html  # where each raw field came from


def test_scraped_payloads_are_escaped_everywhere(user_client: TestClient, world) -> None:
    pages = [user_client.get("/signals").text,
             user_client.get(f"/signals/{world.signal_id}").text,
             user_client.get(f"/employers/{world.employer_id}").text,
             user_client.get(f"/captures/{world.capture_id}").text]
    for html in pages:
        for payload in (XSS_IMG, XSS_SCRIPT, XSS_FLAG):
            assert payload not in html
    signal_html = pages[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in signal_html
    assert "&lt;img src=x onerror=alert(1)&gt;Nettoyage Rapide SRL" in signal_html
    assert "&lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;" in signal_html
    assert "<script" not in signal_html  # the page itself ships no script at all


def test_every_page_carries_the_security_headers(user_client: TestClient, world) -> None:
    for path in ("/login", "/signals", f"/signals/{world.signal_id}",
                 f"/employers/{world.employer_id}", "/docs", "/api/signals", "/nope"):
        response = user_client.get(path)
        assert response.headers["content-security-policy"] == PAGE_CSP, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_capture_content_is_sandboxed(user_client: TestClient, world) -> None:
    response = user_client.get(f"/captures/{world.capture_id}/content")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CAPTURE_CSP
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert CAPTURED_TEXT in response.text  # the archived bytes, untouched
    assert "<script>window.__xss = 1;" in response.text
    as_text = user_client.get(f"/captures/{world.json_capture_id}/content")
    assert as_text.headers["content-type"] == "text/plain"
    assert as_text.headers["content-security-policy"] == CAPTURE_CSP
    assert as_text.text == '{"title": "<script>alert(1)</script>"}'


def test_screenshot_is_served_as_png(user_client: TestClient, world) -> None:
    response = user_client.get(f"/captures/{world.capture_id}/screenshot")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    missing = user_client.get(f"/captures/{world.json_capture_id}/screenshot")
    assert missing.status_code == 404
    assert "has no screenshot" in missing.text


def test_capture_page_verifies_integrity_and_detects_tampering(
    user_client: TestClient, world, settings
) -> None:
    page = user_client.get(f"/captures/{world.capture_id}")
    assert "Integrity verified" in page.text
    assert f"/signals/{world.signal_id}" in page.text  # the signal citing it
    # Overwrite one byte of the archived page in the WARC file (as an attacker would).
    with Session(user_client.app.state.engine) as s:
        cap = s.get(Capture, world.capture_id)
    path = settings.evidence_dir / cap.warc_file
    raw = gzip.decompress(path.read_bytes())
    assert CAPTURED_TEXT.encode() in raw
    tampered = raw.replace(b"Nettoyeur", b"Nettoyeux")
    path.write_bytes(gzip.compress(tampered))
    assert cap.warc_offset == 0  # the first record: still at offset 0 after recompression
    after = user_client.get(f"/captures/{world.capture_id}")
    assert "Integrity check FAILED" in after.text
    served = user_client.get(f"/captures/{world.capture_id}/content")
    assert served.status_code == 500
    assert "no longer matches its SHA-256" in served.text


def test_employer_page(user_client: TestClient, world) -> None:
    html = user_client.get(f"/employers/{world.employer_id}").text
    assert "Jean Dupont" in html and "Gérant" in html and "2019-03-01" in html
    assert "Cash wages offered" in html  # its signals
    assert "Nettoyage Rapide &lt;img src=x onerror=alert(1)&gt;" in html  # matched record
    assert "enterprise_number" in html
    missing = user_client.get("/employers/999")
    assert missing.status_code == 404 and "employer 999 does not exist" in missing.text


def test_status_change_flow(reviewer_client: TestClient, world) -> None:
    url = f"/signals/{world.signal_id}"
    token = csrf_from(reviewer_client.get(url).text)
    moved = reviewer_client.post(f"{url}/status", data={"status": "in_review", "csrf_token": token},
                             follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == url
    refused = reviewer_client.post(f"{url}/status", data={"status": "dismissed", "reason": "  ",
                                                      "csrf_token": token})
    assert refused.status_code == 409
    assert "dismissing a signal requires a reason" in refused.text
    dismissed = reviewer_client.post(f"{url}/status", data={
        "status": "dismissed", "reason": "Registered since <b>2024</b>", "csrf_token": token})
    assert dismissed.status_code == 200  # followed the redirect to the signal page
    html = dismissed.text
    assert '<span class="status st-dismissed">Dismissed</span>' in html
    assert "In review → Dismissed" in html and "New → In review" in html
    assert "Registered since &lt;b&gt;2024&lt;/b&gt;" in html
    jump = reviewer_client.post(f"{url}/status", data={"status": "confirmed", "csrf_token": token})
    assert jump.status_code == 409  # dismissed → confirmed must go through review again
