"""Enterprise/VAT numbers, phones, e-mails, domains, and the free-text scanner."""

from __future__ import annotations

import pytest

from entity_resolution.identifiers import (
    Identifiers,
    VatNumber,
    email_domain,
    find_identifiers,
    format_enterprise_number,
    normalize_email,
    normalize_enterprise_number,
    normalize_phone,
    normalize_vat,
    normalize_website,
    registered_domain,
)


@pytest.mark.parametrize(
    "text",
    [
        "0200.065.765",  # as on kbopub.economie.fgov.be (Veneco)
        "0200065765",
        "BE0200065765",
        "BE 0200.065.765",
        "be0200 065 765",
        "0200 065 765",
        "200065765",  # legacy 9-digit number
        "200065765.0",  # spreadsheet float as text
        200065765.0,
        200065765,
        "2.00065765E8",
        "TVA BE0200065765",
        "ondernemingsnummer 0200 065 765",
        "Nr: 0200065765",
    ],
)
def test_enterprise_number_forms(text: str | float | int) -> None:
    assert normalize_enterprise_number(text) == "0200065765"


@pytest.mark.parametrize(
    "text",
    [
        "0200.065.766",
        "0200.065.775",
        "1200.065.765",
        "2000.065.765",
        "0200.065.76",
        "20006576.5",
        "abc",
        "",
        None,
        "0200.065.765 and 0200.068.636",
        "Tel: 0200065765",
    ],
)
def test_enterprise_number_rejected(text: str | None) -> None:
    # one digit changed, wrong first digit, too short, a fraction, two numbers (ambiguous),
    # a phone number that happens to pass the check
    assert normalize_enterprise_number(text) is None


def test_real_register_numbers_are_valid() -> None:
    for number in [
        "0200.068.636",
        "0200.171.970",
        "0200.245.711",
        "0200.305.493",
        "0200.362.210",
        "0200.362.408",
        "0200.420.410",
        "0200.420.608",
        "0200.448.421",
        "0441.571.714",
    ]:
        assert normalize_enterprise_number(number) == number.replace(".", "")


def test_format_enterprise_number() -> None:
    assert format_enterprise_number("0123456789") == "0123.456.789"
    assert format_enterprise_number("200065765") == "0200.065.765"


def test_be_vat_is_the_enterprise_number() -> None:
    vat = normalize_vat("BE0200065765")
    assert vat == VatNumber("BE", "0200065765", "BE0200065765")
    assert vat.enterprise_number == "0200065765"
    assert normalize_vat("TVA BE 0200.065.765") == vat
    assert normalize_vat("0200.065.765") is None  # no country, no default
    assert normalize_vat("0200.065.765", default_country="BE") == vat
    assert normalize_vat("BE0200065766") is None


@pytest.mark.parametrize(
    ("text", "compact"),
    [  # valid numbers from python-stdnum's documentation
        ("VAT PL5261040828", "PL5261040828"),
        ("PL 526-104-08-28", "PL5261040828"),
        ("NL004495445B01", "NL004495445B01"),
        ("DE 136,695 976", "DE136695976"),
        ("FR 40 303 265 045", "FR40303265045"),
        ("LU 150 274 42", "LU15027442"),
        ("RO 18547290", "RO18547290"),
        ("BG 175 074 752", "BG175074752"),
        ("PT 501 964 843", "PT501964843"),
        ("ES 54362315K", "ES54362315K"),
        ("IT 00743110157", "IT00743110157"),
        ("GB 980 7806 84", "GB980780684"),
    ],
)
def test_foreign_vat(text: str, compact: str) -> None:
    vat = normalize_vat(text)
    assert vat is not None and vat.compact == compact
    assert vat.enterprise_number is None


@pytest.mark.parametrize(
    "text",
    [
        "BE 3007.610.506",  # check digits of a BE number fail: the text is searched
        "BE 0200.065.766",
        "TVA: PL5261040828 / tel 02 315 13 51",
        "contact info@firm.be BE0200065765",
        "www.pl5261040828.be",
        "0200.065.765",
        "BTW 0200.065.765 of PL 526-104-08-28",
    ],
)
def test_vats_are_found_without_the_rest_as_find_identifiers_finds_them(text: str) -> None:
    """``normalize_vat`` falls back on the VAT numbers that ``find_identifiers`` finds in the
    text, looked for without the phones (found after them, and costly)."""
    from entity_resolution.identifiers import _vats_in

    assert _vats_in(text) == find_identifiers(text).vats


def test_foreign_vat_with_bad_check_digit() -> None:
    assert normalize_vat("PL5261040829") is None
    assert normalize_vat("DE136695977") is None


@pytest.mark.parametrize(
    "text",
    [
        "02 315 13 51",
        "+32 2 315 13 51",
        "02/315.13.51",
        "0032 2 315 13 51",
        "+32 (0)2 315 13 51",
        "023151351",
    ],
)
def test_phone_e164(text: str) -> None:
    assert normalize_phone(text) == "+3223151351"  # the ISBW's number in the KBO


def test_phone_other_forms() -> None:
    assert normalize_phone("0470 12 34 56") == "+32470123456"
    assert normalize_phone("089/32.39.50") == "+3289323950"  # contact.csv row of 0201.310.929
    assert normalize_phone("083611205") == "+3283611205"
    assert normalize_phone("+48 22 123 45 67") == "+48221234567"
    assert normalize_phone("12345") is None
    assert normalize_phone("") is None


def test_email_and_domains() -> None:
    assert normalize_email("mailto:Info@ISBW.be") == "info@isbw.be"
    assert normalize_email("info [at] isbw [dot] be") == "info@isbw.be"
    assert normalize_email("not an address") is None
    assert email_domain("officiel.ic-inbw@inbw.be") == "inbw.be"
    assert email_domain("peeters.bouw@gmail.com") is None  # free mail says nothing
    assert normalize_website("https://www.Bouw-Peeters.be/jobs?x=1") == "bouw-peeters.be"
    assert normalize_website("extranet.iglimburg.be/") == "iglimburg.be"  # contact.csv WEB row
    assert registered_domain("shop.example.co.uk") == "example.co.uk"
    assert registered_domain("10.0.0.1") is None


def test_find_identifiers_in_ad_text() -> None:
    text = (
        "Bouwwerken Peeters BVBA zoekt een metselaar. BTW-nr. BE 0200.065.765 — "
        "ondernemingsnummer 0200 068 636. Onze Poolse partner: VAT PL5261040828. "
        "Bel 0470 12 34 56 of 02/315.13.51, mail jobs@bouw-peeters.be, www.bouw-peeters.be. "
        "Numéro d'entreprise: 0200.245.711."
    )
    found = find_identifiers(text)
    assert found.enterprise_numbers == ("0200065765", "0200068636", "0200245711")
    assert [v.compact for v in found.vats] == ["BE0200065765", "PL5261040828"]
    assert [v.compact for v in found.foreign_vats] == ["PL5261040828"]
    assert found.phones == ("+32470123456", "+3223151351")
    assert found.emails == ("jobs@bouw-peeters.be",)
    assert found.websites == ("bouw-peeters.be",)


def test_find_identifiers_leaves_random_digits_alone() -> None:
    text = (
        "Salaire 2300 EUR, réf. 0200065765, commande 1234567890, "
        "tel 0475.123.456, date 2024-01-15, de 136695976, code 0200.065.766"
    )
    found = find_identifiers(text)
    # no context word for the bare 10 digits, "0475.123.456" follows "tel", lower-case "de",
    # and a dotted number with a failing check digit: no enterprise or VAT numbers.
    assert found.enterprise_numbers == ()
    assert found.vats == ()
    assert found.phones == ("+32475123456",)


def test_find_identifiers_empty() -> None:
    assert find_identifiers("") == Identifiers()
    assert find_identifiers(None).is_empty()
