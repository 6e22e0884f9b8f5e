"""The register clone has the skeleton of the real kbopub pages, so one parser reads both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from demo.model import DemoEmployer
from demo.pages.kbo import enterprise_page, not_found_page
from demo.world import World

REALWORLD = Path(__file__).parent.parent / "fixtures" / "realworld"

REAL_PAGES = [
    REALWORLD / "kbo" / f"kbo_fr_{n}.html" for n in ("0200065765", "0200171970", "0200362408")
]
DATE = r"\d{1,2} (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}"  # noqa: E501


def rows(page: bytes | str) -> list[tuple[str, int, str]]:
    """(class of first cell, number of cells, label) of each row of the main table."""
    doc = lxml_html.fromstring(page)
    out = []
    for tr in doc.xpath('//div[@id="table"]/table[1]/tr'):
        tds = tr.xpath("./td")
        if not tds:
            continue
        heading = tr.xpath("./td/h2")
        if heading:
            out.append(("I", len(tds), "H2 " + " ".join(heading[0].text_content().split())))
        else:
            out.append(
                (tds[0].get("class") or "", len(tds), " ".join(tds[0].text_content().split()))
            )
    return out


def labels(page: bytes | str) -> set[str]:
    return {label for cls, n, label in rows(page) if n == 2 and label.endswith(":")}


def headings(page: bytes | str) -> set[str]:
    doc = lxml_html.fromstring(page)
    return {
        re.sub(r"\(\d\)$", "", " ".join(h.text_content().split()))
        for h in doc.xpath('//div[@id="table"]//h2')
    }


@pytest.fixture(scope="module")
def real() -> list[bytes]:
    assert len(REAL_PAGES) == 3
    return [p.read_bytes() for p in REAL_PAGES]


def _pick(world: World, **want: object) -> DemoEmployer:
    for e in world.employers:
        if all(getattr(e, k) == v for k, v in want.items()):
            return e
    raise AssertionError(f"no employer with {want}")


def test_same_labels_headings_and_alternation(world: World, real: list[bytes]) -> None:
    real_labels = set().union(*(labels(p) for p in real))
    real_headings = set().union(*(headings(p) for p in real))
    for e in world.employers:
        page = enterprise_page(e, world.persons)
        assert labels(page) <= real_labels | {"Abréviation:"}, labels(page) - real_labels
        assert headings(page) <= real_headings, headings(page) - real_headings
        label_rows = [cls for cls, n, _ in rows(page) if n == 2]
        assert label_rows == ["QL", "RL"] * (len(label_rows) // 2) + ["QL"] * (len(label_rows) % 2)
    for page in real:  # the rule checked above is the real pages' own rule
        label_rows = [cls for cls, n, _ in rows(page) if n == 2]
        assert label_rows == ["QL", "RL"] * (len(label_rows) // 2) + ["QL"] * (len(label_rows) % 2)


def test_same_xpaths_give_the_same_kind_of_values(world: World, real: list[bytes]) -> None:
    """XPaths written for the real pages work on the clone."""
    employer = _pick(world, profile="clean", onss_employer=True)
    demo_page = enterprise_page(employer, world.persons)
    for page in [*real[:1], demo_page]:
        doc = lxml_html.fromstring(page)
        number = doc.xpath(
            "normalize-space(//td[starts-with(normalize-space(.),"
            '"Numéro d\'entreprise:")]/following-sibling::td)'
        )
        assert re.fullmatch(r"\d{4}\.\d{3}\.\d{3}", number)
        spans = doc.xpath('//span[@class="pageactief"]/text()')
        assert spans[0] == "Actif" and spans[1] == "Situation normale"
        since = doc.xpath(
            "normalize-space(//td[starts-with(normalize-space(.),"
            "'Situation juridique:')]/following-sibling::td//span[@class='upd'])"
        )
        assert re.fullmatch(f"Depuis le {DATE}", since)
        seat = doc.xpath(
            "//td[starts-with(normalize-space(.),'Adresse du siège:')]"
            "/following-sibling::td/text()"
        )
        assert re.fullmatch(r"\d{4}\xa0\S.*", seat[1].strip())
        functions = doc.xpath('//table[@id="toonfctie"]/tr')
        assert functions
        for tr in functions:
            cells = [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
            assert len(cells) == 3 and re.fullmatch(r"\S.* , \S.*", cells[1].replace("\xa0", " "))
            assert re.fullmatch(f"Depuis le {DATE}", cells[2])
        quality = doc.xpath("//td[h2='Qualités']/../following-sibling::tr[1]/td")[0]
        assert quality.text_content().startswith("Employeur ONSS")
        assert re.fullmatch(f"Depuis le {DATE}", quality.xpath("string(span[@class='upd'])"))
        onss = doc.xpath(
            "//td[h2[starts-with(., 'Activités ONSS Code Nacebel version 2025')]]"
            "/../following-sibling::tr[1]/td/a/text()"
        )
        assert re.fullmatch(r"\d{2}\.\d{3}", onss[0])


def test_demo_page_values_match_the_world(world: World) -> None:
    e = _pick(world, profile="clean", onss_employer=True)
    doc = lxml_html.fromstring(enterprise_page(e, world.persons))
    text = " ".join(doc.text_content().split()).replace("\xa0", " ")
    assert e.name in text and e.address.municipality_fr in text
    assert f"Depuis le {e.onss_since.day} " in text
    for f in e.directors:
        p = world.person(f.person_id)
        assert f"{p.last_name} , {p.first_name}" in text


def test_inactive_enterprises_show_it(world: World) -> None:
    bankrupt = _pick(world, profile="bankrupt")
    text = enterprise_page(bankrupt, world.persons)
    assert '<span class="pageactief">Ouverture de faillite</span>' in text
    stopped = _pick(world, profile="stopped")
    text = enterprise_page(stopped, world.persons)
    assert '<span class="pageactief">Arrêté</span>' in text
    assert "Clôture de faillite sans excusabilité" in text
    struck = _pick(world, profile="struck_off")
    doc = lxml_html.fromstring(enterprise_page(struck, world.persons))
    assert "Radiation d'office:" in labels(enterprise_page(struck, world.persons))
    assert "UBO" in doc.xpath(
        "string(//td[starts-with(normalize-space(.),"
        '"Radiation d\'office:")]/following-sibling::td)'
    )


def test_non_onss_employer_has_no_onss_quality(world: World) -> None:
    e = _pick(world, profile="non_onss")
    text = enterprise_page(e, world.persons)
    assert "Employeur ONSS" not in text and "Activités ONSS" not in text
    assert "Activités TVA Code Nacebel version 2025" in text
    assert "Répertoire des employeurs" not in text


def test_escaping(world: World) -> None:
    e = _pick(world, profile="clean")
    e_copy = DemoEmployer(**{**e.__dict__, "name": "<script>alert(1)</script> & Co"})
    text = enterprise_page(e_copy, world.persons)
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in text
    assert "<b>" not in not_found_page("<b>")
