"""Normalised fields of a ``website`` item (one company site, all its pages read).

The spider already keeps only checksum-valid numbers; they are validated again here (a YAML
``fixes`` entry or a hand-made item must not slip an invalid one into the Record). The Record's
single-valued columns take the first valid value in the order the site showed them (home page
first, then legal notice, contact…); every value stays in ``normalized`` lists, so matching and
signals can use all of them:

- ``enterprise_number`` / ``enterprise_numbers``, ``vat`` / ``vats`` / ``foreign_vats``;
- ``phone_e164`` / ``phones``, ``emails``, ``ibans``, ``social``, ``website`` (the domain);
- ``postcode``, ``municipality``, ``district``, ``country`` from the first Belgian address;
- ``has_enterprise_number`` (False: the site shows none — a breach of CDE art. III.15).
"""

from __future__ import annotations

from typing import Any

from entity_resolution.geo import lookup_postcode
from entity_resolution.identifiers import (
    normalize_email,
    normalize_enterprise_number,
    normalize_phone,
    normalize_vat,
)
from entity_resolution.names import normalize_name


def _values(fields: dict[str, Any], bucket: str) -> list[str]:
    return [str(v["value"]) for v in fields.get(bucket) or [] if isinstance(v, dict)]


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v))


def normalize_website(fields: dict[str, Any]) -> dict[str, Any]:
    """The normalised fields of one site (see the module docstring)."""
    out: dict[str, Any] = {}
    name = fields.get("employer_name")
    if name:
        nn = normalize_name(str(name))
        out["employer_core"] = nn.core
        if nn.legal_form is not None:
            out["legal_form"] = nn.legal_form.abbreviation
            out["legal_form_elf"] = nn.legal_form.elf_code
    numbers = _unique(
        [normalize_enterprise_number(v) for v in _values(fields, "enterprise_numbers")]
    )
    vats = [v for v in (normalize_vat(x) for x in _values(fields, "vats")) if v is not None]
    vats = list({v.compact: v for v in vats}.values())
    if numbers:
        out["enterprise_number"] = numbers[0]
        out["enterprise_numbers"] = numbers
    out["has_enterprise_number"] = bool(numbers)
    if vats:
        # The site's own BE VAT first (same number as its enterprise number), else the first.
        own = [v for v in vats if numbers and v.compact == f"BE{numbers[0]}"]
        first = (own or vats)[0]
        out["vat"], out["vat_country"] = first.compact, first.country
        out["vats"] = [v.compact for v in vats]
        foreign = [v.compact for v in vats if v.country != "BE"]
        if foreign:
            out["foreign_vats"] = foreign
    elif numbers:
        out["vat"], out["vat_country"] = f"BE{numbers[0]}", "BE"
    phones = _unique([normalize_phone(v) for v in _values(fields, "phones")])
    if phones:
        out["phone_e164"] = phones[0]
        out["phones"] = phones
    emails = _unique([normalize_email(v) for v in _values(fields, "emails")])
    if emails:
        out["emails"] = emails
    for bucket in ("ibans", "social"):
        values = _unique(_values(fields, bucket))
        if values:
            out[bucket] = values
    if fields.get("domain"):
        out["website"] = fields["domain"]
    for address in fields.get("addresses") or []:
        place = lookup_postcode(str(address.get("postcode") or ""))
        if place is not None and address.get("country") in (None, "BE"):
            out["postcode"] = place.postcode
            out["municipality"] = place.municipality_fr or place.municipality_nl
            out["district"] = place.district.id if place.district else None
            out["country"] = "BE"
            break
    return out
