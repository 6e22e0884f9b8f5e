"""Company-name normalisation, legal forms (GLEIF ELF), person-name keys."""

from __future__ import annotations

import pytest

from entity_resolution.names import (
    find_legal_form,
    legal_form_relation,
    normalize_name,
    normalize_person_name,
    tokenize,
)


def test_bvba_dotted() -> None:
    n = normalize_name("BOUWWERKEN PEETERS B.V.B.A.")
    assert n.core == "bouwwerken peeters"
    assert n.tokens == ("bouwwerken", "peeters")
    assert n.cleaned == "bouwwerken peeters bvba"
    assert n.legal_form is not None
    assert n.legal_form.abbreviation == "BVBA"
    assert n.legal_form.elf_code == "N5NT"
    assert n.legal_form.country == "BE"
    assert n.legal_form.text == "bvba"


@pytest.mark.parametrize(
    ("name", "core", "abbreviation", "elf"),
    [
        ("b v b a Peeters", "peeters", "BVBA", "N5NT"),
        ("S.P.R.L. Dupont", "dupont", "SPRL", "N5NT"),
        ("Dupont S.P.R.L.", "dupont", "SPRL", "N5NT"),
        ("Dupont sprl", "dupont", "SPRL", "N5NT"),
        ("Coöperatie Zuid CVBA", "cooperatie zuid", "CVBA", "8E2A"),
        ("Les Ateliers Réunis SCRL", "les ateliers reunis", "SCRL", "8E2A"),
        ("Peeters & Zonen VOF", "peeters & zonen", "VOF", "UW1Y"),
        ("Dubois Frères SNC", "dubois freres", "SNC", "UW1Y"),
        ("Peeters Comm.V", "peeters", "CommV", "MQH3"),
        ("Peeters Comm. V.", "peeters", "CommV", "MQH3"),
        ("Lambert SCS", "lambert", "SCS", "LWV6"),
        ("Brouwerij Martens NV", "brouwerij martens", "NV", "R85P"),
        ("Brasserie Martin S.A.", "brasserie martin", "SA", "R85P"),
        ("Janssens Bouw BV", "janssens bouw", "BV", "3W7E"),
        ("Dupont Construct SRL", "dupont construct", "SRL", "3W7E"),
        ("Vrienden van het Park VZW", "vrienden van het park", "VZW", "W3WH"),
        ("ASBL Les Amis de la Nature", "les amis de la nature", "ASBL", "W3WH"),
        ("Peeters BVBA SO", "peeters", "BVBA SO", "JNAD"),
        ("Dupont SPRLU", "dupont", "SPRLU", "C609"),
        ("Müller Bau GmbH & Co. KG", "muller bau", "GmbH & Co. KG", "8Z6G"),
        ("Kowalski Sp. z o.o.", "kowalski", "Sp z o o", "O7XB"),
        ("Schumm PLC", "schumm", "PLC", "B6ES"),
        ("Ratke Ltd", "ratke", "Ltd", "H0PO"),
        (
            "Renovatie Janssens besloten vennootschap met beperkte aansprakelijkheid",
            "renovatie janssens",
            "besloten vennootschap met beperkte aansprakelijkheid",
            "N5NT",
        ),
    ],
)
def test_legal_forms_removed(name: str, core: str, abbreviation: str, elf: str) -> None:
    n = normalize_name(name)
    assert n.core == core
    assert n.legal_form is not None
    assert n.legal_form.abbreviation.casefold() == abbreviation.casefold()
    assert n.legal_form.elf_code == elf


def test_ampersand_and_connectors_unified() -> None:
    a = normalize_name("Nettoyage Dupont & Fils SRL")
    b = normalize_name("Nettoyage Dupont et Fils")
    assert a.core == b.core == "nettoyage dupont & fils"
    assert a.tokens == b.tokens == ("nettoyage", "dupont", "fils")
    assert a.legal_form is not None and a.legal_form.abbreviation == "SRL"
    assert b.legal_form is None
    assert normalize_name("Mertens en Zonen").core == normalize_name("Mertens + Zonen").core


def test_accents_ligatures_punctuation() -> None:
    assert normalize_name("Œuvres Sociales Société Générale").core == (
        "oeuvres sociales societe generale"
    )
    assert normalize_name("Łódź Transport Sp. z o.o.").core == "lodz transport"
    assert normalize_name("Straße-Bau  GmbH").core == "strasse bau"
    assert normalize_name("L'Entreprise Générale").tokens == ("l", "entreprise", "generale")


def test_status_words_removed() -> None:
    assert normalize_name("Dupont SPRL en liquidation").core == "dupont"
    assert normalize_name("Peeters BVBA in vereffening").core == "peeters"


def test_name_that_is_only_a_legal_form_keeps_it() -> None:
    n = normalize_name("NV")
    assert n.core == "nv" and n.legal_form is None


def test_words_that_are_not_legal_forms_stay() -> None:
    # "Vereniging" and "Stichting" describe the body; "Trust" is a brand word here
    assert normalize_name("Intergemeentelijke Vereniging Veneco").core == (
        "intergemeentelijke vereniging veneco"
    )
    assert normalize_name("Brussels Trust").core == "brussels trust"
    assert normalize_name("Cleaning Services").legal_form is None


def test_tokenize_joins_initials() -> None:
    assert tokenize("A.B.C. Bouw") == ["abc", "bouw"]
    assert tokenize("I.S.B.W.") == ["isbw"]
    assert tokenize("J. Peeters") == ["j", "peeters"]


def test_legal_form_relations() -> None:
    bvba, bv, sprl, srl = (find_legal_form(x) for x in ("BVBA", "BV", "SPRL", "SRL"))
    nv, sa, vzw = (find_legal_form(x) for x in ("NV", "SA", "VZW"))
    assert legal_form_relation(bv, srl) == "same"  # one form, Dutch and French names
    assert legal_form_relation(nv, sa) == "same"
    assert legal_form_relation(bvba, sprl) == "same"
    assert legal_form_relation(bvba, bv) == "successor"  # 2019 Companies Code
    assert legal_form_relation(sprl, srl) == "successor"
    assert legal_form_relation(nv, vzw) == "different"
    assert legal_form_relation(nv, None) is None


def test_kbo_label_is_a_legal_form() -> None:
    form = find_legal_form("Société privée à responsabilité limitée")
    assert form is not None and "N5NT" in form.elf_codes


def test_person_names_order_insensitive() -> None:
    assert normalize_person_name("Dupont, Jean") == normalize_person_name("Jean DUPONT")
    assert normalize_person_name("Dupont , Jean-Pierre") == "dupont jean pierre"
    assert normalize_person_name("M. Jean-Pierre Dupont") == "dupont jean pierre"
    assert normalize_person_name("Éric Lefèvre") == normalize_person_name("LEFEVRE Eric")
    assert normalize_person_name("Jan Peeters") != normalize_person_name("Jan Peters")
    assert normalize_person_name(None) == ""


def test_seat_after_the_legal_form_is_dropped() -> None:
    # Patent-register spellings: the seat or country follows the legal form.
    for written in ("AKZO NOBEL N.V., ARNHEIM/ARNHEM, NL", "Akzo Nobel NV, Arnhem"):
        name = normalize_name(written)
        assert name.tokens == ("akzo", "nobel") and name.legal_form is not None
        assert name.legal_form.key == "nv"
    assert normalize_name("DSM N.V. te Heerlen").tokens == ("dsm",)
    # Without a legal form before it, a comma separates words of the name.
    assert normalize_name("Harris, Armstrong and Brown").tokens == ("harris", "armstrong", "brown")


def test_legal_form_at_the_end_of_initials_stays_apart() -> None:
    assert tokenize("D.S.M. N.V.") == ["dsm", "nv"]
    assert normalize_name("D S M N.V.").tokens == ("dsm",)
    assert tokenize("B.V.B.A.") == ["bvba"]  # a form alone stays one word
    assert normalize_name("Naamloze Vennootschap DSM").tokens == ("dsm",)
    assert normalize_name("Akzo Nobel NV Naamlooze Vennootschap").tokens == ("akzo", "nobel")


def test_garbled_letters_inside_a_word_do_not_split_it() -> None:
    assert tokenize("Harv^y PLC") == ["harvy", "plc"]
    assert tokenize("Dicke~s") == ["dickes"]
    assert tokenize("Peeters & Zonen") == ["peeters", "&", "zonen"]


@pytest.mark.parametrize(
    ("name", "core", "abbreviation"),
    [
        (
            "Koninklijke Philips Electronics N.V. Groenewoudseweg 1",
            "koninklijke philips electronics",
            "NV",
        ),
        ("UNILEVER NV (NL", "unilever", "NV"),
        ("Gutkowski5Goyette", "gutkowski goyette", None),
        ("B2B Services", "b2b services", None),
        ("Jobs4You BV", "jobs you", "BV"),
    ],
)
def test_address_or_country_after_the_legal_form_and_glued_digits(
    name: str, core: str, abbreviation: str | None
) -> None:
    n = normalize_name(name)
    assert n.core == core
    assert (n.legal_form.abbreviation if n.legal_form else None) == abbreviation
