"""Identifier comparators: enterprise / VAT numbers, phones, e-mail addresses and domains."""

from __future__ import annotations

from functools import lru_cache

from entity_resolution.compare.features import (
    W_DOMAIN,
    W_EMAIL,
    W_FOREIGN_VAT,
    W_IDENTIFIER,
    W_NUMBER_CONFLICT,
    W_PHONE,
    W_PHONE_OTHER,
    Feature,
)
from entity_resolution.identifiers import VatNumber, format_enterprise_number, format_phone


def compare_enterprise_numbers(
    query: str | None,
    entry: str | None,
    *,
    source: str = "the ad",
    how: str = "Enterprise number",
    owner: str | None = None,
) -> Feature | None:
    """Same enterprise number: decisive. Different: evidence against (and a cap, see matcher);
    ``owner`` names the register entry the query's number belongs to, if any."""
    if not query or not entry:
        return None
    shown = format_enterprise_number(query)
    if query == entry:
        return Feature(
            "enterprise_number",
            1.0,
            W_IDENTIFIER,
            f"{how} {shown} in {source} is identical to the register's.",
        )
    why = (
        f"it belongs to another register entry, '{owner}'"
        if owner is not None
        else "this may be another company"
    )
    return Feature(
        "enterprise_number_conflict",
        1.0,
        W_NUMBER_CONFLICT,
        f"{how} {shown} in {source} differs from the register's "
        f"({format_enterprise_number(entry)}): {why}.",
    )


def compare_foreign_vat(vat: VatNumber, entry_number: str, *, source: str = "the ad") -> Feature:
    """A foreign VAT number in the query against a Belgian register entry."""
    return Feature(
        "foreign_vat",
        1.0,
        W_FOREIGN_VAT,
        f"{source[0].upper() + source[1:]} gives the foreign VAT number {vat.compact} "
        f"({vat.country}); the register entry is the Belgian enterprise "
        f"{format_enterprise_number(entry_number)}.",
    )


#: ``format_phone`` parses the number with libphonenumber (slow); a query compared with many
#: entries shows its own number every time.
_shown_phone = lru_cache(maxsize=65_536)(format_phone)


def compare_phones(
    query: str | None,
    entry: str | None,
    *,
    source: str = "the ad",
) -> Feature | None:
    """Phones in E.164: equal is strong evidence; different counts a little against."""
    if not query or not entry or not entry.startswith("+"):
        return None
    if query == entry:
        return Feature(
            "phone",
            1.0,
            W_PHONE,
            f"Phone number {_shown_phone(query)} in {source} is the register's.",
        )
    return Feature(
        "phone_differs",
        1.0,
        W_PHONE_OTHER,
        f"Phone number {_shown_phone(query)} in {source} differs from the register's "
        f"({_shown_phone(entry)}); companies often have several numbers, so this counts "
        "only a little against.",
    )


def compare_emails(
    query: str | None,
    entry: str | None,
    *,
    source: str = "the ad",
) -> Feature | None:
    """The same e-mail address (even at a free-mail provider) is strong evidence."""
    if not query or not entry:
        return None
    if query == entry:
        return Feature(
            "email", 1.0, W_EMAIL, f"E-mail address {query} in {source} is the register's."
        )
    return None


def compare_domains(
    query: str | None,
    entry: str | None,
    *,
    what_query: str,
    what_entry: str,
    source: str = "the ad",
) -> Feature | None:
    """The same registered domain of an e-mail or website (free-mail domains never count), or
    the same page of a social network (``facebook.com/bouwpeeters``, see
    :func:`entity_resolution.identifiers.site_key`)."""
    if not query or not entry:
        return None
    if query == entry:
        if "/" in query:
            reason = f"The {what_query} page {query} in {source} is the register's {what_entry}."
        else:
            reason = (
                f"The {what_query} domain {query} in {source} is the domain of the "
                f"register's {what_entry}."
            )
        return Feature("domain", 1.0, W_DOMAIN, reason)
    return Feature(
        "domain_differs",
        0.0,
        0.0,
        f"The {what_query} {_site_noun(query)} {query} in {source} differs from the register's "
        f"{what_entry} {_site_noun(entry)} {entry}.",
    )


def _site_noun(key: str) -> str:
    return "page" if "/" in key else "domain"
