"""Company-register spider: KBO/BCE enterprise pages → ``register_entry`` items.

Starts from the demo's list pages (``a.kbo-link``, ``a[rel=next]``) or, with the spider
argument ``numbers=0123456789,0987654321`` (dots and spaces allowed), from the enterprise
pages of those numbers (the targeted launch of an analyst). The register's own "unknown number"
answer yields an item with ``fields = {"found": False, "enterprise_number": …}``: that a
number cited in an ad is not in the register is itself a finding.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from spiders import NotFoundError, ParseError, SpiderError
from spiders.base import VigieSpider
from spiders.parsers.kbo import parse_kbo_page_detailed


def parse_numbers(text: str) -> list[str]:
    """``"0123.456.749, 123456749"`` → ``["0123456749", …]``; bad numbers → SpiderError."""
    numbers = []
    for raw in re.split(r"[,;]+", text):
        digits = re.sub(r"\D", "", raw)
        if not digits:
            continue
        if len(digits) == 9:
            digits = "0" + digits
        if len(digits) != 10 or 97 - int(digits[:8]) % 97 != int(digits[8:]):
            raise SpiderError(f"not a valid enterprise number: {raw!r}")
        numbers.append(digits)
    if not numbers:
        raise SpiderError("numbers= given but no enterprise number in it")
    return numbers


class RegistrySpider(VigieSpider):
    name = "registry"
    source_name = "registry"
    item_kind = "register_entry"

    def __init__(self, *args: Any, numbers: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.numbers = parse_numbers(numbers) if numbers else []

    def enterprise_url(self, number: str) -> str:
        template = self.spec.url_templates.get(
            "enterprise", "/kbopub/toonondernemingps.html?lang=fr&ondernemingsnummer={number}"
        )
        return self.url(template.format(number=number))

    async def start(self) -> AsyncIterator[Request]:
        if self.numbers:
            for number in self.numbers:
                if not self.take_budget():
                    return
                yield Request(
                    self.enterprise_url(number),
                    callback=self.parse_entity,
                    errback=self.errback,
                    cb_kwargs={"requested": number},
                )
            return
        for path in self.spec.start_paths:
            yield Request(self.url(path), callback=self.parse_list, errback=self.errback)

    def parse_list(self, response: Response) -> Iterator[Request]:
        links = response.css("a.kbo-link::attr(href)").getall()
        if not links:
            self.report_problem(response.url, "parse", "list page without any a.kbo-link")
        for href in links:
            if not self.take_budget():
                return
            yield response.follow(href, callback=self.parse_entity, errback=self.errback)
        next_page = response.css("a[rel=next]::attr(href)").get()
        if next_page and self.budget_left():
            yield response.follow(next_page, callback=self.parse_list, errback=self.errback)

    def parse_entity(
        self, response: Response, requested: str | None = None
    ) -> Iterator[dict[str, Any]]:
        try:
            fields, provenance = parse_kbo_page_detailed(response.text, response.url)
        except NotFoundError as exc:
            number = requested or _number_in_url(response.url)
            yield self.make_item(
                response,
                {
                    "fields": {
                        "found": False,
                        "enterprise_number": number,
                        "not_found_message": exc.missing,
                    },
                    "provenance": {"found": "page:not-found"},
                    "language": None,
                },
            )
            return
        except ParseError as exc:
            self.report_problem(response.url, "parse", exc.missing)
            return
        for warning in fields.get("warnings") or []:
            self.report_problem(response.url, "layout", warning)
        yield self.make_item(
            response,
            {"fields": fields, "provenance": provenance, "language": fields.get("page_language")},
        )


def _number_in_url(url: str) -> str | None:
    match = re.search(r"ondernemingsnummer=(\d{9,10})", url)
    if not match:
        return None
    return match.group(1).zfill(10)
