"""EmploisPlus (second board) and the JobFeed aggregator feed of the demo web, over HTTP."""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request
from collections import Counter

from lxml import etree
from lxml import html as lxml_html

from demo.board2 import Board2, detail_page, retitle, shorten
from demo.jobfeed import cdata, feed_entries, feed_xml
from demo.server import DemoServer
from demo.world import World, build_world

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_same_seed_same_board_other_seed_other_board(world: World) -> None:
    again = Board2(build_world(7, 300))
    board = Board2(world)
    assert again.plan == board.plan
    assert [detail_page(again.ad(i)) for i in (1, 50, 145)] == [
        detail_page(board.ad(i)) for i in (1, 50, 145)
    ]
    other = Board2(build_world(8, 300))
    assert other.plan != board.plan


def test_shares_of_reposts_and_own_ads(world: World) -> None:
    board = Board2(world)
    reposts = board.reposts()
    assert 0.22 * world.n_ads < len(reposts) < 0.38 * world.n_ads
    assert board.n_ads - len(reposts) == round(0.2 * world.n_ads) == 60
    assert len(set(reposts.values())) == len(reposts)  # one repost per main ad at most
    forms = Counter(board.ad(i).form for i in range(1, board.n_ads + 1))
    assert set(forms) == {"jsonld", "rdfa", "plain"} and min(forms.values()) >= 25
    own = [board.ad(i) for i in range(1, board.n_ads + 1) if i not in reposts]
    main_titles = {(world.ad(i).employer_name, world.ad(i).title) for i in range(world.n_ads)}
    assert sum((a.ad.employer_name, a.ad.title) in main_titles for a in own) < 5


def test_reposts_are_the_same_ad_edited(world: World) -> None:
    board = Board2(world)
    for board_id, main_id in board.reposts().items():
        main, repost = world.ad(main_id), board.ad(board_id)
        assert repost.source_ad_id == main_id and repost.ref != main.identifier
        copy = repost.ad
        assert (copy.employer_name, copy.phone, copy.street, copy.postcode) == (
            main.employer_name,
            main.phone,
            main.street,
            main.postcode,
        )
        assert copy.company_number in (main.company_number, None)
        assert copy.salary_text == main.salary_text
        first_sentence = re.split(r"(?<=[.!?])\s+", main.description)[0]
        assert copy.description.startswith(first_sentence)
        assert len(copy.description) <= len(main.description) + 2
        assert 0 <= (copy.date_posted - main.date_posted).days <= 4
    assert retitle("Kok (m/v)", "nl", 0.5, "Brussel") == "Kok – Brussel"
    assert retitle("Chauffeur C/CE – CDI", "fr", 0.1, "Uccle") == "Chauffeur C/CE (H/F/X)"
    assert retitle("Car valeter", "en", 0.9, "Gent") == "Car valeter"
    assert shorten("Un. Deux. Trois. Quatre.", 2) == "Un. Deux. …"


def test_sitemap_index_lists_every_ad_once(server: DemoServer, world: World) -> None:
    board = server.site.board2
    status, headers, body = fetch(server.url + "/board2/sitemap.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/xml")
    children = etree.fromstring(body).xpath("//s:sitemap/s:loc/text()", namespaces=NS)
    assert children[0] == server.url + "/board2/sitemap-pages.xml"
    assert [c.rsplit("/", 1)[1] for c in children[1:]] == [
        "sitemap-offres-1.xml",
        "sitemap-offres-2.xml.gz",
    ]
    urls: list[str] = []
    for child in children[1:]:
        status, headers, raw = fetch(child)
        assert status == 200
        if child.endswith(".gz"):
            assert headers["Content-Type"] == "application/gzip" and raw[:2] == b"\x1f\x8b"
            raw = gzip.decompress(raw)
        urls += etree.fromstring(raw).xpath("//s:url/s:loc/text()", namespaces=NS)
    assert urls == [server.url + board.ad(i).path for i in range(1, board.n_ads + 1)]
    assert fetch(server.url + "/board2/sitemap-offres-2.xml")[0] == 404  # only the .gz exists
    assert fetch(server.url + "/board2/sitemap-offres-3.xml")[0] == 404


def test_list_pages_and_detail_layout(server: DemoServer) -> None:
    board = server.site.board2
    url: str | None = server.url + "/board2/offres?p=1"
    seen: list[str] = []
    while url:
        status, _, body = fetch(url)
        assert status == 200
        doc = lxml_html.fromstring(body)
        seen += doc.xpath('//a[@class="ep-card__link"]/@href')
        nxt = doc.xpath('//li[@class="ep-pager__next"]/a/@href')
        url = server.url + nxt[0] if nxt else None
    assert seen == [board.ad(i).path for i in range(1, board.n_ads + 1)]
    assert not doc.xpath('//a[@class="job-link"] | //a[@rel="next"]')  # not the main layout
    rdfa = next(board.ad(i) for i in range(1, 40) if board.ad(i).form == "rdfa")
    status, _, body = fetch(server.url + rdfa.path)
    doc = lxml_html.fromstring(body)
    assert doc.xpath('//div[@typeof="JobPosting"]/@data-ref') == [rdfa.ref]
    assert doc.xpath('string(//h2[@class="offre__intitule"])') == rdfa.ad.title
    assert not doc.xpath('//script[@type="application/ld+json"] | //*[@itemscope]')
    assert not doc.xpath('//*[contains(@class, "job-")]')
    assert fetch(server.url + rdfa.path.replace(".html", "-x.html"))[0] == 404
    assert fetch(server.url + f"/board2/offre/{board.n_ads + 1}-x.html")[0] == 404
    home = fetch(server.url + "/")[2].decode()
    assert 'href="/board2/offres?p=1"' in home and 'href="/feeds/jobs.xml"' in home


def test_feed_is_the_recruityard_format(server: DemoServer) -> None:
    board = server.site.board2
    status, headers, body = fetch(server.url + "/feeds/jobs.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/xml")
    root = etree.fromstring(body)
    assert root.tag == "source" and root.findtext("publisher") == "JobFeed.be"
    jobs = root.findall("job")
    entries = feed_entries(board)
    assert len(jobs) == len(entries) == 106
    assert [j.findtext("referencenumber") for j in jobs] == [e.reference for e in entries]
    assert [child.tag for child in jobs[0]][:4] == ["title", "date", "referencenumber", "url"]
    assert jobs[0].findtext("url") == server.url + entries[0].path
    assert b"<![CDATA[" in body
    assert feed_xml(board, "http://h") == feed_xml(Board2(build_world(7, 300)), "http://h")
    by_board = Counter(e.board for e in entries)
    assert by_board["jobs"] > 50 and by_board["board2"] > 5
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    assert etree.fromstring(f"<x>{cdata('a]]>b')}</x>".encode()).text == "a]]>b"
