"""The Gazette clone: the real ejustice skeleton, ISO-8859-1, deterministic, drawn from the
register (carousel resignations and bankruptcies), served under /cgi_tsv/ like the real site."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from lxml import html as lxml_html

from demo.gazette import PER_PAGE, DemoGazette, article_page, list_page
from demo.server import DemoServer, DemoSite
from demo.world import World, build_world
from spiders.parsers.gazette import parse_article_page, parse_list_page

REAL = Path(__file__).parent.parent / "fixtures" / "realworld" / "ejustice"


def _skeleton(page: bytes) -> list[str]:
    """The classes and tags that carry the data of a list page, in document order (deduped)."""
    doc = lxml_html.fromstring(page)
    seen: list[str] = []
    for el in doc.xpath('//main//*[@class] | //main//font | //nav[@class="breadcrumb"]'):
        key = f"{el.tag}.{el.get('class') or ''}".strip()
        if key not in seen:
            seen.append(key)
    return seen


def _fetch(server: DemoServer, target: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(server.url + target) as response:
        return response.headers["Content-Type"], response.read()


def test_list_page_has_the_real_skeleton_and_charset(server: DemoServer, world: World) -> None:
    number = world.carousels[0].enterprise_numbers[0]
    content_type, body = _fetch(server, f"/cgi_tsv/list.pl?language=fr&btw={number}&page=1")
    assert content_type == "text/html; charset=iso-8859-1"
    assert b'<meta charset="iso-8859-1" />' in body
    body.decode("iso-8859-1")  # bytes of the declared charset, not UTF-8
    assert b"\xc3" not in body  # no UTF-8 sequences (e.g. "é" encoded twice)
    real = _skeleton((REAL / "list_btw0200065765.html").read_bytes())
    demo = _skeleton(body)
    for key in (
        "a.pagination-button pagination-first",
        "span.pagination-button active",
        "a.pagination-button pagination-next",
        "a.pagination-button pagination-last",
        "div.list-content",
        "div.list",
        "div.list-item",
        "div.list-item--content",
        "p.list-item--subtitle",
        "font.",
        "a.list-item--title",
        "a.standard",
        "a.button  button-outlined read-more",
    ):
        assert key in real and key in demo, key
    total = len(server.site.gazette.publications(number))
    assert f"Liste ({total})".encode() in body
    assert body.count(b'class="list-item"') == min(PER_PAGE, total)


def test_pages_parse_with_the_real_parser(world: World) -> None:
    site = DemoSite(world)
    gazette = site.gazette
    number = world.carousels[0].enterprise_numbers[-1]
    url = f"http://127.0.0.1/cgi_tsv/list.pl?language=fr&btw={number}&page=1"
    page = parse_list_page(
        list_page(world, gazette.publications(number), 1, number).encode(
            "iso-8859-1", errors="xmlcharrefreplace"
        ),
        url,
    )
    employer = world.employer(number)
    assert employer is not None
    first = page.publications[0]
    assert first["enterprise_name"] == employer.name
    assert first["enterprise_number"] == number
    assert first["postcode"] == employer.address.postcode
    history = parse_article_page(
        site.handle("/cgi_tsv/article.pl", {"btw_search": [number]}).body,
        f"http://127.0.0.1/cgi_tsv/article.pl?language=fr&btw_search={number}",
    )
    assert len(history) == len(gazette.publications(number))
    assert history[0]["rubric_codes"] == ["constitution"]  # oldest first: the founding deed
    assert history[0]["publication_date"] >= employer.start_date.isoformat()


def test_carousel_story_in_the_publications(world: World) -> None:
    gazette = DemoGazette(world)
    for carousel in world.carousels:
        boss = world.person(carousel.person_id)
        name = f"{boss.last_name.upper()} {boss.first_name}"
        *older, newest = carousel.enterprise_numbers
        for number in older:
            pubs = gazette.publications(number)
            bankrupt = [
                p
                for p in pubs
                if p.rubric in ("N° BCE", "KBO NR.")
                and ("Faillissement" in p.text or "faillite" in p.text)
            ]
            assert bankrupt, number
            resigned = [
                p for p in pubs if name in p.text and ("Démission" in p.text or "Ontslag" in p.text)
            ]
            assert resigned and resigned[0].day <= bankrupt[0].day
        appointed = [p for p in gazette.publications(newest) if name in p.text]
        assert appointed and re.search(r"Nomination|Benoeming", appointed[0].text)


def test_deterministic_and_unknown_numbers(world: World) -> None:
    number = world.employers[0].enterprise_number
    again = build_world(7, 300)
    a = DemoGazette(world).publications(number)
    b = DemoGazette(again).publications(number)
    assert a == b and a
    site = DemoSite(world)
    empty = site.handle("/cgi_tsv/list.pl", {"btw": ["0200420608"]})
    assert empty.status == 200 and b"Liste (0)" in empty.body
    assert parse_list_page(empty.body, "http://x/cgi_tsv/list.pl?btw=0200420608").total == 0
    frame = article_page(world, "0200420608", [])
    assert "article-text" not in frame and "DETAIL" in frame
    assert site.handle("/cgi_tsv/nothing.pl", {}).status == 404


def test_index_lists_every_publication_and_home_links_it(server: DemoServer) -> None:
    _, home = _fetch(server, "/")
    assert b'href="/cgi_tsv/list.pl?language=fr&amp;sum_date=&amp;page=1"' in home
    _, body = _fetch(server, "/cgi_tsv/list.pl?language=fr&sum_date=&page=1")
    everything = server.site.gazette.all_publications()
    assert f"Liste ({len(everything)})".encode() in body
    page = parse_list_page(body, server.url + "/cgi_tsv/list.pl?language=fr&sum_date=&page=1")
    assert [p["numac"] for p in page.publications] == [p.numac for p in everything[:PER_PAGE]]
    assert page.next_url == server.url + "/cgi_tsv/list.pl?language=fr&sum_date=&page=2"
