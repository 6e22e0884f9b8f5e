"""``vigie extract``: a spider's parser run on a saved page (no crawl, no capture)."""

from __future__ import annotations

from typing import Any

from spiders.parsers import extract_page


def extract_items(spider: str, url: str, body: bytes) -> list[dict[str, Any]]:
    return [extract_page(spider, body, url)]
