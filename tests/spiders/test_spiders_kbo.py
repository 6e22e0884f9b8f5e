"""parse_kbo_page on the 7 real KBO/BCE pages (tests/fixtures/realworld/kbo) and variants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spiders import NotFoundError, ParseError
from spiders.parsers.kbo import KBO_KEYS, parse_kbo_page, parse_kbo_page_detailed

KBO = Path(__file__).parents[1] / "fixtures" / "realworld" / "kbo"
URL = "https://kbopub.economie.fgov.be/kbopub/toonondernemingps.html?lang={lang}&ondernemingsnummer={nr}"


def page(nr: str, lang: str = "fr") -> dict[str, Any]:
    body = (KBO / f"kbo_{lang}_{nr}.html").read_bytes()
    return parse_kbo_page(body, URL.format(lang=lang, nr=nr))


def test_all_keys_present_on_every_page() -> None:
    for path in sorted(KBO.glob("kbo_*.html")):
        nr = path.stem.split("_")[-1]
        fields = parse_kbo_page(path.read_bytes(), URL.format(lang="fr", nr=nr))
        assert set(fields) == set(KBO_KEYS), path.name
        assert fields["enterprise_number"] == nr
        assert fields["found"] is True and fields["warnings"] == [], path.name


def test_veneco_0200065765() -> None:
    f = page("0200065765")
    assert f["enterprise_number_display"] == "0200.065.765"
    assert (f["status"], f["status_code"]) == ("Actif", "AC")
    assert (f["juridical_situation"], f["juridical_situation_since"]) == (
        "Situation normale",
        "1960-08-09",
    )
    assert f["start_date"] == "1960-08-09"
    assert f["name"] == "Intergemeentelijke Vereniging Veneco"
    assert (f["name_language"], f["name_since"]) == ("nl", "2016-12-13")
    assert f["other_names"] == [
        {"type": "abbreviation", "name": "Veneco", "language": "nl", "since": "1997-06-21"}
    ]
    assert (f["street"], f["house_number"], f["postcode"], f["municipality"]) == (
        "Panhuisstraat",
        "1",
        "9070",
        "Destelbergen",
    )
    assert f["address_since"] == "2016-12-13"
    assert f["phone"] is None and f["email"] is None and f["website"] is None
    assert (f["entity_type"], f["entity_type_code"]) == ("Personne morale", "legal_person")
    assert f["legal_form"] == "Association prestataire de services (Région flamande)"
    assert f["legal_form_since"] == "1960-08-09"
    assert f["establishment_count"] == 1
    assert f["functions_count"] == 15 and len(f["functions"]) == 15
    assert f["functions"][0] == {
        "function": "Administrateur",
        "name": "Blauwblomme, Kathleen",
        "last_name": "Blauwblomme",
        "first_name": "Kathleen",
        "holder_number": None,
        "since": "2025-03-26",
    }
    assert f["functions"][-1]["name"] == "Vandenabeele, Luc"
    assert (f["onss_employer"], f["onss_since"]) == (True, "2022-01-01")
    assert [q["name"] for q in f["qualities"]] == [
        "Employeur ONSS",
        "Assujettie à la TVA",
        "Pouvoir adjudicateur",
    ]
    assert f["nace_codes"] == ["68121", "84130"]
    assert {(n["code"], n["version"], n["group"]) for n in f["nace"]} == {
        ("68121", "2025", "TVA"),
        ("84130", "2025", "ONSS"),
        ("41101", "2008", "TVA"),
        ("84130", "2008", "ONSS"),
        ("70111", "2003", "TVA"),
    }
    onss_2025 = next(n for n in f["nace"] if n["group"] == "ONSS" and n["version"] == "2025")
    assert onss_2025["group_code"] == "006" and onss_2025["since"] == "2025-01-01"
    assert (f["general_meeting"], f["fiscal_year_end"]) == ("mai", "31 décembre")
    assert f["gazette_url"].startswith(
        "https://www.ejustice.just.fgov.be/cgi_tsv/list.pl?language=fr&btw=0200065765"
    )
    assert f["data_date"] == "2025-09-03"
    assert f["page_language"] == "fr"


def test_farys_0200068636() -> None:
    f = page("0200068636")
    assert f["name"] == "Farys" and f["name_since"] == "2022-12-16"
    assert f["legal_form"] == "Association chargée de mission (Région flamande)"
    assert f["establishment_count"] == 102
    assert len(f["functions"]) == f["functions_count"] == 16
    daily = f["functions"][-1]
    assert daily["function"] == "Personne déléguée à la gestion journalière"
    assert (daily["last_name"], daily["first_name"], daily["since"]) == (
        "Porto-Carrero",
        "Marleen",
        "2019-12-18",
    )
    assert f["onss_since"] == "2022-01-01"
    assert f["authorisations"] == [
        {
            "name": "BELAC - Laboratoire d'essais",
            "since": None,
            "url": "https://weblist.economie.fgov.be/fr/belac/0200.068.636",
        }
    ]
    assert f["nace_codes"] == ["36000", "93110", "93126", "93299"]
    assert f["capital"] == "1.978.935,00 EUR"
    assert f["entity_links"] == [
        {
            "text": "0427.324.788 (AQUINTER) est absorbée par cette entité depuis le "
            "23 décembre 2004",
            "enterprise_numbers": ["0427324788"],
            "since": "2004-12-23",
        }
    ]


def test_struck_off_no_functions_0200171970() -> None:
    f = page("0200171970")
    assert f["name"] == "Sanatorium-Hospitaal van Lemberge"
    assert f["name_language"] is None  # "Langue de la dénomination non spécifiée"
    assert f["struck_off"] == "Radiation pour non-respect des obligations UBO"
    assert f["struck_off_since"] == "2024-10-02"
    assert f["legal_form"] == "Société coopérative de droit public (ancien statut)"
    assert f["functions"] == [] and f["functions_count"] is None
    assert f["onss_employer"] is False and f["onss_since"] is None
    assert f["qualities"] == [{"name": "Pouvoir adjudicateur", "since": "1968-01-01"}]
    assert f["nace"] == [] and f["nace_codes"] == []
    assert f["establishment_count"] == 0
    assert f["capital"] == "0,00"


def test_solva_0200305493() -> None:
    f = page("0200305493")
    assert f["other_names"][0]["name"] == "SOLVA"
    assert (f["street"], f["house_number"], f["postcode"], f["municipality"]) == (
        "Gentsesteenweg",
        "1B",
        "9520",
        "Sint-Lievens-Houtem",
    )
    assert len(f["functions"]) == 19
    assert {fn["function"] for fn in f["functions"]} == {"Administrateur"}
    assert f["onss_since"] == "2022-01-01"
    assert f["nace_codes"] == ["41003", "68122", "71122", "82990", "84130", "94999"]
    assert "45213" in {n["code"] for n in f["nace"] if n["version"] == "2003"}


def test_isbw_contacts_0200362408() -> None:
    f = page("0200362408")
    assert f["name"] == "Intercommunale Sociale du Brabant wallon"
    assert f["name_language"] == "fr"
    assert f["other_names"][0]["name"] == "I.S.B.W."
    assert (f["phone"], f["phone_since"]) == ("02 315 13 51", "2024-01-01")
    assert (f["email"], f["email_since"]) == ("info@isbw.be", "2022-10-13")
    assert f["fax"] is None
    assert (f["street"], f["house_number"], f["postcode"], f["municipality"]) == (
        "Rue du Cerf",
        "200",
        "1332",
        "Rixensart",
    )
    assert f["legal_form"] == "Société coopérative" and f["legal_form_since"] == "2022-12-16"
    assert len(f["functions"]) == 20
    assert ("Verté", "Cédric") in {(x["last_name"], x["first_name"]) for x in f["functions"]}
    assert f["onss_employer"] is True and f["nace_codes"] == ["88911"]


@pytest.mark.parametrize(
    ("nr", "name", "street", "postcode", "municipality"),
    [
        (
            "0200420608",
            "Congregatie der Gasthuiszusters van Poperinge",
            "Ieperstraat",
            "8970",
            "Poperinge",
        ),
        (
            "0200448421",
            "Liefdadige Congregatie der Gasthuiszusters",
            "Budastraat(Kor)",
            "8500",
            "Kortrijk",
        ),
    ],
)
def test_congregations_without_employer_quality(
    nr: str, name: str, street: str, postcode: str, municipality: str
) -> None:
    f = page(nr)
    assert f["name"] == name
    assert (f["street"], f["postcode"], f["municipality"]) == (street, postcode, municipality)
    assert f["legal_form"] == "Etablissement public"
    assert f["qualities"] == [] and f["onss_employer"] is False
    assert f["functions"] == [] and f["nace_codes"] == []
    assert len(f["external_links"]) == 3  # no "Répertoire des employeurs" link


def test_dutch_labels_on_the_real_structure() -> None:
    fr, nl = page("0200362408", "fr"), page("0200362408", "nl")
    assert nl["page_language"] == "nl"
    assert (nl["status"], nl["status_code"]) == ("Actief", "AC")
    assert nl["juridical_situation"] == "Normale toestand"
    assert nl["entity_type_code"] == "legal_person"
    assert nl["legal_form"] == "Coöperatieve vennootschap"
    assert nl["qualities"][0] == {"name": "Werkgever RSZ", "since": "2022-01-01"}
    assert nl["onss_employer"] is True
    assert nl["functions"][0]["function"] == "Bestuurder"
    assert nl["nace"][0]["group"] == "RSZ" and nl["nace"][0]["group_code"] == "006"
    assert (nl["general_meeting"], nl["fiscal_year_end"]) == ("mei", "31 december")
    for key in (
        "enterprise_number",
        "name",
        "name_language",
        "name_since",
        "start_date",
        "street",
        "house_number",
        "postcode",
        "municipality",
        "address_since",
        "phone",
        "phone_since",
        "email",
        "email_since",
        "legal_form_since",
        "establishment_count",
        "functions_count",
        "onss_since",
        "nace_codes",
        "data_date",
    ):
        assert nl[key] == fr[key], key
    assert [(x["name"], x["since"]) for x in nl["functions"]] == [
        (x["name"], x["since"]) for x in fr["functions"]
    ]


def test_provenance_names_the_labels() -> None:
    body = (KBO / "kbo_fr_0200065765.html").read_bytes()
    _, provenance = parse_kbo_page_detailed(body, URL.format(lang="fr", nr="0200065765"))
    assert provenance["status"] == "label:Statut"
    assert provenance["postcode"] == "label:Adresse du siège"
    assert provenance["other_names"] == "label:Abréviation"
    assert provenance["name"] == "label:Dénomination"
    assert provenance["onss_employer"] == "section:Qualités"
    assert provenance["functions"] == "section:Fonctions"


def _real(nr: str = "0200065765") -> str:
    return (KBO / f"kbo_fr_{nr}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "message",
    [
        "Le numéro 0123.456.749 n'a pas été trouvé dans la Banque-Carrefour des Entreprises.",
        "Le numéro d'entreprise 0123.456.749 n'est pas connu dans la BCE.",
        "Het ondernemingsnummer 0123.456.749 werd niet gevonden.",
        "Enterprise number 0123.456.749 not found.",
    ],
)
def test_not_found_page(message: str) -> None:
    html = _real()
    start, end = html.index('<div id="table">'), html.index('<div id="EndTable"/>')
    html = html[:start] + f'<p class="errormessage">{message}</p>' + html[end:]
    with pytest.raises(NotFoundError, match="unknown"):
        parse_kbo_page(html, URL.format(lang="fr", nr="0123456749"))


def test_layout_change_is_a_parse_error_not_not_found() -> None:
    renamed = _real().replace("Numéro d'entreprise:", "Identifiant:")
    with pytest.raises(ParseError) as info:
        parse_kbo_page(renamed, "http://x/kbo")
    assert not isinstance(info.value, NotFoundError)
    assert "http://x/kbo" in str(info.value) and "enterprise number" in str(info.value)
    no_qualities = _real().replace("<h2>Qualités</h2>", "<h2>Caractéristiques</h2>")
    with pytest.raises(ParseError, match="Qualités"):
        parse_kbo_page(no_qualities, "http://x/kbo")
    with pytest.raises(ParseError):
        parse_kbo_page((KBO.parent / "jobs" / "reed_details.html").read_bytes(), "http://x/r")


def test_mismatching_number_and_unknown_rows_are_reported() -> None:
    html = _real().replace(
        '<tr><td class="RL">Type d\'entité:',
        '<tr><td class="QL">Nouveau champ:</td><td class="QL">valeur</td></tr>'
        '<tr><td class="RL">Type d\'entité:',
    )
    fields = parse_kbo_page(html, URL.format(lang="fr", nr="0200068636"))
    assert fields["extra"] == {"Nouveau champ": "valeur"}
    assert fields["warnings"] == ["page shows 0200065765, URL asked for 0200068636"]


def test_company_holding_a_function() -> None:
    html = _real().replace(
        " Blauwblomme ,&nbsp;  Kathleen&nbsp;",
        '<a href="toonondernemingps.html?ondernemingsnummer=446334711">0446.334.711</a>'
        " EY Bedrijfsrevisoren",
        1,
    )
    first = parse_kbo_page(html, "http://x")["functions"][0]
    assert first["holder_number"] == "0446334711"
    assert first["name"] == "EY Bedrijfsrevisoren" and first["last_name"] is None


# Fields whose value does not depend on the page language (data, dates, numbers, codes).
_LANGUAGE_FREE = (
    "enterprise_number",
    "enterprise_number_display",
    "status_code",
    "juridical_situation_since",
    "start_date",
    "name",
    "name_language",
    "name_since",
    "other_names",
    "struck_off_since",
    "street",
    "house_number",
    "postcode",
    "municipality",
    "address_since",
    "seat_history",
    "phone",
    "email",
    "website",
    "entity_type_code",
    "legal_form",
    "legal_form_since",
    "establishment_count",
    "establishment_url",
    "functions_count",
    "onss_employer",
    "onss_since",
    "vat_liable",
    "vat_since",
    "nace_codes",
    "data_date",
    "extra",
    "warnings",
)


@pytest.mark.parametrize("nr", ["0200065765", "0200171970"])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_german_and_english_labels_on_the_real_structure(lang: str, nr: str) -> None:
    """kbo_de_*/kbo_en_* are the real FR pages with labels translated (see PROVENANCE.md)."""
    fr, other = page(nr, "fr"), page(nr, lang)
    assert other["page_language"] == lang
    for key in _LANGUAGE_FREE:
        assert other[key] == fr[key], key
    assert [(f["name"], f["since"]) for f in other["functions"]] == [
        (f["name"], f["since"]) for f in fr["functions"]
    ]
    assert [(n["code"], n["version"], n["group_code"], n["since"]) for n in other["nace"]] == [
        (n["code"], n["version"], n["group_code"], n["since"]) for n in fr["nace"]
    ]
    assert [q["since"] for q in other["qualities"]] == [q["since"] for q in fr["qualities"]]
    assert other["gazette_url"] == fr["gazette_url"]
    assert other["status_code"] == "AC" and other["entity_type_code"] == "legal_person"


def test_german_and_english_values() -> None:
    de, en = page("0200065765", "de"), page("0200065765", "en")
    assert (de["status"], en["status"]) == ("Aktiv", "Active")
    assert (de["juridical_situation"], en["juridical_situation"]) == (
        "Normale Situation",
        "Normal situation",
    )
    assert de["qualities"][0] == {"name": "Arbeitgeber LSS", "since": "2022-01-01"}
    assert en["qualities"][0] == {"name": "Employer NSSO", "since": "2022-01-01"}
    assert de["onss_employer"] is en["onss_employer"] is True
    assert (de["functions"][0]["function"], en["functions"][0]["function"]) == (
        "Verwalter",
        "Director",
    )
    assert {n["group"] for n in de["nace"]} == {"MwSt", "LSS"}
    assert {n["group"] for n in en["nace"]} == {"VAT", "NSSO"}
    assert (de["fiscal_year_end"], en["fiscal_year_end"]) == ("31. Dezember", "December 31")
    struck = page("0200171970", "en")
    assert struck["struck_off"] == "Deletion for failure to comply with the UBO obligations"
    assert struck["struck_off_since"] == "2024-10-02"


def test_establishment_link_seat_and_vat() -> None:
    veneco = page("0200065765")
    assert veneco["establishment_url"] == (
        "https://kbopub.economie.fgov.be/kbopub/toonvestigingps.html?ondernemingsnummer=200065765"
    )
    assert veneco["seat_history"] == [
        {
            "address": "Panhuisstraat 1, 9070 Destelbergen",
            "street": "Panhuisstraat",
            "house_number": "1",
            "postcode": "9070",
            "municipality": "Destelbergen",
            "country": None,
            "since": "2016-12-13",
        }
    ]
    assert (veneco["vat_liable"], veneco["vat_since"]) == (True, "2007-03-01")
    isbw = page("0200362408")  # 29 units: the link goes to the list of units
    assert isbw["establishment_url"] == (
        "https://kbopub.economie.fgov.be/kbopub/vestiginglijst.html?ondernemingsnummer=200362408"
    )
    assert isbw["vat_liable"] is False and isbw["vat_since"] is None
    assert page("0200362408", "nl")["establishment_url"] == isbw["establishment_url"]
    struck = page("0200171970")
    assert struck["establishment_count"] == 0 and struck["establishment_url"] is None
