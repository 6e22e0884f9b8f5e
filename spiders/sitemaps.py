"""Sitemaps (``urlset`` and ``sitemapindex``, plain or gzipped) → the URLs they list.

The same reading as Scrapy's ``SitemapSpider``, kept as two functions so any Vigie spider can
start from a sitemap: :func:`sitemap_body` finds the XML in a response (gunzipping a ``.gz``
file within the download size limit), :func:`read_sitemap` lists its entries with Scrapy's
:class:`scrapy.utils.sitemap.Sitemap` (lxml ``iterparse``, no entities resolved).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from scrapy.http import Response, XmlResponse
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap

from spiders import ParseError

DEFAULT_MAX_SIZE = 64 * 1024 * 1024


@dataclass(frozen=True)
class SitemapEntries:
    """What a sitemap file lists: ``kind`` is ``"urlset"`` (pages) or ``"sitemapindex"``
    (further sitemaps); ``urls`` in file order."""

    kind: str
    urls: list[str]


def sitemap_body(response: Response, max_size: int = DEFAULT_MAX_SIZE) -> bytes:
    """The XML of a sitemap response; :class:`ParseError` if it is not one. ``max_size``
    bounds a gunzipped body (0: :data:`DEFAULT_MAX_SIZE`)."""
    max_size = max_size or DEFAULT_MAX_SIZE
    if gzip_magic_number(response):
        try:
            return gunzip(response.body, max_size=max_size)
        except _DecompressionMaxSizeExceeded as exc:
            raise ParseError(response.url, f"gzipped sitemap larger than {max_size} B") from exc
        except OSError as exc:
            raise ParseError(response.url, f"sitemap is not valid gzip ({exc})") from exc
    if isinstance(response, XmlResponse) or response.url.endswith((".xml", ".xml.gz")):
        return response.body
    if response.body.lstrip()[:5] == b"<?xml":
        return response.body
    raise ParseError(response.url, "not a sitemap (neither XML nor gzip)")


def read_sitemap(response: Response, max_size: int = DEFAULT_MAX_SIZE) -> SitemapEntries:
    """The entries of one sitemap file; :class:`ParseError` for anything but a sitemap."""
    body = sitemap_body(response, max_size)
    try:
        sitemap = Sitemap(body)
        urls = [entry["loc"] for entry in sitemap if entry.get("loc")]
    except (etree.XMLSyntaxError, StopIteration) as exc:
        raise ParseError(response.url, f"sitemap is not well-formed XML ({exc})") from exc
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise ParseError(response.url, f"<{sitemap.type}> is not a sitemap root element")
    return SitemapEntries(sitemap.type, urls)
