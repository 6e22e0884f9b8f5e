"""The Gazette parser on real ejustice pages (tests/fixtures/realworld/ejustice/, ISO-8859-1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spiders.parsers.gazette import (
    GazetteLayoutError,
    parse_article_page,
    parse_list_page,
    persons_in_text,
    rubric_codes,
    rubric_language,
    rubric_parts,
)

REAL = Path(__file__).parents[1] / "fixtures" / "realworld" / "ejustice"
SITE = "https://www.ejustice.just.fgov.be/cgi_tsv/"


def _list(number: str):
    body = (REAL / f"list_btw{number}.html").read_bytes()
    return parse_list_page(body, f"{SITE}list.pl?btw={number}", "text/html")


def _article(number: str):
    body = (REAL / f"article_fr_btw{number}.html").read_bytes()
    return parse_article_page(body, f"{SITE}article.pl?language=fr&btw_search={number}")


def test_list_page_with_pagination_and_dutch_rubrics() -> None:
    page = _list("0200065765")
    assert (page.total, page.page, page.last_page) == (110, 1, 2)
    assert page.next_url == f"{SITE}list.pl?language=fr&sum_date=&page=2&btw=200065765"
    assert page.enterprise_number == "0200065765"
    assert len(page.publications) == 100
    first = page.publications[0]
    assert first["enterprise_number"] == "0200065765"
    assert first["enterprise_name"] == "INTERGEMEENTELIJKE VERENIGING VENECO"
    assert first["legal_form"] == "DIENSTVERLENENDE VER"
    assert first["address"] == "PANHUISSTRAAT 1 9070 DESTELBERGEN"
    assert first["postcode"] == "9070"
    assert first["rubric"] == "ONTSLAGEN - BENOEMINGEN"
    assert first["rubric_codes"] == ["appointment", "resignation"]
    assert first["rubric_code"] == "appointment"
    assert first["publication_date"] == "2025-07-11"
    assert first["numac"] == "0088192"
    assert first["pdf_url"] == "https://www.ejustice.just.fgov.be/tsv_pdf/2025/07/11/25088192.pdf"
    assert first["detail_url"].startswith(f"{SITE}article.pl?language=fr&btw_search=200065765")
    # the names of the appointed/resigning persons are only in the PDF: none invented
    assert first["persons"] == [] and first["persons_source"] == "pdf_only"
    assert first["language"] == "nl" and first["page_language"] == "fr"
    combined = page.publications[2]
    assert combined["rubric"] == "STATUTEN (VERTALING, COÖRDINATIE, OVERIGE WIJZIGINGEN, …)"
    assert combined["rubric_codes"] == ["statutes"] and combined["persons_source"] is None
    restructuring = page.publications[5]
    assert restructuring["rubric_parts"] == [
        "RUBRIEK HERSTRUCTURERING (FUSIE, SPLITSING, OVERDRACHT VERMOGEN, ENZ...)",
        "DIVERSEN",
    ]
    assert restructuring["rubric_codes"] == ["other"]
    codes = {c for p in page.publications for c in p["rubric_codes"]}
    assert {"appointment", "resignation", "seat_transfer", "capital", "name_change"} <= codes
    # external ids are unique: one item per publication
    assert len({p["external_id"] for p in page.publications}) == 100


def test_list_page_french_labels_seat_and_year_only_dates() -> None:
    page = _list("0200362408")
    assert (page.total, page.last_page, page.next_url) == (69, 1, None)
    assert len(page.publications) == 69
    first = page.publications[0]
    assert (
        first["enterprise_name"] == "INTERCOMMUNALE SOCIALE DU BRABANT WALLON, EN ABREGE : I.S.B.W."
    )
    assert first["address"] == "RUE DU CERF 200 1332 GENVAL (RIXENSART)"
    assert first["rubric"] == "DEMISSIONS, NOMINATIONS"
    assert (first["publication_date"], first["numac"]) == ("2025-07-22", "0091070")
    assert first["language"] == "fr"
    seats = [p for p in page.publications if "seat_transfer" in p["rubric_codes"]]
    assert [p["rubric"] for p in seats] == ["SIEGE SOCIAL"]
    old = page.publications[-1]  # annual accounts of 1987: year only, no PDF
    assert old["rubric"] == "ME. - COMPTES ANNUELS 31.12.86, APP 25.04.87 -   87062-2975-011"
    assert old["publication_date"] is None and old["publication_year"] == 1987
    assert old["numac"] == "022401" and old["pdf_url"] is None
    assert old["enterprise_name"] == "INTERCOMMUNALE D'OEUVRES SOCIALES DU BRABANT WALLON"


def test_ubo_strike_off_read_from_its_text() -> None:
    page = _list("0200171970")
    assert page.total == 3
    assert [p["rubric"] for p in page.publications] == ["KBO NR.", "N° BCE", "ZDU NR."]
    for pub in page.publications:
        assert pub["rubric_codes"] == ["struck_off"]
        assert (pub["publication_date"], pub["numac"]) == ("2024-10-14", "2024205135")
        assert pub["pdf_url"] == "https://www.ejustice.just.fgov.be/mopdf/2024/10/14_1.pdf#Page191"
        assert pub["address"] is None
    assert page.publications[1]["text"] == (
        "Date de la prise d'effet de la radiation d'office suite au non-respect des "
        "formalités UBO : 02/10/2024."
    )
    assert page.publications[2]["language"] == "de"


def test_empty_list_is_empty_not_an_error() -> None:
    page = _list("0200420608")
    assert (page.total, page.publications, page.next_url) == (0, [], None)


def test_article_page_whole_history_with_name_change() -> None:
    pubs = _article("200065765")
    assert len(pubs) == 110  # the same count as the list's "Liste (110)"
    assert pubs[0]["rubric"] == "DIVERSEN"
    assert (pubs[0]["publication_date"], pubs[0]["numac"]) == ("1983-01-01", "1396-05")
    assert pubs[0]["enterprise_name"] == (
        "INTERCOMMUNALE VERENIGING VOOR RUIMTELIJKE ORDENING, ECONOMISCHE EXPANSIE EN..."
    )
    assert pubs[0]["address"] == "GENT" and pubs[0]["legal_form"] == "CV"
    # the <font> line inside the history is the new name
    assert pubs[7]["enterprise_name"].endswith("REKONVERSIE VAN HET GEWEST GENT-EEKLO")
    last = pubs[-1]
    assert last["enterprise_name"] == "INTERGEMEENTELIJKE VERENIGING VENECO"
    assert (last["publication_date"], last["numac"]) == ("2025-07-11", "0088192")
    assert last["pdf_url"] == "https://www.ejustice.just.fgov.be/tsv_pdf/2025/07/11/25088192.pdf"
    # same publication, same id on the list and on the article page
    assert last["external_id"] == _list("0200065765").publications[0]["external_id"]


def test_article_pages_ubo_and_empty() -> None:
    pubs = _article("200171970")
    assert [p["rubric"] for p in pubs] == ["KBO NR.", "N° BCE", "ZDU NR."]
    assert pubs[0]["text"].startswith("Ambtshalve doorhaling ten gevolge van niet vervullen UBO")
    assert _article("200420608") == []


def test_wrong_page_fails_loudly() -> None:
    body = (REAL / "tsv_l_pdf_btw200065765.html").read_bytes()
    url = f"{SITE}tsv_l_pdf.pl?btw=200065765"
    with pytest.raises(GazetteLayoutError, match="not an ejustice publication list"):
        parse_list_page(body, url)
    with pytest.raises(GazetteLayoutError, match="no main.article-text"):
        parse_article_page(body, url)


def test_changed_list_item_fails_loudly() -> None:
    body = (REAL / "list_btw0200171970.html").read_bytes().replace(b"200.171.970", b"?")
    with pytest.raises(GazetteLayoutError, match="is not an enterprise number"):
        parse_list_page(body, f"{SITE}list.pl?btw=0200171970")
    body = (REAL / "list_btw0200171970.html").read_bytes().replace(b"list-item--content", b"x")
    with pytest.raises(GazetteLayoutError, match="without its subtitle or content"):
        parse_list_page(body, f"{SITE}list.pl?btw=0200171970")


def test_rubric_codes_french_dutch_german() -> None:
    assert rubric_codes("DEMISSIONS, NOMINATIONS -  DIVERS") == ["appointment", "resignation"]
    assert rubric_codes("MAATSCHAPPELIJKE ZETEL -  ONTSLAGEN - BENOEMINGEN") == [
        "appointment",
        "resignation",
        "seat_transfer",
    ]
    assert rubric_codes("SIEGE SOCIAL") == ["seat_transfer"]
    assert rubric_codes("DENOMINATION -  SIEGE SOCIAL") == ["seat_transfer", "name_change"]
    assert rubric_codes("KAPITAAL - AANDELEN") == ["capital"]
    assert rubric_codes("BENAMING -  STATUTEN (VERTALING, COÖRDINATIE, )") == [
        "name_change",
        "statutes",
    ]
    assert rubric_codes("RUBRIEK EINDE (STOPZETTING, NIETIGHEID, ONTBINDING, ENZ...)") == [
        "dissolution"
    ]
    assert rubric_codes("N° BCE", "Faillite ouverte par jugement du 09/02/2025.") == ["bankruptcy"]
    assert rubric_codes("ALGEMENE VERGADERING") == ["other"]
    assert rubric_parts("ONTSLAGEN - BENOEMINGEN -  KAPITAAL - AANDELEN") == [
        "ONTSLAGEN - BENOEMINGEN",
        "KAPITAAL - AANDELEN",
    ]
    assert rubric_language("SIEGE SOCIAL") == "fr"
    assert rubric_language("MAATSCHAPPELIJKE ZETEL") == "nl"


def test_persons_only_from_explicit_text() -> None:
    assert persons_in_text(
        "Nomination : NOWAK Piotr, gérant, à partir du 01/03/2024. "
        "Démission : DUPONT Jean, administrateur."
    ) == [
        {
            "name": "NOWAK Piotr",
            "action": "appointment",
            "function": "gérant",
            "date": "2024-03-01",
        },
        {
            "name": "DUPONT Jean",
            "action": "resignation",
            "function": "administrateur",
            "date": None,
        },
    ]
    assert persons_in_text("Ontslag: PEETERS Jan, zaakvoerder, met ingang van 28/07/2024.") == [
        {
            "name": "PEETERS Jan",
            "action": "resignation",
            "function": "zaakvoerder",
            "date": "2024-07-28",
        }
    ]
    assert persons_in_text("Ambtshalve doorhaling ten gevolge van niet vervullen UBO.") == []
    assert persons_in_text(None) == []
