"""A tiny web site in the demo's contract shape, served on 127.0.0.1 for the spider tests.

Job board: a 2-page search, five ads in the three forms (JSON-LD — also inside ``@graph`` —,
microdata, plain HTML), a 500, a malformed page, a cp1252 page declared UTF-8, and a link into
``/private/`` that robots.txt forbids. Register: two list pages linking the real KBO pages
(tests/fixtures/realworld/kbo) plus one unknown number, and the search by name / by address
over those pages (demo.pages.kbo_search, two hits a page). Classifieds: a JavaScript shell, a JSON
API and the script that renders the listings (nothing in the HTML as sent).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from demo.pages import kbo_search
from spiders.parsers.kbo import parse_kbo_page

KBO_DIR = Path(__file__).parents[1] / "fixtures" / "realworld" / "kbo"
ROBOTS = "User-agent: *\nDisallow: /private/\n"

# -- job board ---------------------------------------------------------------------------------

ADS: dict[str, dict[str, str]] = {
    "a1": {
        "form": "jsonld",
        "title": "Nettoyeur/Nettoyeuse de bureaux",
        "company": "Clean Express SRL",
        "number": "BE 0123.456.749",
        "street": "Rue de la Loi 16",
        "postcode": "1000",
        "locality": "Bruxelles",
        "salary": "€ 14,50 / heure",
        "value": "14.5",
        "unit": "HOUR",
        "date": "2025-03-01",
        "phone": "+32 2 123 45 67",
        "lang": "fr",
        "description": "Nous cherchons un nettoyeur pour nos bureaux du centre, "
        "horaire du soir, contrat à durée indéterminée.",
    },
    "a2": {
        "form": "microdata",
        "title": "Magazijnier",
        "company": "Logistiek Janssens BV",
        "number": "ondernemingsnummer 0200 065 765",
        "street": "Kerkstraat 12",
        "postcode": "9000",
        "locality": "Gent",
        "salary": "2.300 EUR bruto per maand",
        "value": "2300",
        "unit": "MONTH",
        "date": "2025-03-02",
        "phone": "",
        "lang": "nl",
        "description": "Wij zoeken een magazijnier voor ons team in Gent. Je werkt met "
        "een heftruck en bent flexibel.",
    },
    "a3": {
        "form": "plain",
        "title": "Laveur de voitures",
        "company": "Wash Center",
        "number": "",
        "street": "Chaussée de Mons 100",
        "postcode": "1070",
        "locality": "Anderlecht",
        "salary": "cash 6€/h",
        "value": "",
        "unit": "",
        "date": "2025-03-03",
        "phone": "0470 11 22 33",
        "lang": "fr",
        "description": "Car wash cherche laveurs, payé cash, logement possible, "
        "pas besoin de papiers.",
    },
    "a4": {
        "form": "graph",
        "title": "Fahrer (m/w/d)",
        "company": "Transporte Schmitz GmbH",
        "number": "VAT DE123456789",
        "street": "Hauptstraße 5",
        "postcode": "4700",
        "locality": "Eupen",
        "salary": "16 EUR pro Stunde",
        "value": "16",
        "unit": "HOUR",
        "date": "2025-03-04",
        "phone": "",
        "lang": "de",
        "description": "Wir suchen einen Fahrer für unsere Firma in Eupen.",
    },
    "a5": {
        "form": "microdata",
        "title": "Care assistant",
        "company": "Home Care Partners",
        "number": "VAT PL5261040828",
        "street": "Avenue Louise 54",
        "postcode": "1050",
        "locality": "Ixelles",
        "salary": "£9 per hour",
        "value": "9",
        "unit": "HOUR",
        "date": "2025-03-05",
        "phone": "",
        "lang": "en",
        "description": "We are looking for a care assistant for our clients in Brussels.",
    },
}
SEARCH = {
    1: ["a1", "a2", "a3", "fault-500", "fault-malformed", "fault-encoding"],
    2: ["a4", "a5", "/private/ad/9"],
}


def _visible(ad: dict[str, str]) -> str:
    """The visible HTML every form carries (so CSS fallbacks work on all)."""
    optional = ""
    if ad["number"]:
        optional += f'<p class="job-company-number">{ad["number"]}</p>'
    if ad["phone"]:
        optional += f'<p class="job-phone">{ad["phone"]}</p>'
    return (
        f'<h1 class="job-title">{ad["title"]}</h1><p class="job-company">{ad["company"]}</p>'
        f'<p class="job-location">{ad["street"]}, {ad["postcode"]} {ad["locality"]}</p>'
        f'<p class="job-salary">{ad["salary"]}</p>{optional}'
        f'<div class="job-description">{ad["description"]}</div>'
        f'<p class="job-date">{ad["date"]}</p>'
    )


def _jsonld(ad_id: str, ad: dict[str, str]) -> str:
    org = {"@type": "Organization", "name": ad["company"]}
    if ad["number"]:
        org["taxID"] = ad["number"]
    posting = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": ad["title"],
        "description": ad["description"],
        "identifier": ad_id,
        "datePosted": ad["date"],
        "employmentType": "FULL_TIME",
        "inLanguage": ad["lang"],
        "hiringOrganization": org,
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": ad["street"],
                "postalCode": ad["postcode"],
                "addressLocality": ad["locality"],
                "addressCountry": "BE",
            },
        },
        "baseSalary": {
            "@type": "MonetaryAmount",
            "currency": "EUR",
            "value": {
                "@type": "QuantitativeValue",
                "value": float(ad["value"]),
                "unitText": ad["unit"],
            },
        },
    }
    data: object = posting
    if ad["form"] == "graph":
        data = {
            "@context": "https://schema.org",
            "@graph": [{"@type": "WebSite", "url": "http://jobs.example"}, posting],
        }
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def _microdata(ad_id: str, ad: dict[str, str]) -> str:
    return (
        '<div itemscope itemtype="https://schema.org/JobPosting">'
        f'<meta itemprop="title" content="{ad["title"]}">'
        f'<meta itemprop="identifier" content="{ad_id}">'
        f'<meta itemprop="datePosted" content="{ad["date"]}">'
        '<span itemprop="hiringOrganization" itemscope itemtype="https://schema.org/Organization">'
        f'<meta itemprop="name" content="{ad["company"]}"></span>'
        '<span itemprop="jobLocation" itemscope itemtype="https://schema.org/Place">'
        '<span itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">'
        f'<meta itemprop="streetAddress" content="{ad["street"]}">'
        f'<meta itemprop="postalCode" content="{ad["postcode"]}">'
        f'<meta itemprop="addressLocality" content="{ad["locality"]}">'
        '<meta itemprop="addressCountry" content="BE"></span></span>'
        '<span itemprop="baseSalary" itemscope itemtype="https://schema.org/MonetaryAmount">'
        '<meta itemprop="currency" content="EUR">'
        '<span itemprop="value" itemscope itemtype="https://schema.org/QuantitativeValue">'
        f'<meta itemprop="value" content="{ad["value"]}">'
        f'<meta itemprop="unitText" content="{ad["unit"]}"></span></span>'
        f'<div itemprop="description">{ad["description"]}</div></div>'
    )


def ad_page(ad_id: str) -> str:
    ad = ADS[ad_id]
    head = _jsonld(ad_id, ad) if ad["form"] in ("jsonld", "graph") else ""
    body = _visible(ad) + (_microdata(ad_id, ad) if ad["form"] == "microdata" else "")
    return (
        f'<!DOCTYPE html><html lang="{ad["lang"]}"><head><meta charset="utf-8">'
        f'<title>{ad["title"]}</title>{head}</head><body>{body}</body></html>'
    )


def search_page(page: int) -> str:
    links = "".join(
        f'<li><a class="job-link" href="{i if i.startswith("/") else "/jobs/ad/" + i}">{i}</a></li>'
        for i in SEARCH[page]
    )
    nxt = (
        f'<a rel="next" href="/jobs/search?page={page + 1}">next</a>' if page + 1 in SEARCH else ""
    )
    return f"<html><body><ul>{links}</ul>{nxt}</body></html>"


ENCODING_AD = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Étudiant·e</title></head>'
    '<body><h1 class="job-title">Étudiant·e — aide-ménagère</h1>'
    '<p class="job-company">Ménage Élégance SRL</p>'
    '<p class="job-location">Rue Haute 3, 1000 Bruxelles</p>'
    '<p class="job-salary">€ 12,50 / heure</p>'
    '<div class="job-description">Entretien ménager chez des particuliers, horaires '
    "flexibles, idéal pour étudiant·e.</div></body></html>"
).encode("cp1252")
MALFORMED = b'<html><head><ti\x00\xff\xfe\x81garbage<div class="job-'


# -- register ----------------------------------------------------------------------------------

KBO_LIST = {
    1: ["0200065765", "0200068636", "0200171970"],
    2: ["0200305493", "0200362408", "0200420608", "0200448421", "0123456749"],
}
UNKNOWN_MESSAGE = "Le numéro d'entreprise 0123.456.749 n'est pas connu dans la BCE."


def kbo_list_page(page: int) -> str:
    links = "".join(
        f'<li><a class="kbo-link" href="/kbopub/toonondernemingps.html?lang=fr&amp;'
        f'ondernemingsnummer={nr}">{nr}</a></li>'
        for nr in KBO_LIST[page]
    )
    nxt = (
        f'<a rel="next" href="/kbopub/list.html?page={page + 1}">suivant</a>'
        if page + 1 in KBO_LIST
        else ""
    )
    return f"<html><body><ul>{links}</ul>{nxt}</body></html>"


def kbo_enterprise_page(number: str) -> bytes:
    path = KBO_DIR / f"kbo_fr_{number}.html"
    if path.is_file():
        return path.read_bytes()
    html = (KBO_DIR / "kbo_fr_0200065765.html").read_text(encoding="utf-8")
    start, end = html.index('<div id="table">'), html.index('<div id="EndTable"/>')
    return (html[:start] + f"<p>{UNKNOWN_MESSAGE}</p>" + html[end:]).encode("utf-8")


def kbo_search_rows() -> list[kbo_search.Candidate]:
    """The real FR fixture pages as rows of the register's search (name, seat, status)."""
    rows = []
    for path in sorted(KBO_DIR.glob("kbo_fr_*.html")):
        nr = path.stem.rsplit("_", 1)[-1]
        f = parse_kbo_page(path.read_bytes(), f"http://x/?ondernemingsnummer={nr}")
        names = (f["name"], *(o["name"] for o in f["other_names"]))
        rows.append(
            kbo_search.Candidate(
                nr,
                names,
                f["street"] or "",
                f["house_number"] or "",
                f["postcode"] or "",
                f["municipality"] or "",
                f["status_code"] or "AC",
            )
        )
    return rows


# -- classifieds -------------------------------------------------------------------------------

LISTINGS = [
    {
        "id": "101",
        "title": "Nettoyage de bureaux",
        "category": "cleaning",
        "provider": "Clean Express",
        "phone": "0470 12 34 56",
        "vat": "BE 0123.456.749",
        "location": "1070 Anderlecht",
        "price": "15 €/h",
        "description": "Nous nettoyons vos bureaux le soir avec une équipe fiable.",
    },
    {
        "id": "102",
        "title": "Car wash à la main",
        "category": "car wash",
        "provider": "Wash & Go",
        "phone": "0488 99 88 77",
        "vat": "",
        "location": "4000 Liège",
        "price": "10 €",
        "description": "Lavage complet à la main, sans rendez-vous, payé cash.",
    },
    {
        "id": "103",
        "title": "Verhuizingen en transport",
        "category": "removals",
        "provider": "Snel Verhuis",
        "phone": "0495 55 44 33",
        "vat": "BE 0200.065.765",
        "location": "9000 Gent",
        "price": "40 €/uur",
        "description": "Wij doen verhuizingen voor particulieren en bedrijven, ook in het weekend.",
    },
    {
        "id": "104",
        "title": "Aide à domicile",
        "category": "care",
        "provider": "Soins Plus",
        "phone": "0477 10 20 30",
        "vat": "",
        "location": "5000 Namur",
        "price": "20 €/h",
        "description": "Aide aux personnes âgées à domicile, jour et nuit.",
    },
]
LISTING_PAGES = {1: ["101", "102", "103"], 2: ["104", "999"]}  # 999: API says 404
SHELL = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Petites annonces'
    '</title></head><body><div id="app">Chargement…</div>'
    '<script src="/classifieds/static/app.js"></script></body></html>'
)
APP_JS = r"""
(function () {
  const app = document.getElementById("app");
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;   // scraped text is data, never markup
    return node;
  }
  const m = location.pathname.match(/^\/classifieds\/listing\/([^\/]+)$/);
  if (m) {
    fetch("/classifieds/api/listings/" + encodeURIComponent(m[1]))
      .then(r => r.json()).then(l => {
        const art = el("article", "listing");
        art.dataset.id = l.id;
        art.append(el("h1", "listing-title", l.title),
                   el("span", "listing-category", l.category),
                   el("span", "listing-provider", l.provider),
                   el("span", "listing-phone", l.phone));
        if (l.vat) art.append(el("span", "listing-vat", l.vat));
        art.append(el("span", "listing-location", l.location), el("span", "listing-price", l.price),
                   el("div", "listing-description", l.description));
        app.replaceChildren(art);
        document.body.dataset.ready = "1";
      });
    return;
  }
  const page = new URLSearchParams(location.search).get("page") || "1";
  fetch("/classifieds/api/listings?page=" + page).then(r => r.json()).then(data => {
    const list = el("ul");
    for (const l of data.listings) {
      const a = el("a", "listing-link", l.title);
      a.href = "/classifieds/listing/" + l.id;
      const li = el("li"); li.append(a); list.append(li);
    }
    app.replaceChildren(list);
    if (data.next) {
      const next = el("a", "next-page", "suivant");
      next.rel = "next"; next.href = "/classifieds/?page=" + data.next;
      app.append(next);
    }
    document.body.dataset.ready = "1";
  });
})();
"""


def listings_api(page: int) -> dict:
    by_id = {item["id"]: item for item in LISTINGS}
    return {
        "page": page,
        "listings": [
            {"id": i, "title": by_id[i]["title"] if i in by_id else "Annonce retirée"}
            for i in LISTING_PAGES[page]
        ],
        "next": page + 1 if page + 1 in LISTING_PAGES else None,
    }


# -- server ------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    """Routes of the test site; every response has a Content-Type."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet server
        return

    def send(self, status: int, body: bytes | str, ctype: str = "text/html; charset=utf-8"):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        page = int(query.get("page", "1")) if query.get("page", "1").isdigit() else 0
        if path == "/robots.txt":
            return self.send(200, ROBOTS, "text/plain; charset=utf-8")
        if path == "/jobs/search" and page in SEARCH:
            return self.send(200, search_page(page))
        ad = re.fullmatch(r"/jobs/ad/([\w-]+)", path)
        if ad:
            ad_id = ad.group(1)
            if ad_id == "fault-500":
                return self.send(500, "<h1>Internal Server Error</h1>")
            if ad_id == "fault-malformed":
                return self.send(200, MALFORMED)
            if ad_id == "fault-encoding":
                return self.send(200, ENCODING_AD)
            if ad_id in ADS:
                return self.send(200, ad_page(ad_id))
        if path.startswith("/private/"):
            return self.send(200, "<h1 class='job-title'>Secret</h1>")
        if path == "/kbopub/list.html" and page in KBO_LIST:
            return self.send(200, kbo_list_page(page))
        if path in kbo_search.PATHS:  # 2 hits a page, to exercise the next links
            rows = kbo_search_rows()
            return self.send(200, kbo_search.answer(path, parse_qs(url.query), rows, per_page=2))
        if path == "/kbopub/toonondernemingps.html" and "ondernemingsnummer" in query:
            return self.send(200, kbo_enterprise_page(query["ondernemingsnummer"].zfill(10)))
        if path == "/classifieds/" or re.fullmatch(r"/classifieds/listing/\w+", path):
            return self.send(200, SHELL)
        if path == "/classifieds/static/app.js":
            return self.send(200, APP_JS, "application/javascript; charset=utf-8")
        if path == "/classifieds/api/listings" and page in LISTING_PAGES:
            return self.send(200, json.dumps(listings_api(page)), "application/json")
        item = re.fullmatch(r"/classifieds/api/listings/(\w+)", path)
        if item:
            found = [x for x in LISTINGS if x["id"] == item.group(1)]
            if found:
                return self.send(200, json.dumps(found[0]), "application/json")
        return self.send(404, "<h1>Not found</h1>")


@contextmanager
def serve() -> Iterator[str]:
    """Run the site on a free loopback port; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
