"""Aggregator XML job feeds → the same ``job_ad`` fields as a detail page.

Two dialects are common (both in the real Recruityard feeds): the Indeed-style
``<source><job><title/><company/><referencenumber/>…`` and the Jooble-style
``<jobs><job id="…"><name/><link/><region/>…``. The XML is parsed without entities or network
access (XXE-safe). Each job yields ``{"url", "fields", "provenance", "language"}``.
"""

from __future__ import annotations

import re
from typing import Any

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
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(url, f"feed is not well-formed XML ({exc})") from exc
    jobs = root.findall(".//job")
    if not jobs:
        raise ParseError(url, f"no <job> element in <{root.tag}> feed")
    return [_job(job) for job in jobs]


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
