"""The search box of both demo boards (``?q=``): words, digits, paging, the "no results"
notice, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
import urllib.request

from demo.board2 import searchable_texts
from demo.pages.search import fold, query_matches
from demo.server import DemoServer
from demo.world import World


def _get(server: DemoServer, target: str) -> str:
    with urllib.request.urlopen(server.url + target, timeout=10) as response:
        return response.read().decode("utf-8")


def test_fold_and_match() -> None:
    assert fold("Éts Dupont-Sàrl") == "ets dupont sarl"
    assert query_matches("quievrain logistique", ["Logistique Quiévrain SRL"])
    assert not query_matches("logistique quievrain", ["Logistique Mons"])
    assert query_matches("+32 470 12 34 56", ["Tél. 0470/12.34.56"])
    assert query_matches("0123456789", ["TVA BE 0123.456.789"])
    assert not query_matches("0470 12 34 57", ["0470 12 34 56"])


def test_job_board_search_lists_only_hits_and_keeps_the_query(
        server: DemoServer, world: World) -> None:
    expected = [ad.id for ad in (world.ad(i) for i in range(world.n_ads))
                if query_matches("chauffeur", searchable_texts(ad))]
    assert len(expected) > 20  # more than one page
    ids: list[int] = []
    target = "/jobs/search?q=chauffeur"
    while target:
        html = _get(server, target)
        ids += [int(i) for i in re.findall(r'class="job-link" href="/jobs/ad/(\d+)"', html)]
        assert "fault-" not in html
        nxt = re.search(r'<a rel="next" href="([^"]+)"', html)
        target = nxt.group(1).replace("&amp;", "&") if nxt else ""
        if target:
            assert "q=chauffeur&page=" in target
    assert ids == expected


def test_job_board_search_by_phone_and_without_hits(server: DemoServer, world: World) -> None:
    ad = next(world.ad(i) for i in range(world.n_ads) if world.ad(i).phone)
    digits = re.sub(r"\D", "", ad.phone or "")
    html = _get(server, f"/jobs/search?q={digits}")
    assert f'href="/jobs/ad/{ad.id}"' in html
    empty = _get(server, "/jobs/search?q=zzzqqq")
    assert 'class="no-results"' in empty and "job-link" not in empty


def test_second_board_search(server: DemoServer) -> None:
    board = server.site.board2
    hits = [i for i in range(1, board.n_ads + 1)
            if query_matches("chauffeur", searchable_texts(board.ad(i).ad))]
    html = _get(server, "/board2/offres?q=chauffeur")
    found = re.findall(r'class="ep-card__link" href="/board2/offre/(\d+)-', html)
    assert [int(i) for i in found] == hits[:25] and hits
    assert 'class="ep-vide"' in _get(server, "/board2/offres?q=zzzqqq")
    assert _get(server, "/board2/offres?p=1").count("ep-card__link") == 25
