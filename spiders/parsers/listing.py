"""A rendered classifieds detail page (after its JavaScript ran) → ``listing`` fields.

The page must hold exactly one ``article.listing`` with exactly one ``h1.listing-title``; the
other elements are optional. A shell whose script did not run (no article) is a
:class:`spiders.ParseError`, never an empty item.
"""

from __future__ import annotations

import re
from typing import Any

from parsel import Selector

from spiders import ParseError
from spiders.parsers.language import detect_language
from spiders.selectors import clean, maybe, one

# field -> selector inside the article (contract of the demo classifieds)
LISTING_SELECTORS: dict[str, str] = {
    "category": ".listing-category",
    "provider_name": ".listing-provider",
    "phone": ".listing-phone",
    "provider_number": ".listing-vat",
    "price_text": ".listing-price",
    "description": ".listing-description",
}
_POSTCODE_PLACE = re.compile(r"^\s*(\d{4})\s+(.+?)\s*$")


def parse_listing_page(html: str | bytes, url: str) -> dict[str, Any]:
    """Return ``{"fields", "provenance", "language"}`` for one rendered listing."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    sel = Selector(text=html or "<html></html>")
    articles = sel.css("article.listing")
    if len(articles) != 1:
        raise ParseError(url, f"expected one rendered article.listing, found {len(articles)}")
    article = articles[0]
    fields: dict[str, Any] = {"title": one(article, "h1.listing-title", "listing title", url=url)}
    provenance = {"title": "css:h1.listing-title"}
    external_id = clean(article.attrib.get("data-id"))
    if external_id:
        fields["external_id"] = external_id
        provenance["external_id"] = "css:article.listing@data-id"
    for field, css in LISTING_SELECTORS.items():
        value = maybe(article, css)
        if value:
            fields[field] = value
            provenance[field] = f"css:{css}"
    location = maybe(article, ".listing-location")
    if location:
        match = _POSTCODE_PLACE.match(location)
        if match:
            fields["postcode"], fields["locality"] = match.group(1), match.group(2)
            provenance["postcode"] = provenance["locality"] = "css:.listing-location"
        else:
            fields["locality"] = location
            provenance["locality"] = "css:.listing-location"
    # Only the listing's own text decides: the shell's <html lang> is the site's UI language
    # (a Dutch listing on a French-language site is common), so it is not evidence.
    language = detect_language(f"{fields['title']} {fields.get('description', '')}")
    return {"fields": fields, "provenance": provenance, "language": language}
