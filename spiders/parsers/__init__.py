"""Pure page parsers: no Scrapy here, so they run on saved pages and in tests.

:func:`extract_page` is what ``vigie extract --spider NAME --url URL FILE`` calls: it picks the
parser of a spider, gives it the source's fallback selectors, and returns the item-shaped dict
``{"kind", "fields", "provenance", "language"}`` the spider would yield (without capture id).
"""

from __future__ import annotations

from typing import Any

from spiders import SpiderError

KINDS = {"jobs": "job_ad", "registry": "register_entry", "listings": "listing"}


def extract_page(spider: str, body: bytes | str, url: str) -> dict[str, Any]:
    """Parse one saved page as spider ``spider`` would; raises :class:`spiders.ParseError`."""
    from spiders.source import load_source, source_path

    board = spider not in KINDS and source_path(spider).is_file()
    spec = load_source(spider) if board else None
    if spec is not None and spec.kind == "job_board":  # a board described only by its YAML
        from spiders.parsers.jobposting import parse_job_page

        result = parse_job_page(body, url, spec.fallbacks)
        spec.apply_fixes(result["fields"])
        return {"kind": "job_ad", "source": spider, "url": url, **result}
    if spider not in KINDS:
        raise SpiderError(f"no parser for spider {spider!r} (known: {', '.join(KINDS)})")
    spec = load_source(spider)
    if spider == "jobs":
        from spiders.parsers.jobposting import parse_job_page

        result = parse_job_page(body, url, spec.fallbacks)
    elif spider == "registry":
        from spiders.parsers.kbo import parse_kbo_page_detailed

        fields, provenance = parse_kbo_page_detailed(body, url)
        result = {
            "fields": fields,
            "provenance": provenance,
            "language": fields.get("page_language"),
        }
    else:
        from spiders.parsers.listing import parse_listing_page

        result = parse_listing_page(body, url)
    spec.apply_fixes(result["fields"])
    return {"kind": KINDS[spider], "source": spider, "url": url, **result}
