"""Presentation helpers shared by the pages (as Jinja filters) and the API.

All of them return plain strings; Jinja's autoescaping escapes whatever they return, so none
of them may mark anything as safe.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader

STATUS_LABELS = {"new": "New", "in_review": "In review", "confirmed": "Confirmed",
                 "dismissed": "Dismissed"}
EMPLOYER_STATUS_LABELS = {"AC": "Active", "ST": "Struck off"}
SEVERITY_CLASSES = {"high": "sev-high", "medium": "sev-medium", "low": "sev-low"}
STATUS_CLASSES = {"new": "st-new", "in_review": "st-review", "confirmed": "st-confirmed",
                  "dismissed": "st-dismissed"}
VERDICT_LABELS = {"positive": "Match confirmed", "negative": "Match rejected",
                  "unsure": "Unsure"}
VERDICT_CLASSES = {"positive": "vd-positive", "negative": "vd-negative", "unsure": "vd-unsure"}
_CHARSET_RE = re.compile(r"^[A-Za-z0-9._:-]{1,40}$")


def format_enterprise_number(number: str | None) -> str:
    """``0123456789`` → ``0123.456.789`` (anything else is shown as stored)."""
    if not number:
        return "—"
    digits = re.sub(r"\D", "", number)
    if len(digits) == 10:
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    return number


def format_utc(value: datetime | date | None) -> str:
    """Show a stored time unambiguously in UTC (naive values are taken as UTC)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.isoformat()


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat()


def format_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def pretty(value: Any) -> str:
    """Scalars as text; lists and dicts as indented JSON."""
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return str(value)


def label(mapping: dict[str, str], value: str | None) -> str:
    if value is None:
        return "—"
    return mapping.get(value, value)


def css_class(mapping: dict[str, str], value: str | None) -> str:
    """Class names come from a fixed table, never from data."""
    return mapping.get(value or "", "")


def capture_media_type(content_type: str | None) -> tuple[bool, str | None]:
    """(is_html, charset) of a captured response's Content-Type, charset sanitised."""
    if not content_type:
        return False, None
    parts = [p.strip() for p in content_type.split(";")]
    media = parts[0].lower()
    charset = None
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip('"').strip("'")
            charset = value if _CHARSET_RE.match(value) else None
    return media in ("text/html", "application/xhtml+xml"), charset


def district_label(district_id: str | None) -> str:
    """``"BRU"`` → ``"Bruxelles / Brussel"``: the judicial district as people name it."""
    from entity_resolution.geo import DISTRICTS

    if not district_id:
        return "—"
    district = DISTRICTS.get(district_id)
    if district is None:
        return district_id
    if district.name_fr == district.name_nl:
        return district.name_fr
    return f"{district.name_fr} / {district.name_nl}"


def make_environment(template_dir: str) -> Environment:
    """The Jinja environment of the pages: autoescape ON for every template."""
    env = Environment(loader=FileSystemLoader(template_dir), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(
        enterprise=format_enterprise_number,
        district=district_label,
        utc=format_utc,
        day=format_date,
        score=format_score,
        pretty=pretty,
        status_label=lambda v: label(STATUS_LABELS, v),
        employer_status=lambda v: label(EMPLOYER_STATUS_LABELS, v),
        severity_class=lambda v: css_class(SEVERITY_CLASSES, v),
        status_class=lambda v: css_class(STATUS_CLASSES, v),
        verdict_label=lambda v: label(VERDICT_LABELS, v),
        verdict_class=lambda v: css_class(VERDICT_CLASSES, v),
    )
    return env
