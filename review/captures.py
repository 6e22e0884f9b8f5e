"""Serving archived evidence safely: bodies read back from the WARC, screenshots from disk.

A captured page is hostile until proven otherwise. Its body is served with a CSP ``sandbox``
(no scripts, opaque origin, no forms) that also forbids every fetch (``default-src 'none'``,
``img-src 'none'``), so nothing of it runs and nothing reaches the live site; non-HTML bodies
are served as ``text/plain`` (with ``nosniff`` from the app middleware). Every read is checked
against the SHA-256 recorded at capture time.
"""

from __future__ import annotations

from fastapi.responses import Response

from review.formatting import capture_media_type
from review.security import CAPTURE_CSP
from storage import EvidenceError
from storage.evidence import EvidenceStore, sha256_hex
from storage.models import Capture
from storage.queries import NotFoundError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class EvidenceAltered(EvidenceError):
    """Evidence read back no longer has the SHA-256 recorded when it was captured."""


def body_matches(store: EvidenceStore, capture: Capture) -> bool:
    """Read the body back from its WARC record and compare its SHA-256 with the stored one."""
    return sha256_hex(store.read_body(capture.warc_file, capture.warc_offset)) == capture.sha256


def read_verified_body(store: EvidenceStore, capture: Capture) -> bytes:
    body = store.read_body(capture.warc_file, capture.warc_offset)
    if sha256_hex(body) != capture.sha256:
        raise EvidenceAltered(
            f"capture {capture.id}: the archived body no longer matches its SHA-256"
        )
    return body


def _original_content_type(capture: Capture) -> str | None:
    if capture.content_type:
        return capture.content_type
    for name, value in (capture.headers or {}).items():
        if name.lower() == "content-type" and isinstance(value, str):
            return value
    return None


def content_response(store: EvidenceStore, capture: Capture) -> Response:
    """The archived body, sandboxed; HTML stays HTML (inert), everything else is plain text."""
    body = read_verified_body(store, capture)
    is_html, charset = capture_media_type(_original_content_type(capture))
    media = "text/html" if is_html else "text/plain"
    content_type = f"{media}; charset={charset}" if charset else media
    return Response(body, headers={
        "Content-Type": content_type,
        "Content-Security-Policy": CAPTURE_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "no-store",
    })


def screenshot_response(store: EvidenceStore, capture: Capture) -> Response:
    if not capture.screenshot_path:
        raise NotFoundError(f"capture {capture.id} has no screenshot")
    png = store.read_file(capture.screenshot_path)
    if capture.screenshot_sha256 and sha256_hex(png) != capture.screenshot_sha256:
        raise EvidenceAltered(f"capture {capture.id}: the screenshot no longer matches its SHA-256")
    if not png.startswith(PNG_SIGNATURE):
        raise EvidenceError(f"capture {capture.id}: the screenshot file is not a PNG")
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
