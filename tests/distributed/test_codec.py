"""Requests travel through Redis as tagged JSON: round trips, and what is refused."""

from __future__ import annotations

import asyncio
import json
import pickle

import pytest
from scrapy import Request
from scrapy.http import FormRequest
from scrapy.utils.request import request_from_dict
from scrapy_playwright.page import PageMethod

from spiders import redis_codec
from spiders.jobs import JobsSpider
from spiders.listings import ListingsSpider


def _round_trip(request: Request, spider: object) -> Request:
    data = redis_codec.dumps(request.to_dict(spider=spider))
    assert b"\x80" not in data[:2]  # not a pickle: JSON text
    json.loads(data)
    back = request_from_dict(redis_codec.loads(data), spider=spider)
    return redis_codec.bind_spider_methods(back, spider)


def test_a_job_board_request_survives_the_trip() -> None:
    spider = JobsSpider(base_url="http://127.0.0.1:9")
    request = Request("http://127.0.0.1:9/jobs/ad/3?x=é", callback=spider.parse_ad,
                      errback=spider.errback, headers={"Accept-Language": "fr"},
                      meta={"vigie_chain": ("a", 2), "depth": 1, "plain": {"k": [1, None]}},
                      priority=-3, dont_filter=True, cb_kwargs={"page": 2})
    back = _round_trip(request, spider)
    assert back.url == request.url and back.priority == -3 and back.dont_filter
    assert back.callback == spider.parse_ad and back.errback == spider.errback
    assert back.headers.getlist("Accept-Language") == [b"fr"]
    assert back.meta == request.meta and back.cb_kwargs == {"page": 2}
    form = FormRequest("http://127.0.0.1:9/search", formdata={"q": "Dupont & Fils"})
    back_form = _round_trip(form, spider)
    assert type(back_form) is FormRequest and back_form.body == form.body
    assert back_form.method == "POST"


def test_browser_requests_keep_their_page_methods_and_the_spiders_own() -> None:
    spider = ListingsSpider(base_url="http://127.0.0.1:9")
    methods = [PageMethod("wait_for_selector", "div.ready", timeout=5000),
               PageMethod(spider.dismiss_cookie_wall),
               PageMethod("screenshot", full_page=True, type="png")]
    request = Request("http://127.0.0.1:9/annonces/1", callback=spider.parse,
                      meta={"playwright": True, "playwright_page_methods": methods})
    back = _round_trip(request, spider)
    got = back.meta["playwright_page_methods"]
    assert [(pm.method, pm.args, pm.kwargs) for pm in got] == [
        (pm.method, pm.args, pm.kwargs) for pm in methods]
    assert got[1].method == spider.dismiss_cookie_wall  # bound to this worker's spider
    first = asyncio.run(_first_start_request(spider))
    assert _round_trip(first, spider).meta.keys() == first.meta.keys()


async def _first_start_request(spider: ListingsSpider) -> Request:
    return [r async for r in spider.start()][0]


def test_objects_that_cannot_travel_are_refused_when_queued() -> None:
    spider = JobsSpider(base_url="http://127.0.0.1:9")
    request = Request("http://127.0.0.1:9/a", meta={"when": object()})
    with pytest.raises(redis_codec.CodecError, match="cannot be shared through Redis"):
        redis_codec.dumps(request.to_dict(spider=spider))
    with pytest.raises(redis_codec.CodecError, match="neither"):
        redis_codec.dumps({"url": "x", "meta": {"m": PageMethod(print)}})


def test_forged_entries_are_refused() -> None:
    pickled = pickle.dumps({"url": "http://127.0.0.1:9/"})
    with pytest.raises(redis_codec.CodecError, match="not a JSON request"):
        redis_codec.loads(pickled)
    with pytest.raises(redis_codec.CodecError, match="outside Scrapy and Vigie"):
        redis_codec.loads(json.dumps({"url": "http://x/", "_class": "os.system"}))
    with pytest.raises(redis_codec.CodecError, match="not a Scrapy Request class"):
        redis_codec.loads(json.dumps({"url": "http://x/", "_class": "scrapy.Spider"}))
    with pytest.raises(redis_codec.CodecError, match="unknown tag"):
        redis_codec.loads(json.dumps({"url": "http://x/", "meta": {"$exec": "x"}}))
    with pytest.raises(redis_codec.CodecError, match="not a request"):
        redis_codec.loads(json.dumps(["http://x/"]))
