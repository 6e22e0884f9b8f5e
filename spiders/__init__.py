"""Scrapy spiders of Vigie: one thin spider per source family, each beside a YAML file.

Importing this package never imports Scrapy: the parsers in :mod:`spiders.parsers` and the
source descriptions in :mod:`spiders.source` are usable on saved pages without a crawler.
"""

from vigie.errors import VigieError


class SpiderError(VigieError):
    """Root of the spiders room's errors (bad source file, bad spider argument, bad page)."""


class ParseError(SpiderError):
    """A page did not have the shape we expect: layout changed or an element is missing.

    The message always names the URL and what was missing, so a run report can show it.
    """

    def __init__(self, url: str, missing: str) -> None:
        super().__init__(f"{url}: {missing}")
        self.url = url
        self.missing = missing


class NotFoundError(ParseError):
    """The register answered with its own "no such enterprise" page (HTTP 200, no data)."""
