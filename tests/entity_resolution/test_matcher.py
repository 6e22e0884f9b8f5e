"""The matcher on a small register built from real enterprises and typical ad names."""

from __future__ import annotations

from pathlib import Path

import pytest

from entity_resolution.compare import Feature
from entity_resolution.matcher import Candidate, Matcher, MatchQuery, combine
from entity_resolution.register import RegisterEntry, read_kbo_opendata

REGISTER = [
    RegisterEntry(
        "0200065765",
        "Intergemeentelijke Vereniging Veneco",
        ("Veneco",),
        postcode="9070",
        municipality="Destelbergen",
    ),
    RegisterEntry("0200068636", "Farys", postcode="9000"),
    RegisterEntry(
        "0200362408",
        "Intercommunale Sociale du Brabant wallon",
        ("I.S.B.W.",),
        postcode="1332",
        phone="02 315 13 51",
        email="info@isbw.be",
    ),
    RegisterEntry(
        "0200171970",
        "Bouwwerken Peeters BVBA",
        postcode="2000",
        website="www.bouwwerken-peeters.be",
    ),
    RegisterEntry("0200245711", "Brussels Cleaning Services", postcode="1000"),
    RegisterEntry(
        "0200305493",
        "Nettoyage Dupont et Fils",
        legal_form="Société à responsabilité " "limitée",
        postcode="1000",
    ),
    RegisterEntry("0200362210", "Transport Janssens NV", postcode="2000"),
    RegisterEntry("0200420410", "Transport Janssens BV", postcode="2000"),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher((e.enterprise_number, e) for e in REGISTER)


def best(matcher: Matcher, **query: str) -> Candidate:
    found = matcher.match(MatchQuery(**query))
    assert found, f"no candidate for {query}"
    return found[0]


def reasons(c: Candidate) -> str:
    return "\n".join(f.reason for f in c.explanation)


def test_enterprise_number_wins(matcher: Matcher) -> None:
    c = best(matcher, name="Ma Petite Entreprise", number="TVA BE 0200.068.636")
    assert (c.key, c.score, c.outcome, c.method) == (
        "0200068636",
        1.0,
        "match",
        "enterprise_number",
    )
    assert "VAT number BE 0200.068.636 in the ad is identical to the register's." in reasons(c)
    assert "Names are 0 % similar" in reasons(c)  # the name disagreement is shown
    assert c.entry is not None and c.entry.name == "Farys"


def test_number_contradicting_a_name_is_explained(matcher: Matcher) -> None:
    found = matcher.match(MatchQuery(name="Bouwwerken Peeters", number="0200.068.636"))
    assert [(c.key, c.outcome) for c in found] == [
        ("0200068636", "match"),
        ("0200171970", "possible"),
    ]
    by_number, by_name = found
    assert "Another register entry, 'Bouwwerken Peeters BVBA' (0200.171.970)" in reasons(by_number)
    assert by_name.score < matcher.t_match
    assert (
        "Enterprise number 0200.068.636 in the ad differs from the register's "
        "(0200.171.970): it belongs to another register entry, 'Farys'."
    ) in reasons(by_name)


def test_typo_in_name_matches(matcher: Matcher) -> None:
    c = best(matcher, name="Bouwwerken Peters", postcode="2000")
    assert (c.key, c.outcome, c.method) == ("0200171970", "match", "name")
    assert c.score == pytest.approx(0.9742, abs=1e-4)
    assert (
        "Names are 97 % similar after removing legal forms ('bouwwerken peters' vs "
        "'bouwwerken peeters')."
    ) in reasons(c)
    assert "Postcode 2000 in the ad is the register's seat postcode." in reasons(c)


def test_shared_generic_words_do_not_match(matcher: Matcher) -> None:
    assert matcher.match(MatchQuery(name="Cleaning Services BV", postcode="1000")) == []
    assert matcher.match(MatchQuery(name="Cleaning Services BV")) == []


def test_connectors_and_legal_forms(matcher: Matcher) -> None:
    c = best(matcher, name="Nettoyage Dupont & Fils SRL", postcode="1050")
    assert (c.key, c.outcome, c.score) == ("0200305493", "match", 1.0)
    assert "Same legal form: SRL in the ad, Société à responsabilité limitée" in reasons(c)


def test_abbreviations_and_other_names(matcher: Matcher) -> None:
    c = best(matcher, name="ISBW")
    assert (c.key, c.outcome) == ("0200362408", "match")
    assert "the register's other name 'I.S.B.W.'" in reasons(c)
    assert best(matcher, name="Veneco").key == "0200065765"


def test_phone_email_and_text(matcher: Matcher) -> None:
    c = best(matcher, name="Service social", phone="02/315.13.51")
    assert (c.key, c.method, c.outcome) == ("0200362408", "phone", "possible")
    assert "Phone number +32 2 315 13 51 in the ad is the register's." in reasons(c)
    d = best(matcher, text="Postulez: info@isbw.be — tél. +32 2 315 13 51")
    assert d.key == "0200362408" and d.outcome == "match"
    e = best(matcher, name="Peeters Bouwwerken", email="jobs@bouwwerken-peeters.be")
    assert e.key == "0200171970" and e.outcome == "match"
    assert (
        "The e-mail domain bouwwerken-peeters.be in the ad is the domain of the register's "
        "website."
    ) in reasons(e)


def test_foreign_vat_caps_at_possible(matcher: Matcher) -> None:
    c = best(matcher, name="Bouwwerken Peeters", number="PL5261040828")
    assert c.outcome == "possible" and c.score < matcher.t_match
    assert "foreign VAT number PL5261040828 (PL)" in reasons(c)


def test_ambiguous_names_are_not_a_match(matcher: Matcher) -> None:
    found = matcher.match(MatchQuery(name="Transport Janssens", postcode="2000"))
    assert {c.key for c in found} == {"0200362210", "0200420410"}
    assert all(c.outcome == "possible" for c in found)
    assert all("2 register entries match about equally well" in reasons(c) for c in found)
    # the legal form decides between them
    nv = best(matcher, name="Transport Janssens NV", postcode="2000")
    assert (nv.key, nv.outcome) == ("0200362210", "match")


def test_short_names_do_not_match_everything(matcher: Matcher) -> None:
    assert matcher.match(MatchQuery(name="BV")) == []
    assert matcher.match(MatchQuery(name="A.B.")) == []
    assert matcher.match(MatchQuery(name="")) == []
    assert matcher.match(MatchQuery()) == []


def test_invalid_number_is_reported(matcher: Matcher) -> None:
    c = best(matcher, name="Farys", number="0200.068.637")
    assert c.key == "0200068636" and c.method == "name"
    assert "The number '0200.068.637' in the ad is not a valid enterprise or VAT number" in (
        reasons(c)
    )


def test_source_label_and_match_many(matcher: Matcher) -> None:
    queries = [MatchQuery(name="Farys", source="the listing"), MatchQuery(name="Nobody Here")]
    first, second = matcher.match_many(queries)
    assert "in the listing" in reasons(first[0]) and second == []


def test_combination_is_documented_noisy_or() -> None:
    features = [
        Feature("name", 0.8, 1.0, ""),
        Feature("postcode", 1.0, 0.15, ""),
        Feature("district_differs", 1.0, -0.05, ""),
    ]
    assert combine(features) == pytest.approx((1 - 0.2 * 0.85) * 0.95)


def test_version_and_lookup(matcher: Matcher) -> None:
    assert Matcher.VERSION.startswith("vigie-er/")
    assert len(matcher) == len(REGISTER)
    assert matcher.entry("0200068636").name == "Farys"


def test_register_read_from_the_kbo_dump(kbo_dump: Path) -> None:
    entries = list(read_kbo_opendata(kbo_dump))
    matcher = Matcher((e.enterprise_number, e) for e in entries)
    isbw = best(matcher, name="I.S.B.W. asbl", postcode="1332")
    assert (isbw.key, isbw.outcome) == ("0200362408", "match")
    farys = best(matcher, name="FARYS", municipality="Gent")
    assert (farys.key, farys.outcome) == ("0200068636", "match")
    assert "Postcode 9000 in the ad is the register's seat postcode." in reasons(farys)
    contact = best(matcher, phone="+32 2 315 13 51", email="info@isbw.be")
    assert (contact.key, contact.outcome, contact.score) == ("0200362408", "match", 0.91)
    by_number = best(matcher, number="BE0200448421")  # an entry without a name in the rows
    assert (by_number.key, by_number.method) == ("0200448421", "enterprise_number")
