"""Run health: item counts against the source's min/max, field fill rates compared with the
previous run of the same spider, blocked sources reported as not covered."""

from __future__ import annotations

from scrapy import Spider
from scrapy.utils.test import get_crawler
from sqlmodel import Session

from pipelines.report import RunReportExtension, check_expectations, fill_drops, fill_rates
from storage.models import CrawlRun


def test_expectations_and_fill_rates() -> None:
    assert check_expectations(5, {"items_min": 10})[0] == "failed"
    assert check_expectations(50, {"items_min": 10, "items_max": 40})[0] == "finished"
    rates = fill_rates({"vigie/fill_items": 40, "vigie/fill/title": 40,
                        "vigie/fill/employer_name": 10})
    assert rates == {"employer_name": 0.25, "title": 1.0}
    drops = fill_drops(rates, {"title": 1.0, "employer_name": 0.95}, 40, 38)
    assert drops == ["field 'employer_name' filled in 25% of items, 95% in the previous run: "
                     "the layout may have changed"]
    assert fill_drops(rates, {"employer_name": 0.95}, 5, 38) == []  # too few items to say


def _close(engine, stats: dict[str, int], reason: str = "finished") -> CrawlRun:
    with Session(engine) as s:
        run = CrawlRun(spider="jobs", purpose="test")
        s.add(run)
        s.commit()
        run_id = run.id
    crawler = get_crawler(Spider)
    crawler.stats.open_spider()
    for key, value in stats.items():
        crawler.stats.set_value(key, value)
    ext = RunReportExtension(engine, run_id, crawler)
    spider = Spider(name="jobs")
    ext.spider_closed(spider, reason)
    with Session(engine) as s:
        return s.get(CrawlRun, run_id)


def test_a_field_that_stops_being_filled_is_reported(engine) -> None:
    base = {"item_scraped_count": 50, "response_received_count": 60, "vigie/fill_items": 50,
            "vigie/fill/title": 50}
    first = _close(engine, {**base, "vigie/fill/employer_name": 48})
    assert first.status == "finished" and first.report["fill_rates"]["employer_name"] == 0.96
    second = _close(engine, {**base, "vigie/fill/employer_name": 5})
    assert second.report["fill_compared_with"] == {"run": first.id, "items": 50}
    kinds = [p["kind"] for p in second.report["problems"]]
    assert kinds == ["fill_rate_drop"]
    assert "'employer_name' filled in 10% of items, 96%" in second.report["notes"][0]


def test_a_blocked_source_is_not_covered(engine) -> None:
    run = _close(engine, {"item_scraped_count": 0, "response_received_count": 3,
                          "downloader/response_status_count/403": 3})
    assert run.status == "failed" and run.report["coverage"]["covered"] is False
    assert any("NOT covered" in n for n in run.report["notes"])
