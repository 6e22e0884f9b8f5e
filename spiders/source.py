"""A source described as data: the YAML file beside each spider.

The spider parses; ``spiders/<name>.yaml`` says where the source lives, why we may read it
(legal basis), how politely, how often, how long we keep what we saw, and how many items a
healthy run yields. The integrator's settings builder turns ``politeness`` into Scrapy
settings (:func:`spiders.settings.source_settings`); the run report compares counts with
``expected``.

Job boards and feeds are described entirely here (``kind: job_board | job_feed``): start
pages and/or sitemaps, the link selectors of their list pages (``links``), fallback selectors
of their detail pages (``fallbacks``) and, for feeds, the element of one ad (``feed``). Every
such file gets a spider of its own name (:mod:`spiders.boards`), so a new board is one YAML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from spiders import SpiderError

SOURCES_DIR = Path(__file__).parent


class Politeness(BaseModel):
    """How gently we crawl the source (turned into Scrapy settings, never hard-coded)."""

    model_config = ConfigDict(extra="forbid")

    download_delay: float = Field(1.0, ge=0)
    concurrent_per_domain: int = Field(2, ge=1)
    autothrottle: bool = True
    autothrottle_target_concurrency: float = Field(1.0, gt=0)
    autothrottle_max_delay: float = Field(30.0, gt=0)
    robots_obey: bool = True
    # Ignoring robots.txt is an exception that must be justified (recorded with every run).
    robots_override_reason: str | None = None
    retry_times: int = Field(3, ge=0)  # retries of 429/5xx/timeouts, with waits
    retry_after_max: float = Field(120.0, gt=0)  # longest Retry-After honoured (s)
    retry_backoff_base: float = Field(1.0, ge=0)  # wait before retry n: base * 2**n (s)

    @model_validator(mode="after")
    def _robots_override_needs_reason(self) -> Politeness:
        if not self.robots_obey and len((self.robots_override_reason or "").strip()) < 10:
            raise ValueError(
                "robots_obey: false needs robots_override_reason (why this source may be "
                "read against its robots.txt; at least 10 characters, recorded in every run)"
            )
        return self


class Limits(BaseModel):
    """Bounds against spider traps. ``max_depth`` 0 means no depth limit (paginated sources
    whose search pages chain deeper than any sane limit); pages are then bounded by the
    source's own paths, ``max_chain`` (same-shaped pages in a row) and ``max_date_chain``
    (calendars). Each limit hit is a problem in the run report."""

    model_config = ConfigDict(extra="forbid")

    max_depth: int = Field(50, ge=0)
    pages_per_domain: int = Field(8, ge=1)  # site crawls (websites): pages read per site
    # Pages of one URL shape (digits aside) found one after another: pagination...
    max_chain: int = Field(10_000, ge=0)
    # ... and when the shape holds a date (calendars: an endless trap), far fewer.
    max_date_chain: int = Field(36, ge=0)
    max_pages_per_domain: int = Field(0, ge=0)  # 0: no cap
    max_url_length: int = Field(2083, ge=0)


class Expected(BaseModel):
    """What a healthy full run yields: fewer than the minimum is an error, more a warning."""

    model_config = ConfigDict(extra="forbid")

    items_min: int = Field(0, ge=0)
    items_max: int | None = Field(None, ge=0)
    pages_min: int = Field(0, ge=0)


class Links(BaseModel):
    """How a board's list pages lead to its ads (selectors are CSS, or XPath after ``xpath:``).

    A selector may select elements (their ``href`` is taken) or attribute/text nodes
    (``a.x::attr(href)``, ``xpath://a/@href``). ``allow``/``deny`` are regular expressions
    searched in the absolute URL of every ad link and sitemap entry: an ad is followed when it
    matches ``allow`` (if given) and not ``deny``.
    """

    model_config = ConfigDict(extra="forbid")

    ads: str = "a.job-link"
    next_page: str | None = "a[rel=next]"
    allow: str | None = None
    deny: str | None = None

    @field_validator("allow", "deny")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return value


class Feed(BaseModel):
    """An aggregator XML feed (``kind: job_feed``): one item per ``item_tag`` element."""

    model_config = ConfigDict(extra="forbid")

    item_tag: str = "job"


class BrowserSteps(BaseModel):
    """What a person does on a JavaScript site before reading it (``renderer: browser``).

    Selectors are Playwright selectors (CSS, ``:has-text()``…). ``cookie_wall`` is the consent
    overlay and ``cookie_accept`` its "accept" button; ``max_scrolls`` bounds the scrolls to the
    bottom of an infinite-scroll list page (0: do not scroll), ``scroll_end`` is the marker the
    site shows when nothing more will load; ``phone_button`` reveals ``phone_value`` on a detail
    page, and ``phone_absent`` marks a listing that has no number to reveal.
    """

    model_config = ConfigDict(extra="forbid")

    cookie_wall: str | None = None
    cookie_accept: str | None = None
    max_scrolls: int = Field(0, ge=0)
    scroll_wait_ms: int = Field(3000, ge=100)
    scroll_end: str | None = None
    phone_button: str | None = None
    phone_value: str | None = None
    phone_absent: str | None = None
    action_timeout_ms: int = Field(5000, ge=100)

    @model_validator(mode="after")
    def _pairs(self) -> BrowserSteps:
        if bool(self.cookie_wall) != bool(self.cookie_accept):
            raise ValueError("cookie_wall and cookie_accept go together")
        if self.phone_button and not self.phone_value:
            raise ValueError("phone_button needs phone_value (what the button reveals)")
        return self


class SourceSpec(BaseModel):
    """One source: everything about it that is data rather than parsing code."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["job_board", "job_feed", "register", "classifieds", "company_sites"]
    title: str
    base_url: str
    start_paths: list[str] = Field(default_factory=list)
    sitemap_urls: list[str] = Field(default_factory=list)  # paths or absolute URLs
    links: Links = Field(default_factory=Links)
    feed: Feed = Field(default_factory=Feed)
    url_templates: dict[str, str] = Field(default_factory=dict)
    allowed_domains: list[str] | None = None
    legal_basis: str = Field(min_length=10)
    schedule: str
    politeness: Politeness = Field(default_factory=Politeness)
    retention_days: int = Field(365, ge=1)
    expected: Expected = Field(default_factory=Expected)
    limits: Limits = Field(default_factory=Limits)
    renderer: Literal["http", "browser"] = "http"
    browser: BrowserSteps = Field(default_factory=BrowserSteps)
    fallbacks: dict[str, str] = Field(default_factory=dict)
    fixes: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must be an absolute http(s) URL")
        return value.rstrip("/")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError("schedule must be a 5-field cron expression")
        return value

    @model_validator(mode="after")
    def _somewhere_to_start(self) -> SourceSpec:
        if not self.start_paths and not self.sitemap_urls:
            raise ValueError("a source needs start_paths or sitemap_urls (or both)")
        return self

    def apply_fixes(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Replace known-bad values (``fixes: {field: {seen: corrected}}``) in place."""
        for field, corrections in self.fixes.items():
            value = fields.get(field)
            if isinstance(value, str) and value in corrections:
                fields[field] = corrections[value]
        return fields


def source_path(name: str) -> Path:
    return SOURCES_DIR / f"{name}.yaml"


def load_source(name: str) -> SourceSpec:
    """Read and validate ``spiders/<name>.yaml``; raise :class:`SpiderError` if it is wrong."""
    path = source_path(name)
    if not path.is_file():
        raise SpiderError(f"no source file {path.name} (known: {', '.join(list_sources())})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpiderError(f"{path.name} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SpiderError(f"{path.name} must hold a mapping")
    try:
        spec = SourceSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpiderError(f"{path.name} is invalid: {exc}") from exc
    if spec.name != name:
        raise SpiderError(f"{path.name} declares name {spec.name!r}, expected {name!r}")
    return spec


def list_sources() -> list[str]:
    """Names of every source described in this folder."""
    return sorted(p.stem for p in SOURCES_DIR.glob("*.yaml"))


def sources_of_kind(*kinds: str) -> list[SourceSpec]:
    """Every source of the given kinds (e.g. ``"job_board", "job_feed"``), by name. Files of
    other kinds are not validated here (their own spider does that); a file of a wanted kind
    that is invalid raises :class:`SpiderError`."""
    specs = []
    for name in list_sources():
        try:
            raw = yaml.safe_load(source_path(name).read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue  # reported by load_source when that source is used
        if isinstance(raw, dict) and raw.get("kind") in kinds:
            specs.append(load_source(name))
    return specs
