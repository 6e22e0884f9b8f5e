"""The capture middleware archives responses (WARC + SHA-256 + Capture row)."""

from __future__ import annotations

import hashlib

from scrapy import Request
from scrapy.http import HtmlResponse
from sqlmodel import Session, select

from pipelines.capture import CaptureMiddleware
from storage.evidence import EvidenceStore
from storage.models import Capture


def _response(url: str, body: bytes, status: int = 200, **meta) -> HtmlResponse:
    request = Request(url, meta=meta)
    return HtmlResponse(
        url,
        status=status,
        body=body,
        request=request,
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def test_capture_writes_warc_and_row(settings, engine):
    store = EvidenceStore(settings.evidence_dir, name="t")
    mw = CaptureMiddleware(store, engine, run_id=None)
    body = "<html><body>Offre d'emploi — nettoyage</body></html>".encode()
    response = _response("http://127.0.0.1:9/jobs/ad/1", body)
    out = mw.process_response(response.request, response)
    assert out is response
    capture_id = response.request.meta["vigie_capture_id"]
    with Session(engine) as session:
        cap = session.get(Capture, capture_id)
    assert cap is not None
    assert cap.sha256 == hashlib.sha256(body).hexdigest()
    assert cap.status == 200 and cap.renderer == "http"
    assert cap.content_type == "text/html; charset=utf-8"
    assert store.read_body(cap.warc_file, cap.warc_offset) == body
    assert (settings.evidence_dir / cap.warc_file).exists()


def test_capture_records_redirect_chain_and_errors(settings, engine):
    store = EvidenceStore(settings.evidence_dir, name="t")
    mw = CaptureMiddleware(store, engine, run_id=None)
    response = _response(
        "http://127.0.0.1:9/final", b"oops", status=500, redirect_urls=["http://127.0.0.1:9/start"]
    )
    mw.process_response(response.request, response)
    ok = _response("http://127.0.0.1:9/other", b"fine")
    mw.process_response(ok.request, ok)
    with Session(engine) as session:
        caps = session.exec(select(Capture).order_by(Capture.id)).all()
    assert [c.status for c in caps] == [500, 200]
    assert caps[0].url == "http://127.0.0.1:9/start"
    assert caps[0].final_url == "http://127.0.0.1:9/final"
    assert caps[0].headers["X-Vigie-Redirect-Chain"] == ["http://127.0.0.1:9/start"]
    # Two records in one WARC file, each readable at its own offset.
    assert caps[0].warc_file == caps[1].warc_file
    assert caps[1].warc_offset == caps[0].warc_offset + caps[0].warc_length
    assert store.read_body(caps[1].warc_file, caps[1].warc_offset) == b"fine"


def test_browser_capture_stores_screenshot(settings, engine):
    from scrapy_playwright.page import PageMethod

    store = EvidenceStore(settings.evidence_dir, name="t")
    mw = CaptureMiddleware(store, engine, run_id=None)
    shot = PageMethod("screenshot", full_page=True)
    shot.result = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    response = _response(
        "http://127.0.0.1:9/classifieds/listing/3",
        b"<html></html>",
        playwright=True,
        playwright_page_methods=[shot],
    )
    mw.process_response(response.request, response)
    with Session(engine) as session:
        cap = session.get(Capture, response.request.meta["vigie_capture_id"])
    assert cap is not None and cap.renderer == "browser"
    assert cap.screenshot_sha256 == hashlib.sha256(shot.result).hexdigest()
    assert store.read_file(cap.screenshot_path) == shot.result
