"""The per-domain page cap of a distributed crawl is the crawl's, not each worker's."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.utils.test import get_crawler

from spiders.distributed import CrawlKeys, RedisDomainPages, seed
from spiders.jobs import JobsSpider
from spiders.middlewares import TrapGuardMiddleware


def _worker_guard(redis_client: Any, keys: CrawlKeys, cap: int) -> TrapGuardMiddleware:
    """A worker's trap guard: its spider carries the crawl's shared page count."""
    crawler = get_crawler(JobsSpider, settings_dict={"VIGIE_MAX_PAGES_PER_DOMAIN": cap})
    crawler.spider = JobsSpider(base_url="http://127.0.0.1:9")
    crawler.spider.shared_domain_pages = RedisDomainPages(redis_client, keys)
    return TrapGuardMiddleware.from_crawler(crawler)


def test_two_workers_share_one_cap_per_domain(redis_client: Any) -> None:
    keys = CrawlKeys("jobs-0-domaincap")
    first, second = (_worker_guard(redis_client, keys, cap=3) for _ in range(2))

    def offer(guard: TrapGuardMiddleware, url: str) -> bool:
        return guard.get_processed_request(Request(url), None) is not None

    assert [offer(first, f"http://a.test/ad/{i}") for i in (1, 2)] == [True, True]
    # the other worker sees the first one's pages: one place left on a.test, not three
    assert [offer(second, f"http://a.test/ad/{i}") for i in (3, 4)] == [True, False]
    assert offer(second, "http://a.test/ad/1")  # a page already counted is not refused
    assert not offer(first, "http://a.test/ad/5")
    assert offer(first, "http://b.test/ad/1")  # each domain has its own count
    assert redis_client.scard(keys.domain_pages("a.test")) == 3
    assert 0 < redis_client.ttl(keys.domain_pages("a.test")) <= 7 * 24 * 3600
    assert (first._counts, second._counts) == ({"domain_cap": 1}, {"domain_cap": 1})
    # session ids are cut before counting: the same page under two sessions is one page
    assert offer(first, "http://b.test/ad/1?jsessionid=123")
    assert redis_client.scard(keys.domain_pages("b.test")) == 1


def test_seeding_counts_start_requests_against_the_cap(redis_client: Any) -> None:
    """The launcher counts the start requests as a single-process crawl's trap guard does."""
    def spider(cap: int) -> JobsSpider:
        made = JobsSpider(base_url="http://127.0.0.1:9")
        limits = made.spec.limits.model_copy(update={"max_pages_per_domain": cap})
        paths = ["/search?q=a", "/search?q=b", "/search?q=c"]
        made.spec = made.spec.model_copy(
            update={"limits": limits, "start_paths": paths, "sitemap_urls": []})
        return made

    assert seed(redis_client, CrawlKeys("jobs-0-seedfree"), spider(0)) == 3
    assert not redis_client.exists(CrawlKeys("jobs-0-seedfree").domain_pages("127.0.0.1"))
    capped = CrawlKeys("jobs-0-seedcap")
    assert seed(redis_client, capped, spider(2)) == 2
    assert redis_client.scard(capped.domain_pages("127.0.0.1")) == 2
