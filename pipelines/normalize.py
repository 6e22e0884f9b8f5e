"""From raw item fields to the normalised fields every later stage relies on."""

from __future__ import annotations

import re
from typing import Any

from entity_resolution.geo import lookup_postcode
from entity_resolution.identifiers import (
    find_identifiers,
    normalize_enterprise_number,
    normalize_phone,
    normalize_vat,
)
from entity_resolution.names import normalize_name
from pipelines.gazette_network import normalize_persons

_POSTCODE = re.compile(r"\b([1-9]\d{3})\b")
_BELGIUM = {"be", "bel", "belgium", "belgique", "belgie", "belgië", "belgien"}


def _text(*values: Any) -> str:
    return " ".join(str(v) for v in values if v)


def normalize_item(item: dict[str, Any]) -> dict[str, Any]:
    """Normalise identifiers, the employer's name, the place and its judicial district."""
    fields: dict[str, Any] = item.get("fields") or {}
    kind = item["kind"]
    if kind == "website":
        from pipelines.normalize_website import normalize_website

        return normalize_website(fields)
    out: dict[str, Any] = {}
    if kind == "register_entry":
        name = fields.get("name")
        number_text = fields.get("enterprise_number")
        phone_text = fields.get("phone")
        postcode = fields.get("postcode") or (fields.get("seat") or {}).get("postcode")
        country_text = "BE"
    elif kind == "gazette":
        name = fields.get("enterprise_name")
        number_text = fields.get("enterprise_number")
        phone_text = None
        postcode = fields.get("postcode")
        country_text = "BE"
    else:
        name = fields.get("employer_name") or fields.get("provider_name")
        number_text = fields.get("employer_number") or fields.get("provider_number")
        phone_text = fields.get("employer_phone") or fields.get("phone")
        postcode = fields.get("postcode")
        country_text = fields.get("country")
        if not postcode:
            found = _POSTCODE.search(_text(fields.get("locality"), fields.get("street")))
            postcode = found.group(1) if found else None
    if name:
        nn = normalize_name(str(name))
        out["employer_core"] = nn.core
        if nn.legal_form is not None:
            out["legal_form"] = nn.legal_form.abbreviation
            out["legal_form_elf"] = nn.legal_form.elf_code
    # Identifiers: the dedicated field first, then anything written in the text.
    ids = find_identifiers(_text(number_text, fields.get("description")))
    enterprise = normalize_enterprise_number(str(number_text)) if number_text else None
    vat = normalize_vat(str(number_text)) if number_text else None
    if vat is None and ids.vats:
        vat = ids.vats[0]
    if enterprise is None and vat is not None and vat.country == "BE":
        enterprise = normalize_enterprise_number(vat.compact)
    if enterprise is None and ids.enterprise_numbers and not (vat and vat.country != "BE"):
        enterprise = ids.enterprise_numbers[0]
    if enterprise:
        out["enterprise_number"] = enterprise
    if vat is not None:
        out["vat"] = vat.compact
        out["vat_country"] = vat.country
    elif enterprise:
        out["vat"] = f"BE{enterprise}"
        out["vat_country"] = "BE"
    phone = normalize_phone(str(phone_text)) if phone_text else None
    if phone is None and ids.phones:
        phone = ids.phones[0]
    if phone:
        out["phone_e164"] = phone
    if ids.emails:
        out["emails"] = list(ids.emails)
    country = _country(country_text)
    if postcode and country in (None, "BE"):
        place = lookup_postcode(str(postcode).strip())
        if place is not None:
            out["postcode"] = place.postcode
            out["municipality"] = place.municipality_fr or place.municipality_nl
            out["district"] = place.district.id if place.district else None
            country = "BE"
    if country:
        out["country"] = country
    if kind == "gazette":
        out.update(_gazette(fields))
    elif kind != "register_entry":
        out["text"] = _text(
            fields.get("title"),
            fields.get("description"),
            fields.get("salary_text"),
            fields.get("price_text"),
        )
    return out


def _gazette(fields: dict[str, Any]) -> dict[str, Any]:
    """What the signals read of a publication: its rubric codes, date, numac, named persons."""
    return {
        "rubric_code": fields.get("rubric_code") or "other",
        "rubric_codes": list(fields.get("rubric_codes") or ["other"]),
        "publication_date": fields.get("publication_date"),
        "publication_year": fields.get("publication_year"),
        "numac": fields.get("numac"),
        "persons": normalize_persons(fields),
        "text": _text(fields.get("rubric"), fields.get("text")),
    }


def _country(value: Any) -> str | None:
    if not value:
        return None
    text = str(value).strip()
    if text.lower() in _BELGIUM:
        return "BE"
    return text.upper()[:2] if len(text) <= 3 else None
