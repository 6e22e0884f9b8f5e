"""Job-ad detail pages → the ``job_ad`` fields of the item contract.

Structured data first: a schema.org ``JobPosting`` in JSON-LD (also inside ``@graph`` and
lists), then in microdata, then in RDFa (``vocab``/``typeof``/``property``), read with extruct.
Fields the structured data lacks are filled from the source's fallback selectors (CSS, XPath
after ``xpath:``, or ``js:<variable>:<path>`` for pages that keep their data in a script).
A page without a JobPosting is parsed with the fallbacks alone, and must then yield at least
a title and an employer or a description, else :class:`ParseError`.
Every value says where it came from (``provenance``).
"""

from __future__ import annotations

import re
from typing import Any

import extruct
from parsel import Selector

from spiders import ParseError
from spiders.parsers.embedded import dig, embedded_json, parse_js_selector
from spiders.parsers.encoding import declared_encoding, decode_body
from spiders.parsers.language import LANGUAGES, detect_language, language_from_tag
from spiders.selectors import clean, html_to_text, maybe, one, select, text_of

JOB_FIELDS = (
    "external_id",
    "title",
    "description",
    "employer_name",
    "employer_number",
    "employer_phone",
    "employer_url",
    "street",
    "postcode",
    "locality",
    "country",
    "salary_text",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_unit",
    "date_posted",
    "employment_type",
)
REQUIRED_HINT = "a title and an employer name or a description"


def parse_job_page(
    html: str | bytes,
    url: str,
    fallbacks: dict[str, str] | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    """Parse one job-ad page; return ``{"fields", "provenance", "language"}``.

    ``encoding`` forces the charset of a ``bytes`` page; otherwise the page's own declaration
    is used, and an undecodable body is decoded as cp1252 with
    ``fields["encoding_repaired"] = "cp1252"``.
    """
    repaired = None
    if isinstance(html, bytes):
        html, repaired = decode_body(html, encoding or declared_encoding(None, html))
    fallbacks = fallbacks or {}
    fields: dict[str, Any] = {}
    provenance: dict[str, str] = {}

    found = find_job_posting(html, url)
    if found is not None:
        syntax, job = found
        _map_job_posting(job, syntax, fields, provenance)

    sel = Selector(text=html or "<html></html>")
    _apply_fallbacks(sel, html, url, fallbacks, fields, provenance, strict=found is None)

    _split_address_text(fields, provenance)
    if not fields.get("title") or not (fields.get("employer_name") or fields.get("description")):
        what = "schema.org JobPosting" if found is None else "usable JobPosting"
        raise ParseError(url, f"no {what} and fallbacks did not give {REQUIRED_HINT}")
    if repaired:
        fields["encoding_repaired"] = repaired
    language = _language(found[1] if found else None, sel, html, fallbacks, fields)
    return {"fields": fields, "provenance": provenance, "language": language}


# -- structured data -------------------------------------------------------------------------


def find_job_posting(html: str, url: str) -> tuple[str, dict[str, Any]] | None:
    """The first JobPosting on the page as ``("jsonld"|"microdata"|"rdfa", node)``, or
    ``None``. RDFa (slow to parse) is only read when the page has no JSON-LD/microdata
    JobPosting and carries ``typeof`` attributes at all."""
    if not html or "<" not in html:
        return None
    data = extruct.extract(
        html, base_url=url, syntaxes=["json-ld", "microdata"], uniform=True, errors="log"
    )
    for syntax, key in (("jsonld", "json-ld"), ("microdata", "microdata")):
        for node in _nodes(data.get(key) or []):
            if _is_type(node, "JobPosting"):
                return syntax, node
    if _RDFA_HINT.search(html):
        rdfa = extruct.extract(html, base_url=url, syntaxes=["rdfa"], errors="log")
        job = rdfa_job_posting(rdfa.get("rdfa") or [])
        if job is not None:
            return "rdfa", job
    return None


_RDFA_HINT = re.compile(r"\btypeof\s*=", re.IGNORECASE)
_SCHEMA_PREFIXES = ("https://schema.org/", "http://schema.org/")


def rdfa_job_posting(graph: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Frame extruct's RDFa output (a flat, expanded JSON-LD graph: full property IRIs, values
    as ``[{"@value": …}]``, nested things as ``[{"@id": "_:b0"}]``) into a nested node with
    short schema.org names, like the JSON-LD and microdata nodes; the first JobPosting or
    ``None``."""
    by_id = {node["@id"]: node for node in graph if isinstance(node, dict) and "@id" in node}
    for node in graph:
        if isinstance(node, dict) and _is_type(node, "JobPosting"):
            return _frame(node, by_id, frozenset())
    return None


def _frame(node: dict[str, Any], by_id: dict[str, Any], seen: frozenset[str]) -> dict[str, Any]:
    seen = seen | {node.get("@id", "")}
    out: dict[str, Any] = {"@type": [_short(t) for t in node.get("@type") or []]}
    for key, values in node.items():
        if key.startswith("@") or not key.startswith(_SCHEMA_PREFIXES):
            continue
        framed = []
        for value in values if isinstance(values, list) else [values]:
            if not isinstance(value, dict):
                framed.append(value)
            elif "@value" in value:
                framed.append(value["@value"])
            elif "@id" in value:
                ref = value["@id"]
                target = by_id.get(ref)
                if target is not None and ref not in seen and len(target) > 1:
                    framed.append(_frame(target, by_id, seen))
                else:
                    framed.append(ref)  # a plain IRI (sameAs, url) or a cycle
        out[_short(key)] = framed[0] if len(framed) == 1 else framed
    return out


def _short(iri: str) -> str:
    for prefix in _SCHEMA_PREFIXES:
        if iri.startswith(prefix):
            return iri[len(prefix) :]
    return iri


def _nodes(value: Any) -> Any:
    """Every dict in a JSON-LD/microdata tree, depth first (covers @graph and lists)."""
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item)
    elif isinstance(value, dict):
        yield value
        for child in value.values():
            if isinstance(child, dict | list):
                yield from _nodes(child)


def _is_type(node: dict[str, Any], wanted: str) -> bool:
    types = node.get("@type")
    for t in types if isinstance(types, list) else [types]:
        if isinstance(t, str) and t.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] == wanted:
            return True
    return False


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _scalar(value: Any) -> str | None:
    """A JSON scalar as text (numbers kept as written by ``str``); dicts/lists → ``None``."""
    value = _first(value)
    if value is None or isinstance(value, bool | dict | list):
        return None
    return clean(str(value))


def _map_job_posting(
    job: dict[str, Any], syntax: str, fields: dict[str, Any], provenance: dict[str, str]
) -> None:
    def put(field: str, value: Any, path: str) -> None:
        text = _scalar(value)
        if text is not None and field not in fields:
            fields[field] = text
            provenance[field] = f"{syntax}:{path}"

    ident = _first(job.get("identifier"))
    if isinstance(ident, dict):
        put("external_id", ident.get("value"), "identifier.value")
    else:
        put("external_id", ident, "identifier")
    put("title", job.get("title"), "title")
    put("title", job.get("name"), "name")
    desc = _scalar(job.get("description"))
    if desc:
        fields["description"] = html_to_text(desc)
        provenance["description"] = f"{syntax}:description"

    org = _first(job.get("hiringOrganization"))
    if isinstance(org, dict):
        put("employer_name", org.get("name"), "hiringOrganization.name")
        for key in ("taxID", "vatID", "leiCode"):
            put("employer_number", org.get(key), f"hiringOrganization.{key}")
        put("employer_phone", org.get("telephone"), "hiringOrganization.telephone")
        put("employer_url", org.get("sameAs"), "hiringOrganization.sameAs")
        put("employer_url", org.get("url"), "hiringOrganization.url")
    else:
        put("employer_name", org, "hiringOrganization")

    _map_location(job, put)
    _map_salary(job, put)
    put("salary_currency", job.get("salaryCurrency"), "salaryCurrency")
    put("date_posted", job.get("datePosted"), "datePosted")
    kinds = job.get("employmentType")
    if isinstance(kinds, list):
        kinds = ", ".join(str(k) for k in kinds if isinstance(k, str)) or None
    put("employment_type", kinds, "employmentType")


def _map_location(job: dict[str, Any], put: Any) -> None:
    place = _first(job.get("jobLocation"))
    if not isinstance(place, dict):
        put("locality", place, "jobLocation")
        return
    address = _first(place.get("address"))
    if not isinstance(address, dict):
        put("address_text", address, "jobLocation.address")
        return
    base = "jobLocation.address"
    put("street", address.get("streetAddress"), f"{base}.streetAddress")
    put("postcode", address.get("postalCode"), f"{base}.postalCode")
    put("locality", address.get("addressLocality"), f"{base}.addressLocality")
    country = _first(address.get("addressCountry"))
    if isinstance(country, dict):
        put("country", country.get("name"), f"{base}.addressCountry.name")
    else:
        put("country", country, f"{base}.addressCountry")


def _map_salary(job: dict[str, Any], put: Any) -> None:
    salary = _first(job.get("baseSalary"))
    if salary is None:
        return
    if not isinstance(salary, dict):
        if isinstance(salary, str) and not _is_number(salary):
            put("salary_text", salary, "baseSalary")
        else:
            put("salary_min", salary, "baseSalary")
            put("salary_max", salary, "baseSalary")
        return
    put("salary_currency", salary.get("currency"), "baseSalary.currency")
    value = _first(salary.get("value"))
    if isinstance(value, dict):
        put("salary_min", value.get("minValue"), "baseSalary.value.minValue")
        put("salary_max", value.get("maxValue"), "baseSalary.value.maxValue")
        put("salary_min", value.get("value"), "baseSalary.value.value")
        put("salary_max", value.get("value"), "baseSalary.value.value")
        put("salary_unit", value.get("unitText"), "baseSalary.value.unitText")
    elif isinstance(value, str) and not _is_number(value):
        put("salary_text", value, "baseSalary.value")
    else:
        put("salary_min", value, "baseSalary.value")
        put("salary_max", value, "baseSalary.value")
    put("salary_unit", salary.get("unitText"), "baseSalary.unitText")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


_POSTCODE_PLACE = re.compile(
    r"^(?:(?P<street>.*?)[,\s]+)?(?P<postcode>\d{4})\s+(?P<place>[^,\d]+?)"
    r"(?:,\s*(?P<country>[^,]+))?$"
)


def _split_address_text(fields: dict[str, Any], provenance: dict[str, str]) -> None:
    """An address written on one line ("Rue X 1, 1000 Bruxelles") fills missing parts."""
    text = fields.get("address_text")
    if not text or (fields.get("postcode") and fields.get("locality")):
        return
    match = _POSTCODE_PLACE.match(text.strip())
    if not match:
        return
    where = provenance.get("address_text", "")
    for field, group in (("street", "street"), ("postcode", "postcode"), ("locality", "place")):
        value = clean(match.group(group))
        if value and not fields.get(field):
            fields[field] = value
            provenance[field] = where


# -- fallbacks -------------------------------------------------------------------------------


def _apply_fallbacks(
    sel: Selector,
    html: str,
    url: str,
    fallbacks: dict[str, str],
    fields: dict[str, Any],
    provenance: dict[str, str],
    strict: bool,
) -> None:
    """Fill missing fields from the source's selectors; in ``strict`` mode (no structured
    data) the title selector must match exactly once."""
    states: dict[str, Any] = {}
    for field, spec in fallbacks.items():
        if fields.get(field) or field == "language":
            continue
        js = parse_js_selector(spec)
        if js is not None:
            value = _select_js(html, js, states)
            variable, path = js
            if value and field == "description":
                value = html_to_text(value)
            where = f"js:{variable}.{path}"
        else:
            if spec.startswith("xpath:"):
                found = select(sel, spec)
                if strict and field == "title" and len(found) != 1:
                    raise ParseError(url, f"job title: expected exactly one {spec!r}")
                value = text_of(found[0]) if found else None
                where = spec
                if value:
                    fields[field] = value
                    provenance[field] = where
                continue
            css = spec[4:] if spec.startswith("css:") else spec
            if strict and field == "title":
                value = one(sel, css, "job title", url=url)
            else:
                value = maybe(sel, css)
            where = f"css:{css}"
        if value:
            fields[field] = value
            provenance[field] = where


def _select_js(html: str, js: tuple[str, str], states: dict[str, Any]) -> str | None:
    variable, path = js
    if variable not in states:
        states[variable] = embedded_json(html, variable)
    raw = dig(states[variable], path)
    return clean(raw) if isinstance(raw, str) else _scalar(raw)


def _language(
    job: dict[str, Any] | None,
    sel: Selector,
    html: str,
    fallbacks: dict[str, str],
    fields: dict[str, Any],
) -> str | None:
    """Declared language (``inLanguage``, ``<html lang>``, a ``language`` fallback selector)
    decides; a declared language other than FR/NL/EN/DE gives ``None``; else stop words."""
    declared = None
    if job is not None:
        tag = _first(job.get("inLanguage"))
        if isinstance(tag, dict):
            tag = tag.get("alternateName") or tag.get("name")
        declared = tag if isinstance(tag, str) and tag.strip() else None
    if declared is None:
        declared = sel.xpath("/html/@lang").get()
    if not declared and fallbacks.get("language"):
        spec = fallbacks["language"]
        js = parse_js_selector(spec)
        css = spec[4:] if spec.startswith("css:") else spec
        declared = _select_js(html, js, {}) if js else maybe(sel, css)
    if declared and declared.strip():
        lang = language_from_tag(declared)
        return lang if lang in LANGUAGES else None
    sample = " ".join(str(fields.get(k) or "") for k in ("title", "description"))
    return detect_language(sample)
