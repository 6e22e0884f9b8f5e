"""KBO/BCE public-search enterprise pages (``toonondernemingps.html``) → a dict of plain values.

Parsed by LABEL and section heading, never by position, in French, Dutch, German and English
(:mod:`spiders.parsers.kbo_labels`). Dates become ISO strings. A page without the enterprise
number row raises :class:`spiders.NotFoundError` when it is the register's own "unknown number"
answer, :class:`spiders.ParseError` otherwise (layout changed, wrong page). Rows we do not
understand are kept (``extra``) or named in ``warnings`` so the run report shows them.

Output keys: see :data:`KBO_KEYS`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import lxml.html

from spiders import NotFoundError, ParseError
from spiders.parsers.dates import parse_date
from spiders.parsers.encoding import declared_encoding, decode_body
from spiders.parsers.kbo_cells import (
    enterprise_number,
    entries,
    flat,
    is_no_data,
    lines,
    numbers_in,
    split_address,
)
from spiders.parsers.kbo_labels import (
    ACTIVITY_GROUPS,
    ENTITY_TYPES,
    ESTABLISHMENT_PREFIXES,
    FUNCTION_COUNT,
    GENERAL_LABELS,
    NAME_LANGUAGES,
    NOT_FOUND,
    ONSS_EMPLOYER,
    SECTION_PREFIXES,
    STATUS_CODES,
    VAT_LIABLE,
    norm,
)
from spiders.parsers.language import language_from_tag
from spiders.selectors import clean

# Every key of the returned dict (absent values are None, empty lists or {}).
KBO_KEYS: tuple[str, ...] = tuple(
    """
    found enterprise_number enterprise_number_display page_language status status_code
    juridical_situation juridical_situation_since start_date name name_language name_since
    other_names struck_off struck_off_since seat_address_text street house_number postcode
    municipality country address_since phone phone_since fax fax_since email email_since website
    website_since entity_type entity_type_code legal_form legal_form_since establishment_count
    functions_count functions entrepreneurial_skills qualities onss_employer onss_since
    authorisations nace nace_codes capital general_meeting fiscal_year_end entity_links
    external_links gazette_url data_date extra warnings establishment_url seat_history vat_liable
    vat_since
    """.split()
)
_NACE_ROW = re.compile(
    r"^(?P<group>[^\d]+?)\s*(?P<version>\d{4})\s+(?P<code>\d{2}\.?\d{2,3})\s*-\s*(?P<label>.+)$"
)
_LABEL_OF = {label: field for field, labels in GENERAL_LABELS.items() for label in labels}
# Rows whose value lands in other output keys than the row's own name.
_OUTPUT_KEYS = {
    "seat_address": (
        "seat_address_text",
        "street",
        "house_number",
        "postcode",
        "municipality",
        "country",
        "address_since",
    ),
    "abbreviation": ("other_names",),
    "commercial_name": ("other_names",),
    "branch_name": ("other_names",),
}


def parse_kbo_page(html: str | bytes, url: str) -> dict[str, Any]:
    """Parse one enterprise page; see :data:`KBO_KEYS` for the keys of the returned dict."""
    return parse_kbo_page_detailed(html, url)[0]


def parse_kbo_page_detailed(html: str | bytes, url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Like :func:`parse_kbo_page`, plus the provenance ``{field: "label:Statut" | …}``."""
    if isinstance(html, bytes):
        html = decode_body(html, declared_encoding(None, html))[0]
    if not html.strip():
        raise ParseError(url, "empty page")
    doc = lxml.html.fromstring(html)
    page = _Page(url)
    page.out["page_language"] = language_from_tag(doc.get("lang"))
    root = (doc.xpath('//*[@id="table"]') or doc.xpath('//*[@id="main"]') or [doc])[0]
    page.read(root)
    page.finish(doc)
    return page.out, page.provenance


class _Page:
    """Accumulates the fields of one page while its rows are read in document order."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.out: dict[str, Any] = {key: None for key in KBO_KEYS}
        self.out.update(
            found=True,
            seat_history=[],
            other_names=[],
            functions=[],
            entrepreneurial_skills=[],
            qualities=[],
            authorisations=[],
            nace=[],
            entity_links=[],
            external_links=[],
            extra={},
            warnings=[],
        )
        self.provenance: dict[str, str] = {}
        self.headings: dict[str, str] = {}

    # -- walking ---------------------------------------------------------------------------
    def read(self, root: Any) -> None:
        section, heading, version = "general", "", None
        consumed: set[Any] = set()
        for tr in root.iter("tr"):
            if tr in consumed:
                continue
            h2 = tr.xpath("./td/h2")
            if h2:
                heading = clean(" ".join(h2[0].xpath("./text()"))) or ""
                section, version = self._section(heading)
                self.headings.setdefault(section, heading)
                continue
            tds = tr.xpath("./td")
            if not tds:
                continue
            if (
                section in ("general", "financial")
                and len(tds) >= 2
                and not tds[0].xpath(".//table")
            ):
                consumed.update(tds[1].iter("tr"))
                self._labelled(tds[0], tds[1])
            elif section == "functions":
                self._function_row(tr, tds)
            elif section in ("qualities", "skills", "authorisations"):
                self._listed(section, tds[0])
            elif section == "nace":
                self._nace_row(tds[0], heading, version)
            elif section == "entity_links":
                self._entity_link(tds[0])
            elif section == "external_links":
                self._external_links(tr)

    def _section(self, heading: str) -> tuple[str, str | None]:
        key = norm(heading)
        if "nace" in key:
            match = re.search(r"(\d{4})", key)
            return "nace", match.group(1) if match else None
        for section, prefixes in SECTION_PREFIXES.items():
            if key.startswith(prefixes):
                return section, None
        self.out["warnings"].append(f"unknown section {heading!r}")
        return "unknown", None

    # -- general block ---------------------------------------------------------------------
    def _labelled(self, label_cell: Any, value_cell: Any) -> None:
        label = clean(label_cell.text_content()) or ""
        key = norm(label)
        field = _LABEL_OF.get(key)
        if field is None and key.startswith(ESTABLISHMENT_PREFIXES):
            field = "establishment_count"
        values = entries(value_cell)
        if values and is_no_data(flat(values[0][0])):
            values = []
        if field is None:
            if values:
                self.out["extra"][label.rstrip(":").strip()] = "; ".join(
                    flat(text) or "" for text, _ in values
                )
            return
        for key in _OUTPUT_KEYS.get(field, (field,)):
            self.provenance.setdefault(key, f"label:{label.rstrip(':').strip()}")
        if not values:
            return
        text, remark = values[0]
        handler = getattr(self, f"_set_{field}", None)
        if handler is not None:
            handler(values, value_cell)
        else:
            self.out[field] = flat(text)
            if f"{field}_since" in self.out:
                self.out[f"{field}_since"] = parse_date(remark)

    def _set_enterprise_number(self, values: list, cell: Any) -> None:
        display = flat(values[0][0])
        self.out["enterprise_number_display"] = display
        self.out["enterprise_number"] = enterprise_number(display)

    def _set_status(self, values: list, cell: Any) -> None:
        status = flat(values[0][0])
        self.out["status"] = status
        self.out["status_code"] = STATUS_CODES.get(norm(status or ""))

    def _set_start_date(self, values: list, cell: Any) -> None:
        self.out["start_date"] = parse_date(flat(values[0][0]))

    def _set_name(self, values: list, cell: Any) -> None:
        for i, (text, remark) in enumerate(values):
            language, since = _name_remark(remark)
            if i == 0:
                self.out.update(name=flat(text), name_language=language, name_since=since)
            else:
                self._other_name("name", text, remark)

    def _set_abbreviation(self, values: list, cell: Any) -> None:
        for text, remark in values:
            self._other_name("abbreviation", text, remark)

    def _set_commercial_name(self, values: list, cell: Any) -> None:
        for text, remark in values:
            self._other_name("commercial_name", text, remark)

    def _set_branch_name(self, values: list, cell: Any) -> None:
        for text, remark in values:
            self._other_name("branch_name", text, remark)

    def _other_name(self, kind: str, text: str, remark: str | None) -> None:
        language, since = _name_remark(remark)
        self.out["other_names"].append(
            {"type": kind, "name": flat(text), "language": language, "since": since}
        )

    def _set_seat_address(self, values: list, cell: Any) -> None:
        text, remark = values[0]
        self.out["seat_address_text"] = ", ".join(clean(line) or "" for line in lines(text))
        self.out.update(split_address(text))
        self.out["address_since"] = parse_date(remark)
        # The public page shows the current seat and since when; were earlier seats listed in
        # the cell (newest first), they would follow.
        for text, remark in values:
            self.out["seat_history"].append(
                {
                    "address": ", ".join(clean(line) or "" for line in lines(text)),
                    **split_address(text),
                    "since": parse_date(remark),
                }
            )

    def _set_website(self, values: list, cell: Any) -> None:
        self.out["website"] = flat(values[0][0])
        self.out["website_since"] = parse_date(values[0][1])

    def _set_entity_type(self, values: list, cell: Any) -> None:
        self.out["entity_type"] = flat(values[0][0])
        self.out["entity_type_code"] = ENTITY_TYPES.get(norm(self.out["entity_type"] or ""))

    def _set_establishment_count(self, values: list, cell: Any) -> None:
        match = re.search(r"\d+", flat(values[0][0]) or "")
        self.out["establishment_count"] = int(match.group(0)) if match else None
        hrefs = cell.xpath(".//a/@href")  # the list (or the only) establishment unit page
        self.out["establishment_url"] = urljoin(self.url, hrefs[0].strip()) if hrefs else None

    # -- sections --------------------------------------------------------------------------
    def _function_row(self, tr: Any, tds: list[Any]) -> None:
        if tds[0].xpath(".//table"):
            return  # the (hidden) table of holders: its own rows follow
        text = clean(tr.text_content()) or ""
        if len(tds) < 2:
            count = FUNCTION_COUNT.search(text)
            if count:
                self.out["functions_count"] = int(count.group(1))
            elif text and not is_no_data(text):
                self.out["warnings"].append(f"function row not understood: {text[:80]!r}")
            return
        holder_cell = tds[1]
        link = holder_cell.xpath(".//a[contains(@href, 'ondernemingsnummer')]")
        holder = clean(holder_cell.text_content()) or ""
        number = enterprise_number(link[0].text_content()) if link else None
        if number:
            name = clean(holder.replace(clean(link[0].text_content()) or "", "")) or holder
            last, first = None, None
        else:
            parts = [clean(p) for p in holder.split(",")]
            last, first = parts[0], (parts[1] if len(parts) > 1 else None)
            name = ", ".join(p for p in (last, first) if p)
        since_cell = tds[2] if len(tds) > 2 else tds[1]
        remark = since_cell.xpath(".//span[contains(@class, 'upd')]")
        self.out["functions"].append(
            {
                "function": clean(tds[0].text_content()),
                "name": name,
                "last_name": last,
                "first_name": first,
                "holder_number": number,
                "since": parse_date(remark[0].text_content()) if remark else None,
            }
        )
        self.provenance["functions"] = f"section:{self.headings.get('functions', '')}"

    def _listed(self, section: str, cell: Any) -> None:
        key = {"skills": "entrepreneurial_skills"}.get(section, section)
        for text, remark in entries(cell):
            name = flat(text)
            if not name or is_no_data(name):
                continue
            item: dict[str, Any] = {"name": name, "since": parse_date(remark)}
            if section == "authorisations":
                hrefs = cell.xpath(".//a/@href")
                item["url"] = hrefs[0] if hrefs else None
            self.out[key].append(item)
            self.provenance[key] = f"section:{self.headings.get(section, '')}"

    def _nace_row(self, cell: Any, heading: str, version: str | None) -> None:
        if cell.xpath(".//span[starts-with(@id, 'klik') or starts-with(@id, 'verberg')]"):
            return  # the "show/hide 2008 activities" toggles
        for text, remark in entries(cell):
            row = flat(text) or ""
            if not row or is_no_data(row):
                continue
            match = _NACE_ROW.match(row)
            if not match:
                self.out["warnings"].append(f"activity row not understood: {row[:80]!r}")
                continue
            group = match.group("group").strip()
            self.out["nace"].append(
                {
                    "code": match.group("code").replace(".", ""),
                    "code_display": match.group("code"),
                    "version": match.group("version") or version,
                    "group": group,
                    "group_code": ACTIVITY_GROUPS.get(norm(group).replace(" ", "")),
                    "label": clean(match.group("label")),
                    "since": parse_date(remark),
                }
            )
            self.provenance["nace"] = f"section:{heading}"

    def _entity_link(self, cell: Any) -> None:
        text = flat(" ".join(t for t, _ in entries(cell)))
        if not text or is_no_data(text):
            return
        self.out["entity_links"].append(
            {"text": text, "enterprise_numbers": numbers_in(text), "since": parse_date(text)}
        )
        self.provenance["entity_links"] = f"section:{self.headings.get('entity_links', '')}"

    def _external_links(self, tr: Any) -> None:
        for a in tr.xpath(".//a[@href]"):
            self.out["external_links"].append(
                {"label": clean(a.text_content()), "url": a.get("href")}
            )
        self.provenance["external_links"] = f"section:{self.headings.get('external_links', '')}"

    # -- checks ----------------------------------------------------------------------------
    def finish(self, doc: Any) -> None:
        out = self.out
        if not out["enterprise_number"]:
            body = clean(doc.text_content()) or ""
            if NOT_FOUND.search(norm(body)):
                raise NotFoundError(self.url, "the register says this enterprise is unknown")
            raise ParseError(self.url, "no enterprise number row (Numéro d'entreprise:)")
        for field, what in (("name", "Dénomination:"), ("status", "Statut:")):
            if not out[field]:
                raise ParseError(self.url, f"no value for {what} ({field})")
        if "qualities" not in self.headings:
            raise ParseError(self.url, "no Qualités/Hoedanigheden section")
        onss = [q for q in out["qualities"] if ONSS_EMPLOYER.match(norm(q["name"]))]
        out["onss_employer"] = bool(onss)
        out["onss_since"] = onss[0]["since"] if onss else None
        self.provenance["onss_employer"] = f"section:{self.headings['qualities']}"
        vat = [q for q in out["qualities"] if VAT_LIABLE.match(norm(q["name"]))]
        out["vat_liable"] = bool(vat)
        out["vat_since"] = vat[0]["since"] if vat else None
        self.provenance["vat_liable"] = f"section:{self.headings['qualities']}"
        latest = max((n["version"] for n in out["nace"] if n["version"]), default=None)
        out["nace_codes"] = sorted({n["code"] for n in out["nace"] if n["version"] == latest})
        out["gazette_url"] = next(
            (link["url"] for link in out["external_links"] if "ejustice" in (link["url"] or "")),
            None,
        )
        stamp = doc.xpath('//*[@id="last_update"]/text()')
        out["data_date"] = parse_date(" ".join(stamp)) if stamp else None
        requested = parse_qs(urlparse(self.url).query).get("ondernemingsnummer")
        if requested and enterprise_number(requested[0]) != out["enterprise_number"]:
            out["warnings"].append(
                f"page shows {out['enterprise_number']}, URL asked for {requested[0]}"
            )


def _name_remark(remark: str | None) -> tuple[str | None, str | None]:
    """``"Dénomination en néerlandais, depuis le 13 décembre 2016"`` → ``("nl", "2016-12-13")``."""
    if not remark:
        return None, None
    words = set(re.findall(r"[a-z]+", norm(remark)))
    language = next((code for word, code in NAME_LANGUAGES.items() if word in words), None)
    return language, parse_date(remark)
