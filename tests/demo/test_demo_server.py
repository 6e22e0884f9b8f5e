"""The demo web over real HTTP on 127.0.0.1: board, faults, register clone, classifieds."""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html as lxml_html

from demo.pages.jobs import FAULT_IDS
from demo.server import DemoServer
from demo.world import World, build_world


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_search_pagination_reaches_every_ad_once(server: DemoServer, world: World) -> None:
    url: str | None = server.url + "/jobs/search?page=1"
    seen: Counter[str] = Counter()
    pages = 0
    while url:
        status, headers, body = fetch(url)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        doc = lxml_html.fromstring(body)
        links = doc.xpath('//a[@class="job-link"]/@href')
        numeric = [h for h in links if re.fullmatch(r"/jobs/ad/\d+", h)]
        assert len(numeric) == 20 or not doc.xpath('//a[@rel="next"]')
        seen.update(numeric)
        if pages == 0:
            assert {f"/jobs/ad/{f}" for f in FAULT_IDS} <= set(links)
        nxt = doc.xpath('//a[@rel="next"]/@href')
        url = urljoin(url, nxt[0]) if nxt else None
        pages += 1
    assert pages == 15
    assert set(seen) == {f"/jobs/ad/{i}" for i in range(world.n_ads)}
    assert max(seen.values()) == 1
    assert fetch(server.url + "/jobs/search?page=16")[0] == 404


def test_detail_pages_in_three_forms(server: DemoServer, world: World) -> None:
    forms: Counter[str] = Counter()
    for i in range(0, world.n_ads, 3):
        status, _, body = fetch(f"{server.url}/jobs/ad/{i}")
        assert status == 200
        doc = lxml_html.fromstring(body)
        ad = world.ad(i)
        # the visible HTML is the same in every form
        assert doc.xpath("string(//h1[@class='job-title'])") == ad.title
        assert doc.xpath("string(//*[@class='job-company'])") == ad.employer_name
        location = " ".join(doc.xpath("string(//*[@class='job-location'])").split())
        assert location == f"{ad.street}, {ad.postcode} {ad.locality}"
        assert doc.xpath("string(//*[@class='job-salary'])") == ad.salary_text
        assert doc.xpath("string(//*[@class='job-description'])") == ad.description
        assert doc.xpath("string(//*[@class='job-date']/@datetime)") == ad.date_posted.isoformat()
        number = doc.xpath("string(//*[@class='job-company-number'])")
        assert number == (ad.company_number or "")
        scripts = doc.xpath('//script[@type="application/ld+json"]/text()')
        micro = doc.xpath('//*[@itemtype="https://schema.org/JobPosting"]')
        if scripts:
            forms["jsonld"] += 1
            data = json.loads(scripts[0])
            assert data["@type"] == "JobPosting" and data["title"] == ad.title
            assert data["hiringOrganization"]["name"] == ad.employer_name
            assert data["jobLocation"]["address"]["postalCode"] == ad.postcode
            assert data["baseSalary"]["value"]["unitText"] in ("HOUR", "MONTH")
            assert not micro
        elif micro:
            forms["microdata"] += 1
            scope = micro[0]
            assert scope.xpath("string(.//*[@itemprop='title'])") == ad.title
            assert scope.xpath("string(.//*[@itemprop='postalCode'])") == ad.postcode
        else:
            forms["plain"] += 1
            assert "itemprop" not in body.decode()
    assert forms["jsonld"] > forms["microdata"] > forms["plain"] > 0


def test_faults_answer_as_specified(server: DemoServer) -> None:
    status, _, _ = fetch(server.url + "/jobs/ad/fault-500")
    assert status == 500
    status, headers, body = fetch(server.url + "/jobs/ad/fault-malformed")
    assert status == 200 and b"\x00" in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    for marker in (b"job-title", b"<title>", b"JobPosting", b"job-company", b"</html>"):
        assert marker not in body
    status, headers, body = fetch(server.url + "/jobs/ad/fault-encoding")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<meta charset="utf-8">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("cp1252")
    assert "Étudiant·e" in text and 'class="job-title"' in text
    assert "É".encode("cp1252") in body and "É".encode() not in body


def test_faults_can_be_switched_off(world: World) -> None:
    with DemoServer(world, faults=False) as quiet:
        _, _, body = fetch(quiet.url + "/jobs/search?page=1")
        assert b"fault-" not in body
        assert fetch(quiet.url + "/jobs/ad/fault-500")[0] == 404


def test_robots_and_404(server: DemoServer) -> None:
    status, headers, body = fetch(server.url + "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert body.decode() == "User-agent: *\nDisallow: /private/\n"
    for path in ("/nowhere", "/jobs/ad/300", "/jobs/ad/abc", "/classifieds/listing/100",
                 "/classifieds/api/listings/100", "/kbopub/list.html?page=99"):
        assert fetch(server.url + path)[0] == 404, path


def test_classifieds_shell_has_no_data_but_api_has(server: DemoServer, world: World) -> None:
    _, headers, shell = fetch(server.url + "/classifieds/?page=2")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    _, _, detail_shell = fetch(server.url + "/classifieds/listing/5")
    status, headers, raw = fetch(server.url + "/classifieds/api/listings?page=1")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    index = json.loads(raw)
    assert index["total"] == world.n_listings and len(index["items"]) == 20
    assert index["next"] == "/classifieds/?page=2"
    last = json.loads(fetch(server.url + "/classifieds/api/listings?page=5")[2])
    assert last["next"] is None and len(last["items"]) == 20
    item = json.loads(fetch(server.url + "/classifieds/api/listings/5")[2])
    listing = world.listing(5)
    assert item["provider"] == listing.provider_name and item["title"] == listing.title
    for page in (shell, detail_shell):
        text = page.decode()
        assert "/classifieds/app.js" in text
        for i in range(20):
            lst = world.listing(i)
            assert lst.title not in text and lst.provider_name not in text
        assert "listing-link" not in text
    status, headers, js = fetch(server.url + "/classifieds/app.js")
    assert status == 200 and headers["Content-Type"].startswith("application/javascript")
    assert b"innerHTML" not in js and b"textContent" in js and b"dataset.ready" in js


def test_register_pages(server: DemoServer, world: World) -> None:
    seen = []
    url: str | None = server.url + "/kbopub/list.html?page=1"
    while url:
        doc = lxml_html.fromstring(fetch(url)[2])
        links = doc.xpath('//a[@class="kbo-link"]/@href')
        assert len(links) <= 50
        seen += [re.search(r"ondernemingsnummer=(\d{10})", h).group(1) for h in links]
        nxt = doc.xpath('//a[@rel="next"]/@href')
        url = urljoin(url, nxt[0]) if nxt else None
    assert seen == world.register_numbers
    employer = next(e for e in world.employers if e.onss_employer and not e.inactive)
    status, _, body = fetch(f"{server.url}/kbopub/toonondernemingps.html?lang=fr&"
                            f"ondernemingsnummer={employer.enterprise_number}")
    text = body.decode()
    assert status == 200
    for label in ("Numéro d'entreprise:", "Statut:", "Situation juridique:", "Date de début:",
                  "Dénomination:", "Adresse du siège:", "Numéro de téléphone:", "Forme légale:",
                  "<h2>Fonctions</h2>", "<h2>Qualités</h2>", "Employeur ONSS",
                  "Activités ONSS Code Nacebel version 2025", "Publications au Moniteur belge"):
        assert label in text, label
    assert employer.dotted_number in text
    # 9-digit form, as in the site's own links, finds the same enterprise
    short = fetch(f"{server.url}/kbopub/toonondernemingps.html?ondernemingsnummer="
                  f"{int(employer.enterprise_number)}")[2]
    assert short == body
    status, _, body = fetch(f"{server.url}/kbopub/toonondernemingps.html?lang=fr&"
                            "ondernemingsnummer=0999999984")
    assert status == 200 and b'class="errormessage"' in body
    assert b"0999.999.984" in body and b"Situation juridique" not in body


def test_request_counter(world: World) -> None:
    with DemoServer(world) as srv:
        for _ in range(3):
            fetch(srv.url + "/jobs/ad/7")
        fetch(srv.url + "/jobs/search?page=2")
        assert srv.requests["/jobs/ad/7"] == 3
        assert srv.requests.by_target["/jobs/search?page=2"] == 1
        assert srv.requests.total() == 4
        assert urlsplit(srv.url).hostname == "127.0.0.1"


def test_serves_hundreds_of_pages_on_one_connection(server: DemoServer, world: World) -> None:
    """Keep-alive over 300 ad pages (its speed is measured by the crawl benchmark)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    titles = set()
    for i in range(300):
        conn.request("GET", f"/jobs/ad/{i}")
        response = conn.getresponse()
        assert response.status == 200
        titles.add(lxml_html.fromstring(response.read()).findtext(".//h1"))
    conn.close()
    assert len(titles) > 100


def test_other_sizes_serve_too() -> None:
    small = build_world(3, 25)
    with DemoServer(small) as srv:
        doc = lxml_html.fromstring(fetch(srv.url + "/jobs/search?page=2")[2])
        assert len(doc.xpath('//a[@class="job-link"]')) == 5
        assert not doc.xpath('//a[@rel="next"]')
        assert fetch(srv.url + "/classifieds/api/listings/7")[0] == 200
