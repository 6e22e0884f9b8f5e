"""Arguments of the websites spider: domains, URLs, demo paths, the page bound."""

from __future__ import annotations

import pytest

from spiders import SpiderError
from spiders.websites import WebsitesSpider, parse_domains, site_key


def test_parse_domains_accepts_domains_urls_and_paths() -> None:
    assert parse_domains("firm.be, https://www.other.be/fr/;/sites/x/",
                         "http://127.0.0.1:8800") == [
        "https://firm.be/", "https://www.other.be/fr/", "http://127.0.0.1:8800/sites/x/"]
    with pytest.raises(SpiderError, match="not a domain"):
        parse_domains("firm.be,not a domain!", "http://127.0.0.1:8800")
    with pytest.raises(SpiderError, match="no domain"):
        parse_domains(" , ", "http://127.0.0.1:8800")


def test_site_key_is_the_registered_domain_or_host_and_path() -> None:
    assert site_key("https://www.shop.firm.be/fr/contact") == "firm.be"
    assert site_key("http://127.0.0.1:8800/sites/abc/") == "127.0.0.1:8800/sites/abc/"
    assert site_key("https://www.anna.wixsite.com/site") == "anna.wixsite.com"  # a builder


def test_spider_arguments_and_yaml_bound() -> None:
    spider = WebsitesSpider(domains="firm.be,www.other.be")
    assert spider.pages_per_domain == 8  # limits.pages_per_domain of websites.yaml
    assert {"firm.be", "other.be"} <= set(spider.allowed_domains)
    builder = WebsitesSpider(domains="anna.wixsite.com/site")
    assert "anna.wixsite.com" in builder.allowed_domains
    assert "wixsite.com" not in builder.allowed_domains  # not every customer of the builder
    assert WebsitesSpider(domains="firm.be", pages_per_domain="3").pages_per_domain == 3
    with pytest.raises(SpiderError, match="at least 1"):
        WebsitesSpider(domains="firm.be", pages_per_domain="0")
    with pytest.raises(SpiderError, match="integer"):
        WebsitesSpider(domains="firm.be", pages_per_domain="many")
