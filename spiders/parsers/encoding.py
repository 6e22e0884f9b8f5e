"""Decode a page body honestly: use the charset it declares, and say so when that is a lie.

A page whose header says UTF-8 but whose bytes are Windows-1252 ("Ã‰tudiant" mojibake, or
undecodable bytes) is common on small job boards. We decode it strictly in the declared
charset; when that fails we decode it as cp1252 and return the repair so the spider can report
an "encoding" problem and mark the item.
"""

from __future__ import annotations

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

FALLBACK_ENCODING = "cp1252"


def declared_encoding(content_type: str | None, body: bytes) -> str | None:
    """The charset the server declares: BOM, then Content-Type header, then ``<meta>``."""
    bom_encoding, _ = read_bom(body)
    if bom_encoding:
        return bom_encoding
    for found in (http_content_type_encoding(content_type), html_body_declared_encoding(body)):
        if found:
            resolved = resolve_encoding(found)
            if resolved:
                return resolved
    return None


def decode_body(body: bytes, declared: str | None) -> tuple[str, str | None]:
    """Return ``(text, repaired_with)``; ``repaired_with`` is ``None`` when the body was valid.

    Undeclared bodies are expected to be UTF-8 (the web's default today).
    """
    encoding = resolve_encoding(declared) if declared else None
    encoding = encoding or "utf-8"
    try:
        return body.decode(encoding), None
    except UnicodeDecodeError:
        return body.decode(FALLBACK_ENCODING, errors="replace"), FALLBACK_ENCODING
