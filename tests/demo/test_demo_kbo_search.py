"""The register clone's search by name and by address, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx

from demo.server import DemoServer
from demo.world import World
from spiders.parsers.kbo_labels import NOT_FOUND, norm


def _get(server: DemoServer, path: str, **params: str) -> str:
    response = httpx.get(f"{server.url}{path}?{urlencode(params)}", timeout=10)
    assert response.status_code == 200
    return response.text


def _numbers(html: str) -> list[str]:
    table = re.search(r'<table id="onderneminglist\w+".*?</table>', html, re.S)
    assert table is not None
    return re.findall(r"toonondernemingps\.html\?ondernemingsnummer=(\d{10})", table.group(0))


def test_search_by_name_and_by_address(server: DemoServer, world: World) -> None:
    employer = next(e for e in world.employers if e.status == "AC")
    html = _get(
        server,
        "/kbopub/zoeknaamfonetischform.html",
        lang="fr",
        searchWord=employer.name,
        pstcdeNPRP=employer.address.postcode,
    )
    assert employer.enterprise_number in _numbers(html)
    street = employer.address.street(employer.language)
    html = _get(
        server,
        "/kbopub/zoekadresform.html",
        postcod1=employer.address.postcode,
        straatgemeente1=street,
        huisnummer=employer.address.house_number,
    )
    found = _numbers(html)
    assert employer.enterprise_number in found
    assert all(
        e.address.postcode == employer.address.postcode
        for e in world.employers
        if e.enterprise_number in found
    )


def test_search_pages_and_empty_answer(server: DemoServer, world: World) -> None:
    postcode = max(
        {e.address.postcode for e in world.employers},
        key=lambda p: sum(e.address.postcode == p for e in world.employers),
    )
    expected = [
        e.enterprise_number
        for e in world.employers
        if e.address.postcode == postcode and e.status == "AC"
    ]
    seen: list[str] = []
    html = _get(server, "/kbopub/zoekadresform.html", postcod1=postcode)
    while True:
        seen += _numbers(html)
        nxt = re.search(r'rel="next" href="([^"]+)"', html)
        if not nxt:
            break
        html = httpx.get(server.url + nxt.group(1).replace("&amp;", "&"), timeout=10).text
    assert seen == expected
    empty = _get(server, "/kbopub/zoeknaamfonetischform.html", searchWord="Zyxwvut")
    assert "onderneminglist" not in empty and NOT_FOUND.search(norm(empty))
