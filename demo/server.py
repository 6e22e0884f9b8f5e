"""The demo web on loopback: one threaded stdlib HTTP server, routes as in notes/contracts.md.

    with DemoServer(build_world(7, 300)) as server:
        urllib.request.urlopen(server.url + "/jobs/search?page=1")

``server.requests`` counts fetches per path (query string excluded) and
``server.requests.by_target`` per path + query, so tests can check what a crawler fetched.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlencode, urlsplit

from demo import DemoError
from demo import gazette as gazette_pages
from demo.board2 import Board2, searchable_texts
from demo.faults import FaultResponse, Faults
from demo.jobfeed import FEED_PATH, feed_xml
from demo.model import DemoAd
from demo.pages import classifieds, jobs, kbo, kbo_search, site_page
from demo.pages.search import query_matches
from demo.world import World

STATIC_DIR = Path(__file__).parent / "static"
HTML = "text/html; charset=utf-8"
ROBOTS = "User-agent: *\nDisallow: /private/\n"
LAST_MODIFIED = "Mon, 02 Nov 2026 08:00:00 GMT"  # the demo's pages never change
_AD_PATH = re.compile(r"^/jobs/ad/([A-Za-z0-9-]+)$")
_LISTING_PAGE = re.compile(r"^/classifieds/listing/(\d+)/?$")
_LISTING_API = re.compile(r"^/classifieds/api/listings/(\d+)(/phone)?$")


class RequestCounter:
    """Thread-safe fetch counts: ``counter["/jobs/search"]``, ``counter.by_target[...]``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: Counter[str] = Counter()
        self._targets: Counter[str] = Counter()

    def add(self, path: str, target: str) -> None:
        with self._lock:
            self._paths[path] += 1
            self._targets[target] += 1

    def __getitem__(self, path: str) -> int:
        with self._lock:
            return self._paths[path]

    @property
    def by_target(self) -> Counter[str]:
        with self._lock:
            return Counter(self._targets)

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self._paths)

    def total(self) -> int:
        with self._lock:
            return sum(self._paths.values())

    def reset(self) -> None:
        with self._lock:
            self._paths.clear()
            self._targets.clear()


class Response:
    def __init__(self, status: int, body: bytes, content_type: str = HTML) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers: list[tuple[str, str]] = []
        self.stream: Iterator[bytes] | None = None
        self.length: int | None = len(body)


def _html(text: str, status: int = 200) -> Response:
    return Response(status, text.encode("utf-8"))


def _json(data: object, status: int = 200) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                    "application/json; charset=utf-8")


def _not_found() -> Response:
    return _html(site_page("404 – Page introuvable", "<h1>404 – Page introuvable</h1>"), 404)


def _page_param(query: dict[str, list[str]]) -> int | None:
    raw = query.get("page", ["1"])[0]
    return int(raw) if raw.isdigit() and int(raw) >= 1 else None


def _ad_hit(words: str, ad: DemoAd) -> bool:
    """Whether the board's search box finds ``ad`` for ``words`` (see demo.pages.search)."""
    return query_matches(words, searchable_texts(ad))


class DemoSite:
    """Routing and rendering, independent of the HTTP plumbing (easy to call in tests)."""

    def __init__(self, world: World, faults: bool = True) -> None:
        self.world = world
        self.faults = faults
        self._app_js = (STATIC_DIR / "app.js").read_bytes()
        self.job_pages = jobs.page_count(world.n_ads)
        self.kbo_pages = max(1, -(-len(world.employers) // kbo.LIST_PER_PAGE))
        self.listing_pages = max(1, -(-world.n_listings // classifieds.PER_PAGE))
        self.board2 = Board2(world)
        self.gazette = gazette_pages.DemoGazette(world)
        self.traps = Faults()

    def handle(self, path: str, query: dict[str, list[str]],
               origin: str = "http://127.0.0.1:8800") -> Response | FaultResponse:
        """``origin`` (scheme://host:port asked for) makes the absolute URLs of sitemaps and
        feeds."""
        if path == "/robots.txt":
            return Response(200, ROBOTS.encode(), "text/plain; charset=utf-8")
        if path == "/":
            return _html(self.home())
        if path.startswith("/private/"):
            return _html(site_page("Espace privé", "<h1>Espace réservé aux employeurs</h1>"))
        if path.startswith("/jobs/"):
            return self.jobs(path, query)
        if path.startswith("/kbopub/"):
            return self.kbo(path, query)
        if path.startswith("/classifieds"):
            return self.classifieds(path, query)
        if path == "/sites" or path.startswith("/sites/"):
            from demo import companies

            status, html = companies.route(self.world, path)
            return _html(html, status)
        if path.startswith("/board2"):
            answer = self.board2.handle(path, query, origin)
            return Response(*answer) if answer else _not_found()
        if path == FEED_PATH:
            return Response(200, feed_xml(self.board2, origin), "application/xml; charset=utf-8")
        if path.startswith("/cgi_tsv/"):  # the Official Gazette clone (ISO-8859-1)
            body = gazette_pages.route(self.gazette, path, query)
            return Response(200, body, gazette_pages.CONTENT_TYPE) if body else _not_found()
        if path.startswith("/trap/") and self.faults:
            return self.traps.handle(path, query, f"{path}?{urlencode(query, doseq=True)}")
        return _not_found()

    def home(self) -> str:
        return site_page("Vigie demo web", (
            "<h1>Vigie – web de démonstration</h1><ul>"
            '<li><a href="/jobs/search?page=1">JobsBelgique (offres d\'emploi)</a></li>'
            '<li><a href="/kbopub/list.html?page=1">BCE Public Search (clone)</a></li>'
            '<li><a href="/classifieds/">PetitesAnnonces.be (services)</a></li>'
            '<li><a href="/sites/">Sites d\'entreprises</a></li>'
            '<li><a href="/board2/offres?p=1">EmploisPlus (offres, sitemap '
            '/board2/sitemap.xml)</a></li>'
            '<li><a href="/feeds/jobs.xml">JobFeed.be (flux XML)</a></li>'
            '<li><a href="/cgi_tsv/list.pl?language=fr&amp;sum_date=&amp;page=1">'
            "Moniteur belge – Annexe Personnes morales (clone)</a></li></ul>"))

    def jobs(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/jobs/search":
            page = _page_param(query)
            words = query.get("q", [""])[0].strip()
            if words:  # the search box: the hits, 20 a page
                hits = [i for i in range(self.world.n_ads) if _ad_hit(words, self.world.ad(i))]
                n_pages = jobs.page_count(len(hits))
                if page is None or page > n_pages:
                    return _not_found()
                chosen = hits[(page - 1) * jobs.PER_PAGE:page * jobs.PER_PAGE]
                return _html(jobs.search_page([self.world.ad(i) for i in chosen], page,
                                              n_pages, self.faults, words))
            if page is None or page > self.job_pages:
                return _not_found()
            first = (page - 1) * jobs.PER_PAGE
            ads = [self.world.ad(i)
                   for i in range(first, min(first + jobs.PER_PAGE, self.world.n_ads))]
            return _html(jobs.search_page(ads, page, self.job_pages, self.faults))
        match = _AD_PATH.match(path)
        if not match:
            return _not_found()
        ident = match.group(1)
        if ident in jobs.FAULT_IDS:
            if not self.faults:
                return _not_found()
            if ident == "fault-500":
                return _html(jobs.fault_500_page(), 500)
            if ident == "fault-malformed":
                return Response(200, jobs.fault_malformed_bytes())
            return Response(200, jobs.fault_encoding_bytes())
        if not ident.isdigit() or int(ident) >= self.world.n_ads:
            return _not_found()
        ad = self.world.ad(int(ident))
        same_as = None
        if ad.employer_number:
            employer = self.world.employer(ad.employer_number)
            if employer and employer.website and ad.id % 3 == 0:
                same_as = f"https://{employer.website}"
        return _html(jobs.ad_page(ad, same_as))

    def kbo(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/kbopub/toonondernemingps.html":
            raw = query.get("ondernemingsnummer", [""])[0]
            digits = re.sub(r"\D", "", raw)
            if len(digits) == 9:
                digits = "0" + digits
            employer = self.world.employer(digits)
            if employer is None:
                return _html(kbo.not_found_page(digits or raw))
            return _html(kbo.enterprise_page(employer, self.world.persons))
        if path in kbo_search.PATHS:  # search by name / by address
            rows = kbo_search.employer_rows(self.world.employers)
            return _html(kbo_search.answer(path, query, rows))
        if path == "/kbopub/list.html":
            page = _page_param(query)
            if page is None or page > self.kbo_pages:
                return _not_found()
            chunk = self.world.employers[(page - 1) * kbo.LIST_PER_PAGE:page * kbo.LIST_PER_PAGE]
            return _html(kbo.list_page([e.enterprise_number for e in chunk],
                                       [e.name for e in chunk], page, self.kbo_pages))
        return _not_found()

    def classifieds(self, path: str, query: dict[str, list[str]]) -> Response:
        if path in ("/classifieds/", "/classifieds"):
            return _html(classifieds.index_shell())
        if path == "/classifieds/app.js":
            return Response(200, self._app_js, "application/javascript; charset=utf-8")
        if path == "/classifieds/api/listings":
            page = _page_param(query)
            if page is None or page > self.listing_pages:
                return _json({"error": "no such page"}, 404)
            first = (page - 1) * classifieds.PER_PAGE
            items = [self.world.listing(i) for i in
                     range(first, min(first + classifieds.PER_PAGE, self.world.n_listings))]
            return _json(classifieds.index_json(items, page, self.listing_pages,
                                                self.world.n_listings))
        match = _LISTING_API.match(path)
        if match:
            ident = int(match.group(1))
            if ident >= self.world.n_listings:
                return _json({"error": "no such listing"}, 404)
            data = self.world.listing(ident).to_json()
            phone = data.pop("phone")
            if match.group(2):  # the "show phone" button asks for the number on its own
                if phone is None:
                    return _json({"error": "no phone for this listing"}, 404)
                return _json({"id": ident, "phone": phone})
            data["has_phone"] = phone is not None  # like real marketplaces: number on request
            return _json(data)
        match = _LISTING_PAGE.match(path)
        if match and int(match.group(1)) < self.world.n_listings:
            return _html(classifieds.detail_shell())
        return _not_found()


def _not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str) -> bool:
    """Conditional GET (RFC 9110 §13): If-None-Match wins over If-Modified-Since."""
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match == "*"
    return if_modified_since == LAST_MODIFIED


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: crawlers reuse connections
    server_version = "VigieDemo/1.0"
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK stall
    site: DemoSite
    counter: RequestCounter

    def _respond(self, with_body: bool) -> None:
        parts = urlsplit(self.path)
        self.counter.add(parts.path, parts.path + (f"?{parts.query}" if parts.query else ""))
        try:
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            response = self.site.handle(parts.path, parse_qs(parts.query), f"http://{host}")
        except DemoError:
            response = _not_found()
        status, body = response.status, response.body
        headers = list(response.headers)
        if status == 200 and response.stream is None:
            etag = f'"{hashlib.sha256(body).hexdigest()[:24]}"'
            headers += [("ETag", etag), ("Last-Modified", LAST_MODIFIED)]
            if _not_modified(self.headers.get("If-None-Match"),
                             self.headers.get("If-Modified-Since"), etag):
                status, body = 304, b""
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", response.content_type)
        for key, value in headers:
            self.send_header(key, value)
        length = len(body) if response.stream is None else response.length
        if length is None:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if not with_body:
            return
        try:
            for chunk in response.stream if response.stream is not None else (body,):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client refused the rest: fine, stop sending

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._respond(True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the request counter is the log."""


class DemoServer:
    """The demo web served in a background thread on ``host:port`` (port 0 = any free port)."""

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0,
                 faults: bool = True) -> None:
        self.world = world
        self.site = DemoSite(world, faults=faults)
        self.requests = RequestCounter()
        handler = type("DemoHandler", (_Handler,), {"site": self.site, "counter": self.requests})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            kwargs={"poll_interval": 0.1},
                                            name=f"demo-server-{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread (``python -m demo serve``) until interrupted."""
        try:
            self._httpd.serve_forever(poll_interval=0.5)
        finally:
            self._httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
