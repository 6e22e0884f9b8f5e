"""Aggregator XML job feeds → the same ``job_ad`` fields as a detail page.

Two dialects are common (both in the real Recruityard feeds): the Indeed-style
``<source><job><title/><company/><referencenumber/>…`` and the Jooble-style
``<jobs><job id="…"><name/><link/><region/>…``. The XML is parsed without entities or network
access (XXE-safe), streamed element by element (:func:`iter_job_feed`).
Each job yields ``{"url", "fields", "provenance", "language"}``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

from spiders import ParseError
from spiders.parsers.language import detect_language
from spiders.selectors import clean, html_to_text

# field -> feed tags, first present wins (Indeed-style names first, then Jooble-style)
_TAGS: dict[str, tuple[str, ...]] = {
    "external_id": ("referencenumber", "@id"),
    "title": ("title", "name"),
    "description": ("description",),
    "employer_name": ("company",),
    "street": ("streetaddress",),
    "postcode": ("postalcode",),
    "locality": ("city", "region", "location"),
    "country": ("country",),
    "salary_text": ("salary",),
    "date_posted": ("date", "pubdate"),
    "employment_type": ("jobtype",),
    "employer_email": ("email",),
}
_URL_TAGS = ("url", "link")
_RANGE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:[-–]\s*(\d+(?:[.,]\d+)?))?\s*$")


def parse_job_feed(xml: str | bytes, url: str = "(feed)") -> list[dict[str, Any]]:
    """Every ``<job>`` of an aggregator feed; :class:`ParseError` if the XML holds none."""
    return list(iter_job_feed(xml, url))


def iter_job_feed(
    xml: str | bytes | IO[bytes], url: str = "(feed)", item_tag: str = "job"
) -> Iterator[dict[str, Any]]:
    """Stream the ``item_tag`` elements of a feed one by one (``lxml.etree.iterparse``): each
    element is parsed, yielded and freed, so a feed of 100,000 jobs never sits in memory as a
    tree. Bad XML or a feed without any ``item_tag`` raises :class:`ParseError` (after the
    jobs read before the error were yielded)."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    source = io.BytesIO(xml) if isinstance(xml, bytes) else xml
    events = etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
    )
    root_tag = None
    count = 0
    try:
        for event, element in events:
            if root_tag is None:
                root_tag = element.tag
            if event != "end" or element.tag != item_tag:
                continue
            count += 1
            yield _job(element)
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]  # drop the jobs already read
    except etree.XMLSyntaxError as exc:
        raise ParseError(url, f"feed is not well-formed XML ({exc})") from exc
    if not count:
        raise ParseError(url, f"no <{item_tag}> element in <{root_tag}> feed")


def _job(job: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    for field, tags in _TAGS.items():
        for tag in tags:
            raw = job.get(tag[1:]) if tag.startswith("@") else job.findtext(tag)
            value = clean(raw)
            if value:
                fields[field] = html_to_text(value) if field == "description" else value
                provenance[field] = f"feed:{tag}"
                break
    salary = _RANGE.match(fields.get("salary_text") or "")
    if salary:
        fields["salary_min"] = salary.group(1)
        fields["salary_max"] = salary.group(2) or salary.group(1)  # one figure: min = max
        provenance["salary_min"] = provenance["salary_max"] = provenance["salary_text"]
    job_url = next((clean(job.findtext(t)) for t in _URL_TAGS if clean(job.findtext(t))), None)
    sample = f"{fields.get('title', '')} {fields.get('description', '')}"
    return {
        "url": job_url,
        "fields": fields,
        "provenance": provenance,
        "language": detect_language(sample),
    }
