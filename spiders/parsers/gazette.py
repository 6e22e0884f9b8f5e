"""Official Gazette (Moniteur belge / Belgisch Staatsblad, ejustice) pages → publications.

Two page shapes of ``https://www.ejustice.just.fgov.be/cgi_tsv/`` (ISO-8859-1):

- ``list.pl?language=fr&btw=<number>&page=N`` — the publications of one enterprise, newest
  first, 100 per page: ``div.list-item`` blocks with a subtitle (``N) <font>NAME</font> FORM``)
  and ``<br>``-separated lines: seat address, enterprise number, rubric label(s),
  ``date / numac`` + a link to the PDF, and a free text line (used by the site for the UBO
  strike-offs; the demo also states there who was appointed or resigned).
- ``article.pl?language=fr&btw_search=<number>`` — the whole history on one page, oldest first,
  entries separated by ``<hr>``; a ``<font>`` line inside it marks a name change.

Rubric labels come in FR, NL or DE and are often combined ("ONTSLAGEN - BENOEMINGEN -  STATUTEN
(…)"); :func:`rubric_codes` maps them to stable codes. The site never names the appointed or
resigning persons on these pages (they are in the scanned PDF): then ``persons`` is empty and
``persons_source`` says ``"pdf_only"`` — nothing is invented.

A page without the expected skeleton raises :class:`GazetteLayoutError`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from spiders import ParseError
from spiders.parsers.encoding import declared_encoding, decode_body
from spiders.parsers.gazette_rubrics import (
    CODES,
    persons_in_text,
    rubric_codes,
    rubric_language,
    rubric_parts,
)

__all__ = [
    "CODES",
    "GazetteLayoutError",
    "GazetteListPage",
    "decode_page",
    "parse_article_page",
    "parse_list_page",
    "persons_in_text",
    "rubric_codes",
    "rubric_language",
    "rubric_parts",
]

ROOT_URL = "https://www.ejustice.just.fgov.be/cgi_tsv/"

_NUMBER_LINE = re.compile(r"^(\d{3,4})\.(\d{3})\.(\d{3})$")
_DATE_LINE = re.compile(r"^(?P<date>\d{4}(?:-\d{2}-\d{2})?)\s*/\s*(?P<numac>[0-9][0-9-]*)\b")
_TOTAL = re.compile(r"\b(?:Liste|Lijst)\s*\((\d+)\)")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HR = re.compile(r"<hr\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_FONT = re.compile(r"<font[^>]*>(.*?)</font>", re.IGNORECASE | re.DOTALL)
_POSTCODE = re.compile(r"\b([1-9]\d{3})\b")


class GazetteLayoutError(ParseError):
    """An ejustice page without the skeleton we parse (layout changed, or not a list at all)."""


@dataclass
class GazetteListPage:
    """One page of an enterprise's publication list."""

    url: str
    enterprise_number: str | None  # 10 digits, from the URL's ``btw``
    total: int  # the site's own count ("Liste (110)")
    page: int
    last_page: int
    next_url: str | None  # absolute; None on the last page or when the list is empty
    language: str | None
    publications: list[dict[str, Any]] = field(default_factory=list)


# -- small helpers -----------------------------------------------------------------------------
def decode_page(body: bytes | str, content_type: str | None = None) -> str:
    """The page as text, decoded with the charset it declares (ISO-8859-1 on ejustice)."""
    if isinstance(body, str):
        return body
    text, _repaired = decode_body(body, declared_encoding(content_type, body) or "iso-8859-1")
    return text


def _plain(fragment: str) -> str:
    """Text of an HTML fragment: tags removed, entities decoded, whitespace collapsed."""
    text = html.unescape(_TAG.sub(" ", fragment))
    return " ".join(text.replace("\xa0", " ").split())


def _label(fragment: str) -> str:
    """Text of a label fragment with its inner spacing kept (the rubric separator is
    ``" -  "``, dash and two spaces, while "ONTSLAGEN - BENOEMINGEN" is one rubric)."""
    text = html.unescape(_TAG.sub("", fragment)).replace("\xa0", " ")
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def enterprise_number_from(text: str) -> str | None:
    """``"200.065.765"`` → ``"0200065765"``; ``None`` if the text is not a dotted number."""
    match = _NUMBER_LINE.match(text.strip())
    if not match:
        return None
    return "".join(match.groups()).zfill(10)


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def _page_of(url: str | None) -> int | None:
    if not url:
        return None
    raw = (_query(url).get("page") or [""])[0]
    return int(raw) if raw.isdigit() else None


def _language_of(url: str, sel: Selector) -> str | None:
    lang = (_query(url).get("language") or [""])[0]
    if lang in ("fr", "nl", "de"):
        return lang
    active = sel.css("a.nav__language-button.active::text").get()
    return active.strip().lower() if active and active.strip() else None


def _publication(
    *,
    number: str,
    name: str | None,
    legal_form: str | None,
    address: str | None,
    rubric: str,
    date_line: str,
    text: str | None,
    pdf_href: str | None,
    detail_href: str | None,
    url: str,
    language: str | None,
) -> dict[str, Any]:
    """The fields of one publication (raw values as seen, plus codes and derived values)."""
    match = _DATE_LINE.match(date_line)
    if not match:
        raise GazetteLayoutError(url, f"publication line {date_line!r} is not 'date / numac'")
    day = match.group("date")
    codes = rubric_codes(rubric, text)
    persons = persons_in_text(text)
    about_persons = "appointment" in codes or "resignation" in codes
    if persons:
        persons_source = "page"
    elif about_persons:
        persons_source = "pdf_only"  # the names are only in the scanned PDF
    else:
        persons_source = None
    postcode = _POSTCODE.findall(address or "")
    numac = match.group("numac")
    return {
        "external_id": f"{number}:{day}:{numac}:{rubric}",
        "enterprise_number": number,
        "enterprise_name": name,
        "legal_form": legal_form,
        "address": address or None,
        "postcode": postcode[-1] if postcode else None,
        "title": rubric,
        "rubric": rubric,
        "rubric_parts": rubric_parts(rubric),
        "rubric_codes": codes,
        "rubric_code": codes[0],
        "publication_date": day if len(day) == 10 else None,
        "publication_year": int(day[:4]),
        "numac": numac,
        "pdf_url": urljoin(url, pdf_href) if pdf_href else None,
        "detail_url": urljoin(url, detail_href) if detail_href else None,
        "text": text or None,
        "persons": persons,
        "persons_source": persons_source,
        "language": rubric_language(rubric),
        "page_language": language,
    }


# -- list pages --------------------------------------------------------------------------------
def parse_list_page(
    body: bytes | str, url: str, content_type: str | None = None
) -> GazetteListPage:
    """One page of ``list.pl``: its publications, the site's total and the next page's URL."""
    text = decode_page(body, content_type)
    sel = Selector(text=text)
    crumbs = _plain(" ".join(sel.css("nav.breadcrumb").getall()))
    total_match = _TOTAL.search(crumbs)
    listing = sel.css("main div.list-content div.list")
    if total_match is None or len(listing) != 1:
        title = _plain(sel.css("title").get() or "")
        raise GazetteLayoutError(
            url, f"not an ejustice publication list (no 'Liste (N)' or div.list; title {title!r})"
        )
    total = int(total_match.group(1))
    language = _language_of(url, sel)
    btw = (_query(url).get("btw") or [""])[0]
    requested = re.sub(r"\D", "", btw).zfill(10) if btw.strip() else None
    publications = [_list_item(block, url, language) for block in listing.css("div.list-item")]
    page = _page_of(url) or 1
    last = _page_of(sel.css("a.pagination-last::attr(href)").get()) or page
    if total and not publications and page <= last:
        raise GazetteLayoutError(url, f"the site counts {total} publications but no div.list-item")
    next_href = sel.css("a.pagination-next::attr(href)").get()
    next_url = None
    if next_href and publications and page < last:
        next_url = urljoin(url, next_href)
    return GazetteListPage(
        url=url,
        enterprise_number=requested,
        total=total,
        page=page,
        last_page=last,
        next_url=next_url,
        language=language,
        publications=publications,
    )


def _list_item(block: Selector, url: str, language: str | None) -> dict[str, Any]:
    subtitle = block.css("p.list-item--subtitle").get()
    content = block.css("div.list-item--content").get()
    if subtitle is None or content is None:
        raise GazetteLayoutError(url, "div.list-item without its subtitle or content")
    font = _FONT.search(subtitle)
    if font is None:
        raise GazetteLayoutError(url, f"list item subtitle without the name: {_plain(subtitle)!r}")
    name = _plain(font.group(1))
    legal_form = _plain(subtitle[font.end() :]) or None
    body = content.replace(subtitle, "", 1)
    raw_lines = _BR.split(body)
    lines = [_plain(part) for part in raw_lines]
    # address, number, rubric, "date / numac  IMAGE", text, (trailing)
    if len(lines) < 4:
        raise GazetteLayoutError(url, f"list item with {len(lines)} lines, expected at least 4")
    number = enterprise_number_from(lines[1])
    if number is None:
        raise GazetteLayoutError(url, f"list item line 2 {lines[1]!r} is not an enterprise number")
    pdf = block.css("a.standard::attr(href)").get()
    detail = (
        block.css("a.read-more::attr(href)").get()
        or block.css("a.list-item--title::attr(href)").get()
    )
    return _publication(
        number=number,
        name=name,
        legal_form=legal_form,
        address=lines[0],
        rubric=_label(raw_lines[2]),
        date_line=lines[3],
        text=" ".join(line for line in lines[4:] if line) or None,
        pdf_href=pdf,
        detail_href=detail,
        url=url,
        language=language,
    )


# -- article pages (the whole history) ---------------------------------------------------------
def parse_article_page(
    body: bytes | str, url: str, content_type: str | None = None
) -> list[dict[str, Any]]:
    """Every publication of ``article.pl?btw_search=<number>``, oldest first.

    The site answers an enterprise without publications with the page frame and no ``main``;
    that is an empty list. Any other page without ``main.article-text`` is a layout error.
    """
    text = decode_page(body, content_type)
    sel = Selector(text=text)
    main = sel.css("main.article-text").get()
    if main is None:
        crumbs = _plain(" ".join(sel.css("nav.breadcrumb").getall()))
        if "DETAIL" in crumbs.upper() and sel.css("main").get() is None:
            return []
        raise GazetteLayoutError(url, "not an ejustice article page (no main.article-text)")
    language = _language_of(url, sel)
    # The publications are one <p> cut by <hr>: split the raw HTML (a parser would close the
    # <p> at the first <hr>).
    start = text.find("article-text")
    end = text.rfind("</p>", start, text.find("</main>", start))
    chunks = _HR.split(text[text.find(">", start) + 1 : end])
    name: str | None = None
    legal_form: str | None = None
    address: str | None = None
    number: str | None = None
    out = []
    for chunk in chunks:
        raw_lines = _BR.split(chunk)
        lines = [_plain(part) for part in raw_lines]
        if not any(lines):
            continue
        dated = [i for i, line in enumerate(lines) if _DATE_LINE.match(line)]
        if len(dated) != 1 or dated[0] == 0:
            raise GazetteLayoutError(url, f"article entry without one 'date / numac' line: {lines}")
        at = dated[0]
        for i, raw in enumerate(raw_lines[: at - 1]):
            font = _FONT.search(raw)
            if font and _plain(font.group(1)):
                name = _plain(font.group(1))
                legal_form = _plain(raw[font.end() :]) or None
                continue
            found = enterprise_number_from(lines[i])
            if found:
                number = found
            elif lines[i] and number is None and name is not None:
                address = lines[i]
        if number is None:
            raise GazetteLayoutError(url, "article page without the enterprise number line")
        pdf = Selector(text=raw_lines[at]).css("a::attr(href)").get()
        out.append(
            _publication(
                number=number,
                name=name,
                legal_form=legal_form,
                address=address,
                rubric=_label(raw_lines[at - 1]),
                date_line=lines[at],
                text=" ".join(line for line in lines[at + 1 :] if line) or None,
                pdf_href=pdf,
                detail_href=None,
                url=url,
                language=language,
            )
        )
    return out
