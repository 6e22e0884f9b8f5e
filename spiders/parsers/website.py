"""What a company website says about the firm behind it, and which of its pages to read next.

Belgian law (Code de droit économique / Wetboek van economisch recht, art. III.15 and III.74)
requires an enterprise's website to show its enterprise number; the legal notice (mentions
légales, colofon, Impressum) and contact pages are where it usually is. From one page's HTML,
:func:`parse_website_page` takes:

- enterprise numbers (Belgian, mod 97) and VAT numbers of any EU country (python-stdnum
  checksums) through :func:`entity_resolution.identifiers.find_identifiers` — only valid numbers
  count; a labelled number that fails its checksum is kept apart in ``numbers_invalid``;
- phones (E.164; ``tel:`` links too), e-mails (``mailto:``, text, the ``info [at] firm [dot] be``
  forms, Cloudflare's ``data-cfemail``), IBANs (``stdnum.iban``), Belgian postal addresses
  (postcode that exists + locality; schema.org address first) and social-network profiles;
- the links worth following (contact, legal notice, conditions, privacy, about) in FR/NL/DE/EN.

Structured data (schema.org Organization/LocalBusiness in JSON-LD or microdata, read with
extruct) comes first. Every value says where it was seen: ``jsonld:LocalBusiness.vatID``,
``microdata:Organization.telephone``, ``link:tel``, ``link:mailto``, ``link:social``,
``footer`` (inside a ``<footer>`` or an element whose class/id says footer) or ``text``.
:func:`merge_pages` folds the pages of one site into the fields of one ``website`` item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import extruct
import lxml.html
from lxml import etree
from stdnum import iban as std_iban

from entity_resolution.geo import lookup_postcode
from entity_resolution.identifiers import (
    find_identifiers,
    normalize_email,
    normalize_enterprise_number,
    normalize_phone,
    normalize_vat,
    registered_domain,
    site_domain,
)
from spiders import ParseError
from spiders.parsers.language import detect_language, language_from_tag

#: Link kinds worth following, best first, each with words seen in link text or URL path.
LINK_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("legal", ("mentions legales", "mentions-legales", "mentions_legales", "mentions légales",
               "informations legales", "informations légales", "legal notice", "legal-notice",
               "legal", "juridique", "imprint", "impressum", "colofon", "colophon",
               "disclaimer", "wettelijke vermeldingen", "wettelijke-vermeldingen")),
    ("contact", ("contact", "kontakt", "contacteer", "nous joindre", "bereikbaarheid")),
    ("about", ("over ons", "over-ons", "a propos", "à propos", "a-propos", "qui sommes",
               "about", "wie zijn we", "wie zijn wij", "uber uns", "über uns", "ueber-uns")),
    ("conditions", ("conditions", "cgv", "voorwaarden", "terms", "agb", "geschaftsbedingungen",
                    "geschäftsbedingungen")),
    ("privacy", ("privacy", "vie privee", "vie privée", "confidentialite", "confidentialité",
                 "datenschutz", "gdpr", "rgpd")),
)
LINK_PRIORITY = {kind: rank for rank, (kind, _) in enumerate(LINK_KINDS)}

SOCIAL_NETWORKS = {
    "facebook.com": "facebook", "fb.com": "facebook", "instagram.com": "instagram",
    "linkedin.com": "linkedin", "tiktok.com": "tiktok", "twitter.com": "x", "x.com": "x",
    "youtube.com": "youtube", "youtu.be": "youtube",
}
# Share buttons point at the network, not at the firm's profile.
_SHARE_PATH = re.compile(r"/(?:sharer|share|intent|shareArticle|dialog)\b", re.IGNORECASE)

ORG_TYPES = {"Organization", "Corporation", "LocalBusiness", "ProfessionalService",
             "HomeAndConstructionBusiness", "GeneralContractor", "Restaurant", "Store",
             "AutoWash", "AutomotiveBusiness", "FoodEstablishment", "EmploymentAgency",
             "HealthAndBeautyBusiness", "DaySpa", "CleaningService", "MovingCompany",
             "Plumber", "Electrician", "RoofingContractor", "HousePainter", "NGO"}

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
               "address", "section", "article", "footer", "header", "nav", "ul", "ol", "dd",
               "dt", "table", "blockquote", "aside", "main", "form", "dl"}
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "head")
_FOOTER_XPATH = ("//footer | //*[contains(translate(@class,'FOTER','foter'),'footer') or "
                 "contains(translate(@id,'FOTER','foter'),'footer')]")

_IBAN_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{1,4}){2,8})")
_LABELLED_NUMBER = re.compile(
    r"\b(?:btw|tva|vat|kbo|bce|ondernemingsnummer|ond\.?\s*nr|n°\s*d'entreprise|"
    r"num[eé]ro\s+d'entreprise|n°\s*entreprise|enterprise\s+(?:number|no\.?)|company\s+number)"
    r"\.?\s*(?:nr\.?|n°|no\.?)?\s*[:.]?\s*((?:BE)?\s?[0-9][0-9 .]{7,13}[0-9])",
    re.IGNORECASE,
)
# "Rue du Cerf 200", "Kerkstraat 12 bus 3", "Chaussée de Wavre 15A": words, then a house number.
_STREET = re.compile(
    r"^(?P<street>[A-ZÀ-Ýa-zà-ÿ][\wÀ-ÿ'’.\- ]{2,60}?\s\d{1,4}[A-Za-z]?"
    r"(?:\s*(?:bus|boîte|bte|b\.|/)\s*\w{1,5})?)\s*,?\s*$"
)
_POSTCODE_LOCALITY = re.compile(
    r"(?:^|,\s*|\s)(?:B-|BE-|B\s)?(?P<postcode>[1-9]\d{3})\s+"
    r"(?P<locality>[A-ZÀ-Ý][\wÀ-ÿ'’\-]+(?:[ \-](?:[A-ZÀ-Ý][\wÀ-ÿ'’\-]+|sur|lez|lès|aan|"
    r"de|la|le|den|der|op|ter|ten)){0,3})"
)


@dataclass
class PageExtract:
    """Everything one page yields; each value is a dict with ``value``, ``where`` and ``url``."""

    url: str
    language: str | None = None
    title: str | None = None
    names: list[dict[str, Any]] = field(default_factory=list)
    enterprise_numbers: list[dict[str, Any]] = field(default_factory=list)
    vats: list[dict[str, Any]] = field(default_factory=list)
    numbers_invalid: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    ibans: list[dict[str, Any]] = field(default_factory=list)
    social: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)

    def add(self, bucket: str, value: str, where: str, **extra: Any) -> None:
        """Add a value once per (value, where): the same number in two places is two sightings."""
        values = getattr(self, bucket)
        if any(v["value"] == value and v["where"] == where for v in values):
            return
        values.append({"value": value, "where": where, "url": self.url, **extra})


VALUE_BUCKETS = ("names", "enterprise_numbers", "vats", "numbers_invalid", "phones", "emails",
                 "addresses", "ibans", "social")


# -- the page ---------------------------------------------------------------------------------
def parse_website_page(html: str | bytes, url: str, site_root: str | None = None) -> PageExtract:
    """Read one page of a company site. ``site_root`` bounds the links kept (default: the
    page's own registered domain). Raises :class:`ParseError` if the body is not HTML."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    if not html.strip() or "<" not in html:
        raise ParseError(url, "empty body or not HTML")
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(url, f"HTML does not parse: {exc}") from exc
    page = PageExtract(url=url)
    page.title = _clean(" ".join(tree.xpath("//title//text()"))) or None
    _structured(html, url, page)
    _links(tree, url, page, site_root)
    main, footer = _texts(tree)
    for text, where in ((footer, "footer"), (main, "text")):
        _from_text(text, where, page)
    page.language = language_from_tag(tree.get("lang")) or detect_language(main + " " + footer)
    return page


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\xa0", " ")).strip()


def _texts(tree: Any) -> tuple[str, str]:
    """(main text, footer text), one line per block element; scripts and styles left out."""
    tree = lxml.html.fromstring(lxml.html.tostring(tree))  # a copy we may cut
    for bad in tree.xpath("|".join(f"//{t}" for t in _DROP_TAGS)):
        bad.drop_tree()
    footers = [f for f in tree.xpath(_FOOTER_XPATH)
               if not any(a in f.iterancestors() for a in tree.xpath(_FOOTER_XPATH))]
    footer_text = "\n".join(_block_text(f) for f in footers)
    for f in footers:
        f.drop_tree()
    return _block_text(tree), footer_text


def _block_text(element: Any) -> str:
    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if node.text and tag and tag not in _DROP_TAGS:
                parts.append(node.text)
        else:
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if node.tail and node is not element:
                parts.append(node.tail)
    lines = (_clean(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


# -- structured data --------------------------------------------------------------------------
def _structured(html: str, url: str, page: PageExtract) -> None:
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "microdata"],
                           uniform=True, errors="log")
    for syntax, key in (("jsonld", "json-ld"), ("microdata", "microdata")):
        for node in _nodes(data.get(key) or []):
            kind = _org_type(node)
            if kind:
                _organisation(node, f"{syntax}:{kind}", page)


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item)
    elif isinstance(value, dict):
        yield value
        for child in value.values():
            if isinstance(child, dict | list):
                yield from _nodes(child)


def _org_type(node: dict[str, Any]) -> str | None:
    types = node.get("@type")
    for t in types if isinstance(types, list) else [types]:
        if isinstance(t, str):
            short = t.rstrip("/").rsplit("/", 1)[-1]
            if short in ORG_TYPES or short.endswith(("Business", "Organization")):
                return short
    return None


def _scalars(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [_clean(str(v)) for v in values if isinstance(v, str | int) and _clean(str(v))]


def _organisation(node: dict[str, Any], where: str, page: PageExtract) -> None:
    for name in _scalars(node.get("name"))[:1]:
        page.add("names", name, f"{where}.name")
    for prop in ("vatID", "taxID", "leiCode", "identifier"):
        for raw in _scalars(node.get(prop)):
            _number(raw, f"{where}.{prop}", page)
    for raw in _scalars(node.get("telephone")):
        phone = normalize_phone(raw)
        if phone:
            page.add("phones", phone, f"{where}.telephone", as_written=raw)
    for raw in _scalars(node.get("email")):
        email = normalize_email(raw)
        if email:
            page.add("emails", email, f"{where}.email")
    addresses = node.get("address")
    for address in addresses if isinstance(addresses, list) else [addresses]:
        if isinstance(address, dict):
            _postal_address(address, f"{where}.address", page)
        elif isinstance(address, str):
            _address_lines(address.replace(",", "\n"), f"{where}.address", page)
    for link in _scalars(node.get("sameAs")):
        _social(link, f"{where}.sameAs", page)


def _number(raw: str, where: str, page: PageExtract) -> None:
    vat = normalize_vat(raw)
    if vat is not None:
        page.add("vats", vat.compact, where, country=vat.country)
        if vat.country == "BE":
            page.add("enterprise_numbers", vat.number, where)
        return
    number = normalize_enterprise_number(raw)
    if number:
        page.add("enterprise_numbers", number, where)
    else:
        page.add("numbers_invalid", raw, where)


def _postal_address(address: dict[str, Any], where: str, page: PageExtract) -> None:
    postcode = (_scalars(address.get("postalCode")) or [""])[0]
    locality = (_scalars(address.get("addressLocality")) or [""])[0]
    street = (_scalars(address.get("streetAddress")) or [""])[0]
    country = (_scalars(address.get("addressCountry")) or [""])[0]
    if isinstance(address.get("addressCountry"), dict):
        country = (_scalars(address["addressCountry"].get("name")) or [""])[0]
    if not (postcode or locality):
        return
    _put_address(page, where, street or None, postcode, locality, country or None)


def _put_address(page: PageExtract, where: str, street: str | None, postcode: str,
                 locality: str, country: str | None) -> None:
    place = lookup_postcode(postcode) if re.fullmatch(r"\d{4}", postcode or "") else None
    belgian = country in (None, "", "BE", "Belgium", "Belgique", "België", "Belgien")
    if place is not None and belgian:
        country = "BE"
    value = ", ".join(p for p in (street, f"{postcode} {locality}".strip()) if p)
    page.add("addresses", value, where, street=street, postcode=postcode or None,
             locality=locality or None, country=country,
             municipality=(place.municipality_fr or place.municipality_nl) if place else None)


# -- links ------------------------------------------------------------------------------------
def _links(tree: Any, url: str, page: PageExtract, site_root: str | None) -> None:
    root = site_root or url
    seen: set[str] = set()
    for a in tree.xpath("//a[@href]"):
        href = (a.get("href") or "").strip()
        where_base = "footer" if _in_footer(a) else "link"
        low = href.lower()
        if low.startswith("tel:"):
            phone = normalize_phone(unquote(href[4:]))
            if phone:
                page.add("phones", phone, "link:tel", as_written=_clean(a.text_content()))
            continue
        if low.startswith("mailto:"):
            email = normalize_email(unquote(href[7:].split("?", 1)[0]))
            if email:
                page.add("emails", email, "link:mailto")
            continue
        if low.startswith(("javascript:", "#", "data:")):
            continue
        absolute = urldefrag(urljoin(url, href))[0]
        if not absolute.startswith(("http://", "https://")):
            continue
        if _social(absolute, "link:social", page):
            continue
        text = _clean(a.text_content() + " " + (a.get("title") or ""))
        kind = link_kind(text, absolute)
        if kind and same_site(absolute, root) and absolute not in seen:
            seen.add(absolute)
            page.links.append({"url": absolute, "kind": kind, "text": text[:80],
                               "where": where_base})
    for node in tree.xpath("//*[@data-cfemail]"):
        email = decode_cfemail(node.get("data-cfemail") or "")
        if email:
            page.add("emails", email, "cfemail")
    page.links.sort(key=lambda link: LINK_PRIORITY[link["kind"]])


def _in_footer(node: Any) -> bool:
    for ancestor in node.iterancestors():
        marks = f"{ancestor.tag} {ancestor.get('class') or ''} {ancestor.get('id') or ''}"
        if "footer" in marks.lower():
            return True
    return False


def link_kind(text: str, url: str) -> str | None:
    """``"legal"``, ``"contact"``, ``"about"``, ``"conditions"``, ``"privacy"`` or ``None``."""
    path = unquote(urlsplit(url).path).lower().replace("_", "-")
    haystack = f"{text.lower()} {path.replace('/', ' ')}"
    for kind, words in LINK_KINDS:
        if any(word in haystack for word in words):
            return kind
    return None


def site_root_of(url: str) -> str:
    """The bound of a site: ``scheme://host[:port]/path-prefix/`` of its start URL."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return f"{parts.scheme}://{parts.netloc}{path or '/'}"


def same_site(url: str, root: str) -> bool:
    """Same registered domain as ``root`` (any subdomain; on a site builder, the same
    customer's host: :func:`~entity_resolution.identifiers.site_domain`), or — for hosts without
    one (an IP address, localhost) — same host and port under ``root``'s path."""
    a, b = urlsplit(url), urlsplit(root)
    domain_a, domain_b = site_domain(a.hostname), site_domain(b.hostname)
    if domain_b:
        return domain_a == domain_b
    return a.netloc == b.netloc and a.path.startswith(b.path or "/")


def _social(url: str, where: str, page: PageExtract) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    network = SOCIAL_NETWORKS.get(host) or SOCIAL_NETWORKS.get(registered_domain(host) or "")
    if not network:
        return False
    if _SHARE_PATH.search(parts.path) or parts.path.strip("/") == "":
        return True  # a share button or the network's home page: not the firm's profile
    profile = f"https://{parts.hostname}{parts.path.rstrip('/')}"
    page.add("social", profile, where, network=network)
    return True


def decode_cfemail(encoded: str) -> str | None:
    """Cloudflare's e-mail obfuscation: hex bytes, the first one XOR-ing the others."""
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2}){2,}", encoded):
        return None
    key = int(encoded[:2], 16)
    chars = [chr(int(encoded[i:i + 2], 16) ^ key) for i in range(2, len(encoded), 2)]
    return normalize_email("".join(chars))


# -- text -------------------------------------------------------------------------------------
def _from_text(text: str, where: str, page: PageExtract) -> None:
    if not text:
        return
    masked = text
    for m in _IBAN_CANDIDATE.finditer(text):
        iban = _valid_iban(m.group(1))
        if iban:
            page.add("ibans", iban, where, country=iban[:2])
            masked = masked.replace(m.group(0), " " * len(m.group(0)))
    ids = find_identifiers(masked)
    for vat in ids.vats:
        page.add("vats", vat.compact, where, country=vat.country)
    for number in ids.enterprise_numbers:
        page.add("enterprise_numbers", number, where)
    for phone in ids.phones:
        page.add("phones", phone, where)
    for email in ids.emails:
        page.add("emails", email, where)
    valid = set(ids.enterprise_numbers) | {v.compact for v in ids.vats}
    for m in _LABELLED_NUMBER.finditer(masked):
        raw = _clean(m.group(1))
        if normalize_enterprise_number(raw) or normalize_vat(raw) or raw in valid:
            continue
        digits = re.sub(r"\D", "", raw)
        if len(digits) in (9, 10):
            page.add("numbers_invalid", raw, where)
    _address_lines(text, where, page)


def _valid_iban(candidate: str) -> str | None:
    """The longest prefix (in whole groups) of ``candidate`` that is a valid IBAN."""
    pieces = candidate.split(" ")
    for cut in range(len(pieces), 0, -1):
        compact = "".join(pieces[:cut])
        if len(compact) >= 15 and std_iban.is_valid(compact):
            return std_iban.compact(compact)
    return None


def _address_lines(text: str, where: str, page: PageExtract) -> None:
    """Belgian addresses: "<street> <n°>" then "<postcode> <locality>" on the same or the next
    line; the postcode must exist (bpost list), else the digits are something else."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        for m in _POSTCODE_LOCALITY.finditer(line):
            if lookup_postcode(m.group("postcode")) is None:
                continue
            before = line[: m.start()].strip(" ,-–|")
            street = _street_in(before)
            if street is None and not before and i > 0:
                street = _street_in(lines[i - 1])
            if street is None:
                continue  # a postcode alone ("1000 Bruxelles") is a place, not an address
            _put_address(page, where, street, m.group("postcode"),
                         m.group("locality").strip(), None)


def _street_in(text: str) -> str | None:
    tail = re.split(r"[:|•·–]| - ", text)[-1].strip(" ,")
    m = _STREET.match(tail)
    return _clean(m.group("street")) if m else None


# -- one site ---------------------------------------------------------------------------------
def merge_pages(pages: Iterable[PageExtract], captures: dict[str, int | None] | None = None
                ) -> dict[str, Any]:
    """Fold a site's pages into item fields: each distinct value once, with every sighting
    (``found``: url, where, capture id) in page order."""
    captures = captures or {}
    merged: dict[str, dict[str, dict[str, Any]]] = {b: {} for b in VALUE_BUCKETS}
    languages: list[str] = []
    for page in pages:
        if page.language:
            languages.append(page.language)
        for bucket in VALUE_BUCKETS:
            for entry in getattr(page, bucket):
                extra = {k: v for k, v in entry.items() if k not in ("value", "where", "url")}
                slot = merged[bucket].setdefault(entry["value"], {"value": entry["value"],
                                                                  **extra, "found": []})
                for key, value in extra.items():
                    slot.setdefault(key, value)
                slot["found"].append({"url": entry["url"], "where": entry["where"],
                                      "capture_id": captures.get(entry["url"])})
    fields: dict[str, Any] = {b: list(merged[b].values()) for b in VALUE_BUCKETS}
    fields["language"] = max(set(languages), key=languages.count) if languages else None
    return fields
