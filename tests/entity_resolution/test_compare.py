"""Comparators: scores, weights and the plain-words reasons with concrete values."""

from __future__ import annotations

from entity_resolution.compare import (
    GENERIC_ONLY_CAP,
    compare_domains,
    compare_enterprise_numbers,
    compare_legal_forms,
    compare_names,
    compare_phones,
    compare_places,
    score_names,
)
from entity_resolution.names import normalize_name as nn


def test_enterprise_number_equal_and_different() -> None:
    same = compare_enterprise_numbers("0123456749", "0123456749")
    assert same is not None and same.score == 1.0 and same.weight == 1.0
    assert same.reason == "Enterprise number 0123.456.749 in the ad is identical to the register's."
    other = compare_enterprise_numbers("0200068636", "0200065765", source="the listing")
    assert other is not None and other.weight < 0
    assert "0200.068.636 in the listing differs from the register's (0200.065.765)" in other.reason


def test_name_scores() -> None:
    assert score_names(nn("BOUWWERKEN PEETERS B.V.B.A."), nn("Bouwwerken Peeters")).score == 1.0
    typo = score_names(nn("Bouwwerken Peters"), nn("Bouwwerken Peeters BVBA")).score
    assert 0.95 < typo < 1.0
    assert score_names(nn("Vanderhaegen"), nn("Van der Haegen BV")).how == "identical_compact"
    assert score_names(nn("Janssens Schoonmaak"), nn("Schoonmaak Janssens")).how == "same_words"
    # different companies that share a surname or only generic words
    assert score_names(nn("Transport Peeters"), nn("Bouwwerken Peeters")).score < 0.7
    generic = score_names(nn("Cleaning Services BV"), nn("Brussels Cleaning Services"))
    assert generic.score == GENERIC_ONLY_CAP and generic.how == "generic_only"
    assert score_names(nn("Schmidt Bau"), nn("Schmitt Bouw")).score < 0.6
    # short words must be exact: "abc" and "abd" do not pair
    assert score_names(nn("ABC Bouw"), nn("ABD Bouw")).score <= GENERIC_ONLY_CAP


def test_name_reason_shows_the_cores() -> None:
    f = compare_names(nn("Bouwwerken Peters"), nn("BOUWWERKEN PEETERS B.V.B.A."))
    assert f.name == "name" and f.weight == 1.0
    assert f.reason == (
        "Names are 97 % similar after removing legal forms "
        "('bouwwerken peters' vs 'bouwwerken peeters')."
    )
    g = compare_names(nn("Cleaning Services"), nn("Brussels Cleaning Services"))
    assert "share only common words (cleaning, services)" in g.reason


def test_phones_and_domains() -> None:
    same = compare_phones("+3223151351", "+3223151351")
    assert same is not None and same.contribution == 0.7
    assert same.reason == "Phone number +32 2 315 13 51 in the ad is the register's."
    differ = compare_phones("+32470123456", "+3223151351")
    assert differ is not None and differ.contribution == -0.15  # weak evidence against
    assert "+32 470 12 34 56" in differ.reason and "+32 2 315 13 51" in differ.reason
    dom = compare_domains("isbw.be", "isbw.be", what_query="e-mail", what_entry="website")
    assert dom is not None and dom.weight == 0.5
    assert dom.reason == (
        "The e-mail domain isbw.be in the ad is the domain of the register's website."
    )


def test_legal_form_agreement() -> None:
    same = compare_legal_forms(nn("Peeters BV"), nn("Peeters SRL"))
    assert same is not None and same.name == "legal_form" and "ELF 3W7E" in same.reason
    succ = compare_legal_forms(nn("Peeters BVBA"), nn("Peeters BV"))
    assert succ is not None and succ.name == "legal_form_successor" and succ.weight == 0.0
    diff = compare_legal_forms(nn("Peeters NV"), nn("Peeters VZW"))
    assert diff is not None and diff.weight < 0
    assert "NV (Naamloze vennootschap, BE, ELF R85P)" in diff.reason
    assert compare_legal_forms(nn("Peeters"), nn("Peeters BV")) is None


def test_places() -> None:
    same = compare_places("2000", "2000")
    assert same is not None and same.name == "postcode" and same.weight > 0
    muni = compare_places("1020", "1000")
    assert muni is not None and muni.name == "municipality"
    assert muni.reason == (
        "Postcode 1020 differs from the register's seat (1000), but both are "
        "in the municipality Bruxelles."
    )
    district = compare_places("1500", "1000")  # Halle: Brussels judicial district
    assert district is not None and district.name == "district"
    far = compare_places("9000", "2000")
    assert far is not None and far.name == "district_differs" and far.weight < 0
    assert far.reason == (
        "Postcode 9000 differs from the register's seat (2000); they are in different judicial "
        "districts (Flandre orientale / Oost-Vlaanderen vs Anvers / Antwerpen)."
    )
    assert compare_places(None, "2000") is None


def test_one_letter_changed_in_a_five_letter_word_pairs() -> None:
    # Exactly 80 % similar: rapidfuzz's cutoff rounding used to drop such pairs.
    assert score_names(nn("Akzo Noble N.V."), nn("Akzo Nobel N.V.")).score == 0.9


def test_shortened_common_words_pair() -> None:
    result = score_names(nn("Constr. Thiry"), nn("Construction Thiry"))
    assert result.how == "tokens" and round(result.score, 3) == 0.957  # (0.9 × 1.5 + 2) / 3.5
    # A common word is not a shortening of another one.
    assert score_names(nn("Peeters Bouw"), nn("Bouwwerken Peeters")).score < 0.7
    # Only common words are expanded: "Hill" is not short for "Hilltop".
    assert score_names(nn("Hill"), nn("Hilltop")).score < 0.6


def test_names_of_common_words_only_compare_in_full() -> None:
    typo = score_names(nn("Car Wash Bruxellles"), nn("Car Wash Bruxelles"))
    assert typo.how == "tokens" and typo.score > 0.95
    # Sharing only some common words is still capped.
    partial = score_names(nn("Car Wash Bruxelles"), nn("Car Wash Anderlecht Services"))
    assert partial.score <= GENERIC_ONLY_CAP


def test_company_forms_differ_mildly_association_strongly() -> None:
    companies = compare_legal_forms(nn("DSM B.V."), nn("DSM N.V."))
    assert companies is not None and companies.weight == -0.1
    assert "both are companies" in companies.reason
    association = compare_legal_forms(nn("Peeters NV"), nn("Peeters VZW"))
    assert association is not None and association.weight == -0.2
    assert "an association and a company" in association.reason


def test_one_word_names_with_a_typo_compare_whole_with_their_legal_form() -> None:
    # one letter in a one-word name weighs less against the whole registered name (with the
    # same legal form it reads better still as the name mistyped: see below)
    whole = score_names(nn("Lehner and co LLC"), nn("Lehner LLC"))
    assert whole.how == "whole" and round(whole.score, 3) == 0.9
    typo = score_names(nn("Munray LLC"), nn("Murray LLC"))
    assert typo.how == "mistyped" and round(typo.score, 3) == 0.917
    # but a whole word that differs is not a typo: "AMP" is not "ASML"
    assert score_names(nn("AMP-HOLLAND B.V."), nn("ASML HOLLAND B.V.")).score == 0.5
    # and legal forms of different kinds are never written out together
    assert score_names(nn("Munray VZW"), nn("Murray NV")).how == "tokens"


def test_garbled_legal_form_and_connector_are_read_and_said() -> None:
    hnc = score_names(nn("Emard Hnc"), nn("Emard Inc"))
    assert (hnc.score, hnc.how, hnc.garbled) == (
        0.95,
        "garbled",
        ("query", "hnc", "the legal form Inc"),
    )
    assert score_names(nn("Roberts6LLC"), nn("Roberts LLC")).score == 1.0  # digit as a space
    f = compare_names(nn("Pouros IU]"), nn("Pouros Inc"))
    assert f.score == 0.95
    assert f.reason == (
        "Names are 95 % similar ('pouros iu' vs 'pouros'), reading 'iu' in the name in the ad "
        "as a misspelling of the legal form Inc (such a reading counts at most 95 %)."
    )
    conn = score_names(nn("Temry aUd Sons"), nn("Terry and Sons"))
    assert conn.garbled == ("query", "aud", "'and'") and conn.score >= 0.85
    # a real last word is not read as a legal form: "Peeters Gent" is not "Peeters BV"
    assert score_names(nn("Peeters Gent"), nn("Peeters BV")).garbled is None


def test_acronyms_initials_and_containment() -> None:
    ibm = score_names(nn("INTERNATIONAL BUSINESS MACHINE CORP."), nn("IBM CORP."))
    assert ibm.score == 0.95 and ibm.garbled == (
        "query",
        "international business machine",
        "its initials 'IBM'",
    )
    assert 0.6 <= score_names(nn("P. Jansen"), nn("Pieter Jansen")).score < 0.85
    philips = score_names(
        nn("Koninklijke Philips N.V."), nn("Koninklijke Philips Electronics N.V.")
    )
    assert philips.how == "contained" and philips.score >= 0.85
    # a country word only the longer name has names a branch: no containment bonus
    branch = score_names(nn("DU PONT DE NEMOURS BV"), nn("DU PONT DE NEMOURS (NEDERLAND) B.V"))
    assert branch.how == "tokens" and branch.score < 0.85


def test_towns_and_trades() -> None:
    same = score_names(nn("Garage Moderne Bruxelles"), nn("Garage Moderne Brussel"))
    assert same.score == 1.0
    other = score_names(
        nn("Traiteur Saint-Pierre Louvain-la-Neuve"), nn("Traiteur Saint-Pierre Leuven")
    )
    assert other.how == "other_place" and other.score < 0.6
    trade = compare_names(nn("Transport Peeters"), nn("Bouw Peeters BV"))
    assert trade.score < 0.6
    assert trade.reason.startswith(
        "The names differ in the trade they name ('transport' vs 'bouw')"
    )
    # one stem is not two trades
    assert score_names(nn("Bouw Peeters"), nn("Bouwwerken Peeters")).how != "other_trade"


def test_a_name_mistyped_word_for_word_reads_as_the_name() -> None:
    # DNB pairs that each word scored on its own left just under "match" (0.80-0.85)
    mitchell = compare_names(nn("Mitlhell GrWup"), nn("Mitchell Group"))
    assert mitchell.score == 0.9231
    assert mitchell.reason == (
        "Names are 92 % similar read as one name mistyped ('mitlhell grwup' vs "
        "'mitchell group'): the same words in the same order, 2 of 13 letters struck wrong "
        "(a letter struck wrong counts as one edit; such a reading counts at most 95 %)."
    )
    # two letters in five of a word only where the word is plainly garbled …
    assert score_names(nn("Kessler-4fsco"), nn("Kessler-Bosco")).typos == (2, 12)
    assert score_names(nn("Ratke GroqX"), nn("Ratke Group")).score == 0.9
    # … or two other distinctive words agree
    assert score_names(nn("Swzer, Harris and Limtel"), nn("Sauer, Harris and Littel")).how == (
        "mistyped"
    )
    # a one-word name needs the same legal form as a second clue
    assert score_names(nn("7odkievicz Ltd"), nn("Hodkiewicz Ltd")).how == "mistyped"
    assert score_names(nn("7odkievicz"), nn("Hodkiewicz")).how != "mistyped"


def test_other_names_of_the_same_shape_are_not_read_as_typos() -> None:
    # two surnames two letters apart, anchored only by a first name: a person decides
    bastin = score_names(nn("Fatima Bastin"), nn("Fatima Martin"))
    assert bastin.how != "mistyped" and bastin.score < 0.85
    # two common words are two words ("centrum" / "centre"), not a typo
    assert score_names(nn("Soins Centrum"), nn("Soins Centre")).how != "mistyped"
    # short words never change a letter, numbers never change
    assert score_names(nn("Jan Maes"), nn("Jan Maas")).how != "mistyped"
    assert score_names(nn("Peeters 2001"), nn("Peeters 2000")).how != "mistyped"
    # legal forms of different kinds, or a different number of words
    assert score_names(nn("Mitlhell GrWup NV"), nn("Mitchell Group VZW")).how != "mistyped"
    assert score_names(nn("Mitlhell GrWup Bouw"), nn("Mitchell Group")).how != "mistyped"
    # a garbled word in a name with only common words around it has no anchor
    assert score_names(nn("Bouw Jette"), nn("Bouw Mettet")).score < 0.6
