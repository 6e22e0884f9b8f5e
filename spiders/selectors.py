"""Selector helpers that fail loudly, and text cleaning.

``one`` wants exactly one match and raises :class:`spiders.ParseError` (naming the URL and the
missing element) otherwise; ``maybe`` is for optional elements. They work on a
:class:`parsel.Selector` (Scrapy's selector library, usable without Scrapy).
"""

from __future__ import annotations

import re

from parsel import Selector, SelectorList

from spiders import ParseError

_SPACE = re.compile(r"\s+")


def clean(text: str | None) -> str | None:
    """Collapse whitespace (including non-breaking spaces); empty text becomes ``None``."""
    if text is None:
        return None
    out = _SPACE.sub(" ", text.replace("\xa0", " ")).strip()
    return out or None


def text_of(node: Selector | SelectorList) -> str | None:
    """The cleaned text of a node (or of an attribute/text selection), scripts excluded."""
    if isinstance(node, SelectorList):
        parts = [text_of(n) for n in node]
        return clean(" ".join(p for p in parts if p))
    if isinstance(node.root, str):  # ::text or ::attr() selections
        return clean(node.root)
    parts = node.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall()
    return clean(" ".join(parts))


def _url_of(sel: Selector) -> str:
    response = getattr(sel, "response", None)  # a Scrapy Selector knows its response
    return getattr(response, "url", None) or "(page)"


def one(sel: Selector, css: str, what: str, url: str | None = None) -> str:
    """Text of the single element matching ``css``; :class:`ParseError` if 0 or 2+ match."""
    found = sel.css(css)
    where = url or _url_of(sel)
    if len(found) != 1:
        raise ParseError(where, f"{what}: expected exactly one {css!r}, found {len(found)}")
    value = text_of(found[0])
    if value is None:
        raise ParseError(where, f"{what}: {css!r} is empty")
    return value


def maybe(sel: Selector, css: str) -> str | None:
    """Text of the first element matching ``css``, or ``None`` (for optional elements)."""
    found = sel.css(css)
    if not found:
        return None
    return text_of(found[0])


def html_to_text(fragment: str) -> str | None:
    """Plain text of an HTML fragment (a JSON-LD description often holds markup)."""
    if "<" not in fragment:
        return clean(fragment)
    return text_of(Selector(text=f"<div>{fragment}</div>").css("div")[0])


def select(sel: Selector, spec: str) -> SelectorList:
    """Nodes matching a selector from a source file: CSS, or XPath after ``xpath:``."""
    if spec.startswith("xpath:"):
        return sel.xpath(spec[6:])
    return sel.css(spec[4:] if spec.startswith("css:") else spec)


def link_targets(sel: Selector, spec: str) -> list[str]:
    """The link targets a selector names: the ``href`` of selected elements, or the value of
    selected attribute/text nodes (``a::attr(href)``, ``xpath://a/@href``), in page order,
    without blanks."""
    out = []
    for node in select(sel, spec):
        value = node.root if isinstance(node.root, str) else node.attrib.get("href")
        value = clean(value)
        if value:
            out.append(value)
    return out
