"""Politeness and limits as data: source validation, settings, URL shapes, Retry-After."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from pydantic import ValidationError
from scrapy import Request
from scrapy.http import Response
from scrapy.settings import Settings as ScrapySettings

from spiders.middlewares import (
    PoliteRetryMiddleware,
    canonical_url,
    retry_after_seconds,
    url_pattern,
)
from spiders.settings import source_settings
from spiders.source import Limits, Politeness, load_source
from storage.models import utcnow


def test_ignoring_robots_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="robots_override_reason"):
        Politeness(robots_obey=False)
    with pytest.raises(ValidationError, match="robots_override_reason"):
        Politeness(robots_obey=False, robots_override_reason="  ok  ")
    polite = Politeness(
        robots_obey=False,
        robots_override_reason="Register published for public consultation by law (KBO).",
    )
    assert polite.robots_override_reason.startswith("Register")
    assert Politeness().robots_obey is True


def test_source_limits_become_scrapy_settings() -> None:
    spec = load_source("jobs").model_copy(
        update={
            "limits": Limits(max_depth=0, max_date_chain=12, max_pages_per_domain=5000),
            "politeness": Politeness(retry_times=5, retry_after_max=30),
        }
    )
    settings = source_settings(spec)
    assert settings["VIGIE_MAX_DATE_CHAIN"] == 12
    assert settings["VIGIE_MAX_PAGES_PER_DOMAIN"] == 5000
    assert settings["VIGIE_MAX_CHAIN"] == 10_000
    assert settings["URLLENGTH_LIMIT"] == 2083
    assert settings["DEPTH_LIMIT"] == 0
    assert settings["RETRY_TIMES"] == 5 and settings["VIGIE_RETRY_AFTER_MAX"] == 30
    project = ScrapySettings()
    project.setmodule("spiders.settings")
    middlewares = project.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert middlewares["spiders.middlewares.PoliteRetryMiddleware"] == 550
    assert project.getint("DOWNLOAD_MAXSIZE") == 20 * 1024 * 1024


def test_session_ids_are_dropped_from_urls() -> None:
    assert (
        canonical_url("http://h/trap/session;jsessionid=AB12?page=2")
        == "http://h/trap/session?page=2"
    )
    assert canonical_url("http://h/list?PHPSESSID=9f&page=3&sid=x") == "http://h/list?page=3"
    assert canonical_url("http://h/jobs/ad/12?lang=fr") == "http://h/jobs/ad/12?lang=fr"


def test_url_shapes_tell_pagination_from_calendars() -> None:
    page2, dated = url_pattern("http://h/jobs/search?page=2")
    assert page2 == url_pattern("http://h/jobs/search?page=3")[0] and not dated
    month, dated = url_pattern("http://h/trap/calendar?month=2026-11")
    assert dated and month == url_pattern("http://h/trap/calendar?month=2031-04")[0]
    assert url_pattern("http://h/agenda/2026/11/")[1]
    assert not url_pattern("http://h/jobs/ad/202611")[1]


def test_retry_after_in_seconds_or_http_date() -> None:
    assert retry_after_seconds(b"7") == 7.0
    in_a_minute = format_datetime(utcnow() + timedelta(seconds=60), usegmt=True)
    assert 55 <= retry_after_seconds(in_a_minute.encode()) <= 60
    assert retry_after_seconds(b"soon") is None and retry_after_seconds(None) is None


def test_retry_waits_retry_after_capped_else_backs_off() -> None:
    settings = ScrapySettings()
    settings.setmodule("spiders.settings")
    settings.set("VIGIE_RETRY_AFTER_MAX", 30)
    mw = PoliteRetryMiddleware(settings)
    request = Request("http://h/a")
    asked = Response("http://h/a", status=429, headers={"Retry-After": "12"}, request=request)
    assert mw.wait_for(request, asked) == 12
    too_long = Response("http://h/a", status=429, headers={"Retry-After": "3600"})
    assert mw.wait_for(request, too_long) == 30
    assert mw._counts == {"retry_after_capped": 1}
    plain = Response("http://h/a", status=503)
    assert mw.wait_for(request, plain) == 1.0
    assert mw.wait_for(Request("http://h/a", meta={"retry_times": 3}), plain) == 8.0


def _guard(**settings: int):  # type: ignore[no-untyped-def]
    from scrapy.utils.test import get_crawler

    from spiders.middlewares import TrapGuardMiddleware

    crawler = get_crawler(settings_dict=settings)
    return TrapGuardMiddleware.from_crawler(crawler)


def test_pages_per_domain_cap_and_pagination_chain() -> None:
    guard = _guard(VIGIE_MAX_PAGES_PER_DOMAIN=2, VIGIE_MAX_CHAIN=3)
    assert guard.get_processed_request(Request("http://a/jobs/ad/1"), None) is not None
    assert guard.get_processed_request(Request("http://a/jobs/ad/1"), None) is not None  # same
    assert guard.get_processed_request(Request("http://a/jobs/ad/2"), None) is not None
    assert guard.get_processed_request(Request("http://a/jobs/ad/3"), None) is None
    assert guard.get_processed_request(Request("http://b/jobs/ad/3"), None) is not None
    assert guard._counts == {"domain_cap": 1}
    # Pagination: each search page found on the previous one; the 4th in a row is refused.
    guard = _guard(VIGIE_MAX_CHAIN=3)
    response = Response("http://b/s?page=1", request=Request("http://b/s?page=1"))
    chain = []
    for page in range(2, 6):
        nxt = guard.get_processed_request(Request(f"http://b/s?page={page}"), response)
        chain.append(nxt is not None)
        if nxt is None:
            break
        response = Response(nxt.url, request=nxt)
    assert chain == [True, True, False]
    assert guard._counts["chain_limit"] == 1


def test_retry_after_pauses_the_whole_site() -> None:
    from time import monotonic
    from types import SimpleNamespace

    from scrapy.core.downloader import Slot
    from scrapy.utils.test import get_crawler

    slot = Slot(concurrency=2, delay=0.5, jitter=0)
    # The two things pause_domain uses of Scrapy's Downloader: its slots and their keys.
    downloader = SimpleNamespace(
        slots={"board.example": slot}, get_slot_key=lambda request: request.url.split("/")[2]
    )
    crawler = get_crawler()
    crawler.engine = SimpleNamespace(downloader=downloader)
    mw = PoliteRetryMiddleware.from_crawler(crawler)
    request = Request("http://board.example/jobs/ad/1")
    assert mw.pause_domain(request, 20.0)
    # Scrapy's downloader waits (delay - now + lastseen) before the slot's next request.
    penalty = slot.download_delay() - monotonic() + slot.lastseen
    assert 19.5 < penalty <= 20.0
    assert not mw.pause_domain(Request("http://elsewhere.example/"), 20.0)  # no slot there
