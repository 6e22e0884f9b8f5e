"""Company-register spider: KBO/BCE enterprise pages → ``register_entry`` items.

Starts from the demo's list pages (``a.kbo-link``, ``a[rel=next]``) or, for the targeted
launch of an analyst, from spider arguments (any combination):

- ``numbers=0123456789,0987654321`` (dots and spaces allowed): those enterprise pages;
- ``name=Veneco`` (optionally ``postcode=9070``): the public search by name
  (``zoeknaamfonetischform.html``), every enterprise of the result list;
- ``address="Panhuisstraat 1, 9070 Destelbergen"`` (street and number optional, a postcode
  or a municipality required): the public search by address (``zoekadresform.html``).

The register's own "unknown number" answer yields an item with ``fields = {"found": False,
"enterprise_number": …}``: that a number cited in an ad is not in the register is itself a
finding. A search that finds nothing is counted (``registry/search_without_hits``); a result
page in neither shape is reported as a layout problem.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response

from spiders import NotFoundError, ParseError, SpiderError
from spiders.base import VigieSpider
from spiders.parsers.kbo import parse_kbo_page_detailed
from spiders.parsers.kbo_labels import NOT_FOUND, norm

_ADDRESS = re.compile(
    r"^\s*(?:(?P<street>[^,\d][^,]*?)(?:\s+(?P<number>\d[\w/-]*)(?:\s+(?:bte|bus|box)\s*\S+)?)?"
    r"\s*,\s*)?(?P<postcode>\d{4})?\s*(?P<town>[^\d,][^,]*)?\s*$",
    re.IGNORECASE,
)
_NEXT_WORDS = ("suivant", "volgende", "weiter", "nachste", "next")


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


def parse_address(text: str) -> dict[str, str]:
    """``"Panhuisstraat 1, 9070 Destelbergen"`` → the address-search fields.

    Also ``"9070"``, ``"9070 Destelbergen"``, ``"Rue du Cerf 200 bte 3, 1332 Rixensart"``.
    Raises SpiderError without a postcode or municipality (the register's form needs one)."""
    match = _ADDRESS.match(text)
    if not match or not (match.group("postcode") or match.group("town")):
        raise SpiderError(
            f"address= needs a postcode or a municipality, e.g. 'Rue X 1, 1000 Bruxelles': "
            f"{text!r}"
        )
    return {
        "street": (match.group("street") or "").strip(),
        "house_number": (match.group("number") or "").strip(),
        "postcode": match.group("postcode") or "",
        "municipality": (match.group("town") or "").strip(),
    }


class RegistrySpider(VigieSpider):
    name = "registry"
    source_name = "registry"
    item_kind = "register_entry"

    def __init__(
        self,
        *args: Any,
        numbers: str | None = None,
        name: str | None = None,
        address: str | None = None,
        postcode: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.numbers = parse_numbers(numbers) if numbers else []
        self.search_name = (name or "").strip() or None
        if postcode and not re.fullmatch(r"\d{4}", postcode.strip()):
            raise SpiderError(f"postcode= must be a Belgian postcode (4 digits): {postcode!r}")
        self.search_postcode = (postcode or "").strip()
        self.search_address = parse_address(address) if address else None
        self._requested: set[str] = set()

    def search_requests(self) -> Iterator[Request]:
        """The public-search requests asked for by ``name=`` / ``address=``."""
        if self.search_name:
            template = self.spec.url_templates.get(
                "search_name", "/kbopub/zoeknaamfonetischform.html?lang=fr"
            )
            params = {
                "searchWord": self.search_name,
                "_oudeBenaming": "on",
                "pstcdeNPRP": self.search_postcode,
                "postgemeente1": "",
                "ondNP": "true",
                "_ondNP": "on",
                "ondRP": "true",
                "_ondRP": "on",
                "rechtsvormFonetic": "ALL",
                "vest": "true",
                "_vest": "on",
                "filterEnkelActieve": "false",
                "_filterEnkelActieve": "on",
                "actionNPRP": "Rechercher",
            }
            yield self._search(template, params, f"name {self.search_name!r}")
        if self.search_address:
            template = self.spec.url_templates.get(
                "search_address", "/kbopub/zoekadresform.html?lang=fr"
            )
            a = self.search_address
            params = {
                "postcod1": a["postcode"],
                "postgemeente1": a["municipality"],
                "straatgemeente1": a["street"],
                "huisnummer": a["house_number"],
                "filterEnkelActieve": "false",
                "_filterEnkelActieve": "on",
                "actionLU": "Rechercher",
            }
            yield self._search(template, params, "address " + ", ".join(v for v in a.values() if v))

    def _search(self, template: str, params: dict[str, str], what: str) -> Request:
        joiner = "&" if "?" in template else "?"
        return Request(
            self.url(template) + joiner + urlencode(params),
            callback=self.parse_search,
            errback=self.errback,
            cb_kwargs={"what": what},
        )

    def enterprise_url(self, number: str) -> str:
        template = self.spec.url_templates.get(
            "enterprise", "/kbopub/toonondernemingps.html?lang=fr&ondernemingsnummer={number}"
        )
        return self.url(template.format(number=number))

    async def start(self) -> AsyncIterator[Request]:
        if self.numbers or self.search_name or self.search_address:
            for number in self.numbers:
                request = self._entity_request(number)
                if request is None:
                    return
                yield request
            for request in self.search_requests():
                yield request
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

    def _entity_request(self, number: str) -> Request | None:
        """The enterprise page of ``number`` (None once the page budget is spent)."""
        if not self.take_budget():
            return None
        self._requested.add(number)
        return Request(
            self.enterprise_url(number),
            callback=self.parse_entity,
            errback=self.errback,
            cb_kwargs={"requested": number},
        )

    def parse_search(self, response: Response, what: str) -> Iterator[Request]:
        """A result list of the public search: follow every enterprise, then the next page."""
        table = response.css('table[id^="onderneminglist"]')
        if not table:
            text = " ".join(response.css("body ::text").getall())
            if NOT_FOUND.search(norm(text)):
                self.logger.info("register search by %s: nothing found", what)
                crawler = getattr(self, "crawler", None)
                if crawler is not None and crawler.stats is not None:
                    crawler.stats.inc_value("registry/search_without_hits")
                return
            self.report_problem(
                response.url, "layout", f"search by {what}: no result table, no 'not found'"
            )
            return
        hrefs = table.css('a[href*="toonondernemingps.html"]::attr(href)').getall()
        if not hrefs:
            self.report_problem(
                response.url, "layout", f"search by {what}: result table without enterprise links"
            )
        for href in hrefs:
            number = _number_in_url(response.urljoin(href))
            if number is None:
                self.report_problem(response.url, "parse", f"result link without number: {href}")
                continue
            if number in self._requested:
                continue
            request = self._entity_request(number)
            if request is None:
                return
            yield request
        next_page = response.css("a[rel=next]::attr(href)").get()
        if next_page is None:
            for link in response.css("a[href]"):
                label = norm(" ".join(link.css("::text").getall()))
                if label.startswith(_NEXT_WORDS):
                    next_page = link.attrib["href"]
                    break
        if next_page and self.budget_left():
            yield response.follow(
                next_page,
                callback=self.parse_search,
                errback=self.errback,
                cb_kwargs={"what": what},
            )

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
