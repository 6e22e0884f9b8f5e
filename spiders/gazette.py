"""Official Gazette spider: ejustice publication lists → ``gazette`` items (one per publication).

With ``numbers=0200065765,0200362408`` (dots and spaces allowed) it reads the publication list
of each enterprise (``/cgi_tsv/list.pl?language=fr&btw=<number>&page=1``) and follows its
pagination; without it, the YAML's start path (the demo's list of all publications, newest
first). ``details=1`` also reads each enterprise's article page (the whole history on one page,
``/cgi_tsv/article.pl?language=fr&btw_search=<number>``) and yields the publications the list
pages did not show. ``limit`` bounds the number of pages fetched.

A page that lost the expected skeleton is a "parse" problem (see
:class:`spiders.parsers.gazette.GazetteLayoutError`); a list that names another enterprise than
the one asked for is a "layout" problem.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from spiders import SpiderError
from spiders.base import VigieSpider
from spiders.parsers.gazette import GazetteLayoutError, parse_article_page, parse_list_page
from spiders.registry import parse_numbers

# Where each field of a publication is read (the same on list and article pages).
PROVENANCE = {
    "enterprise_name": "css:p.list-item--subtitle font",
    "legal_form": "css:p.list-item--subtitle (after font)",
    "address": "line:1",
    "enterprise_number": "line:2",
    "rubric": "line:3",
    "publication_date": "line:4 (date / numac)",
    "numac": "line:4 (date / numac)",
    "pdf_url": "css:a.standard@href",
    "text": "line:5",
    "persons": "line:5 (Nomination/Démission : NAME, function)",
}


def _flag(value: str | bool | None) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    if value.strip().lower() in ("1", "true", "yes", "oui", "ja"):
        return True
    if value.strip().lower() in ("", "0", "false", "no", "non", "nee"):
        return False
    raise SpiderError(f"details must be 1/0 (or true/false), got {value!r}")


class GazetteSpider(VigieSpider):
    name = "gazette"
    source_name = "gazette"
    item_kind = "gazette"

    def __init__(
        self,
        *args: Any,
        numbers: str | None = None,
        details: str | bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.numbers = parse_numbers(numbers) if numbers else []
        self.details = _flag(details)
        self.seen: set[str] = set()

    def page_url(self, kind: str, number: str) -> str:
        return self.url(self.spec.url_templates[kind].format(number=number))

    async def start(self) -> AsyncIterator[Request]:
        if not self.numbers:
            for path in self.spec.start_paths:
                if self.take_budget():
                    yield self._list_request(self.url(path), None)
            return
        for number in self.numbers:
            if not self.take_budget():
                return
            yield self._list_request(self.page_url("list", number), number)
            if self.details and self.take_budget():
                yield Request(
                    self.page_url("article", number),
                    callback=self.parse_article,
                    errback=self.errback,
                    cb_kwargs={"requested": number},
                )

    def _list_request(self, url: str, number: str | None) -> Request:
        return Request(
            url, callback=self.parse_list, errback=self.errback, cb_kwargs={"requested": number}
        )

    def parse_list(
        self, response: Response, requested: str | None = None
    ) -> Iterator[dict[str, Any] | Request]:
        try:
            page = parse_list_page(response.body, response.url, _content_type(response))
        except GazetteLayoutError as exc:
            self.report_problem(response.url, "parse", exc.missing)
            return
        yield from self._items(response, page.publications, requested)
        if page.next_url and self.take_budget():
            yield self._list_request(page.next_url, requested)

    def parse_article(
        self, response: Response, requested: str | None = None
    ) -> Iterator[dict[str, Any]]:
        try:
            publications = parse_article_page(response.body, response.url, _content_type(response))
        except GazetteLayoutError as exc:
            self.report_problem(response.url, "parse", exc.missing)
            return
        yield from self._items(response, publications, requested)

    def _items(
        self, response: Response, publications: list[dict[str, Any]], requested: str | None
    ) -> Iterator[dict[str, Any]]:
        strangers = 0
        for publication in publications:
            if requested and publication["enterprise_number"] != requested:
                strangers += 1
                continue
            if publication["external_id"] in self.seen:
                continue  # already yielded from the list (or the article) page
            self.seen.add(publication["external_id"])
            provenance = {k: v for k, v in PROVENANCE.items() if publication.get(k)}
            yield self.make_item(
                response,
                {
                    "fields": publication,
                    "provenance": provenance,
                    "language": publication.get("language"),
                },
            )
        if strangers:
            self.report_problem(
                response.url,
                "layout",
                f"{strangers} publication(s) of another enterprise than {requested}",
            )


def _content_type(response: Response) -> str | None:
    value = response.headers.get("Content-Type")
    return value.decode("latin-1") if value else None
