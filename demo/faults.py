"""The misbehaving corner of the demo web, served under ``/trap/`` (never linked from the
normal demo pages): what a crawler meets on the real web, on purpose.

``/trap/search?t=<name>&t=<name>`` is a job-search-like entry page (``a.job-link`` to each
named trap, ``a[rel=next]`` into the calendar or session loop) so the ordinary jobs spider
can be pointed at it with ``start_url``. Without ``t`` every trap is linked.

Traps (query parameters in brackets, with their defaults):

- ``/trap/slow`` [s=3]: sleeps *s* seconds, then a normal ad;
- ``/trap/retry-after`` [k=2, after=1, key]: the first *k* requests of each URL get
  ``429 Too Many Requests`` with ``Retry-After: after``, then the ad;
- ``/trap/burst`` [k=2, key]: the first *k* requests of each URL get HTTP 500, then the ad;
- ``/trap/redirect-loop`` [step=0]: 302 → step+1 modulo 3, a true cycle;
- ``/trap/redirect-chain`` [n=0]: 302 → n+1, forever;
- ``/trap/calendar`` [month=2026-11]: an endless calendar, each month linking the next;
- ``/trap/session;jsessionid=<id>``: links to itself under a new random session id;
- ``/trap/huge`` [mb=50, undeclared=0]: a page of *mb* MB, streamed (without
  ``Content-Length`` and closed at the end when ``undeclared=1``);
- ``/trap/gzip-bomb`` [mb=2048]: a small gzip body (``Content-Encoding: gzip``) that expands
  to *mb* MB of spaces;
- ``/trap/charset``: an ad whose header and meta say UTF-8 but whose bytes are Windows-1252;
- ``/trap/long`` links to a URL longer than 4000 characters;
- ``/trap/ad/<key>``: a normal ad (JSON-LD JobPosting + visible HTML), linked from the entry
  page by ``t=ad:<key>``; tests change its title (``titles``) or remove it (``removed``).
"""

from __future__ import annotations

import gzip
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

from demo.pages import esc, site_page

HTML = "text/html; charset=utf-8"
TRAPS = (
    "slow",
    "slow-timeout",
    "retry-after",
    "burst",
    "redirect-loop",
    "redirect-chain",
    "calendar",
    "session",
    "huge",
    "huge-stream",
    "gzip-bomb",
    "charset",
    "long",
)
_CHUNK = 64 * 1024
_BOMB_MEMBER_MB = 16  # one gzip member of 16 MB of spaces (~16 KB compressed), repeated


@dataclass
class FaultResponse:
    """What the server sends: status, headers, and a body given whole or as a stream."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)
    stream: Iterator[bytes] | None = None  # sent instead of body; no Content-Length if
    length: int | None = None  # ... length is None (then the connection is closed)


def _int(query: dict[str, list[str]], name: str, default: int, high: int) -> int:
    raw = query.get(name, [str(default)])[0]
    return min(int(raw), high) if raw.isdigit() else default


def ad_html(key: str, title: str = "Laveur de voitures (H/F)") -> str:
    """A normal job ad (JSON-LD JobPosting and the visible classes of the demo board)."""
    job = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "identifier": f"trap-{key}",
        "title": title,
        "description": f"Lavage manuel de véhicules, horaires variables ({key}).",
        "datePosted": "2026-11-02",
        "employmentType": "FULL_TIME",
        "hiringOrganization": {"@type": "Organization", "name": "Car Wash Piège SRL"},
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": "Rue du Piège 1",
                "postalCode": "1000",
                "addressLocality": "Bruxelles",
                "addressCountry": "BE",
            },
        },
    }
    body = (
        f'<main><h1 class="job-title">{esc(title)}</h1>'
        '<p class="job-company">Car Wash Piège SRL</p>'
        '<p class="job-location">Rue du Piège 1, 1000 Bruxelles</p>'
        '<p class="job-date">2026-11-02</p>'
        f'<div class="job-description">{esc(job["description"])}</div></main>'
    )
    head = (
        '<script type="application/ld+json">'
        + json.dumps(job, ensure_ascii=False).replace("</", "<\\/")
        + "</script>\n"
    )
    return site_page(f"{title} – pièges", body, head_extra=head)


def _listing(title: str, links: list[tuple[str, str]], next_href: str | None) -> str:
    items = "\n".join(
        f'<li><a class="job-link" href="{esc(href)}">{esc(text)}</a></li>' for href, text in links
    )
    nav = f'<a rel="next" href="{esc(next_href)}">Suivant</a>' if next_href else ""
    return site_page(title, f"<main><h1>{esc(title)}</h1><ul>{items}</ul>{nav}</main>")


def _next_month(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return f"{year:04d}-{mon:02d}"


class Faults:
    """Routing of ``/trap/...``; counts requests per URL for the "first K fail" traps."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: Counter[str] = Counter()
        self._bomb_member: bytes | None = None
        self.removed: set[str] = set()  # keys of /trap/ad/<key> that now answer 404
        self.titles: dict[str, str] = {}  # per-key titles, to change an ad between crawls

    def _count(self, target: str) -> int:
        with self._lock:
            self._seen[target] += 1
            return self._seen[target]

    def handle(self, path: str, query: dict[str, list[str]], target: str) -> FaultResponse:
        """``path`` without query; ``target`` is path + query (the per-URL counter key)."""
        name = path[len("/trap/") :].split(";", 1)[0].rstrip("/")
        if name in ("", "search"):
            return self._html(self.search(query.get("t") or list(TRAPS)))
        if name.startswith("ad/"):
            key = name[3:]
            if key in self.removed:
                return FaultResponse(404, b"<h1>404 - offre retiree</h1>")
            return self._html(ad_html(key, self.titles.get(key, "Laveur de voitures (H/F)")))
        if name == "slow":
            time.sleep(_int(query, "s", 3, 60))
            return self._html(ad_html("slow", "Plongeur (H/F) – lent"))
        if name == "retry-after":
            if self._count(target) <= _int(query, "k", 2, 100):
                after = str(_int(query, "after", 1, 86400))
                return FaultResponse(
                    429, b"Too many requests", "text/plain", [("Retry-After", after)]
                )
            return self._html(ad_html("retry-after", "Nettoyeur (H/F) – après 429"))
        if name == "burst":
            if self._count(target) <= _int(query, "k", 2, 100):
                return FaultResponse(500, b"<h1>500 Internal Server Error</h1>")
            return self._html(ad_html("burst", "Manoeuvre (H/F) – après 500"))
        if name == "redirect-loop":
            step = (_int(query, "step", 0, 2) + 1) % 3
            target = f"/trap/redirect-loop?step={step}"
            return FaultResponse(302, b"", headers=[("Location", target)])
        if name == "redirect-chain":
            hop = _int(query, "n", 0, 10**9) + 1
            return FaultResponse(302, b"", headers=[("Location", f"/trap/redirect-chain?n={hop}")])
        if name == "calendar":
            month = query.get("month", ["2026-11"])[0]
            if len(month) != 7 or not month[:4].isdigit() or not month[5:].isdigit():
                month = "2026-11"
            page = _listing(
                f"Agenda {month}",
                [(f"/trap/ad/cal-{month}", f"Événement {month}")],
                f"/trap/calendar?month={_next_month(month)}",
            )
            return self._html(page)
        if name == "session":
            page = _listing(
                "Session",
                [("/trap/ad/session", "Offre de session")],
                f"/trap/session;jsessionid={secrets.token_hex(12)}",
            )
            return self._html(page)
        if name == "huge":
            return self._huge(_int(query, "mb", 50, 4096), query.get("undeclared") == ["1"])
        if name == "gzip-bomb":
            return self._bomb(_int(query, "mb", 2048, 65536))
        if name == "charset":
            text = ad_html("charset", "Étudiant·e – serveur·euse à Liège")
            return FaultResponse(200, text.encode("cp1252", errors="replace"))
        if name == "long":
            href = "/trap/ad/long-" + quote("x" * 4100)
            return self._html(_listing("URL interminable", [(href, "Offre à l'URL géante")], None))
        return FaultResponse(404, b"<h1>404</h1>")

    def search(self, names: list[str]) -> str:
        """The entry page: one ``a.job-link`` per named trap (+ rel=next for chains)."""
        links: list[tuple[str, str]] = []
        next_href = None
        for name in names:  # calendar and session both chain by rel=next: the last one wins
            if name == "calendar":
                next_href = "/trap/calendar?month=2026-11"
            elif name == "session":
                next_href = f"/trap/session;jsessionid={secrets.token_hex(12)}"
            elif name == "long":
                links.append(("/trap/ad/long-" + "y" * 4100, "Offre à l'URL géante"))
            elif name == "slow":
                links.append(("/trap/slow?s=1", "Piège slow"))
            elif name == "slow-timeout":
                links.append(("/trap/slow?s=4", "Piège slow, plus lent que le délai"))
            elif name == "huge-stream":
                links.append(("/trap/huge?undeclared=1", "Piège huge, sans longueur annoncée"))
            elif name.startswith("ad:"):
                links.append((f"/trap/ad/{quote(name[3:])}", f"Offre {name[3:]}"))
            elif name in TRAPS:
                links.append((f"/trap/{name}", f"Piège {name}"))
        return _listing("Pièges", links, next_href)

    @staticmethod
    def _html(text: str) -> FaultResponse:
        return FaultResponse(200, text.encode("utf-8"))

    @staticmethod
    def _huge(mb: int, undeclared: bool) -> FaultResponse:
        total = mb * 1024 * 1024
        head = b'<!DOCTYPE html><html><body><h1 class="job-title">Enorme</h1><p>'

        def chunks() -> Iterator[bytes]:
            yield head
            left = total - len(head)
            filler = b"a" * _CHUNK
            while left > 0:
                yield filler[: min(_CHUNK, left)]
                left -= _CHUNK

        return FaultResponse(
            200, content_type=HTML, stream=chunks(), length=None if undeclared else total
        )

    def _bomb(self, mb: int) -> FaultResponse:
        with self._lock:
            if self._bomb_member is None:
                self._bomb_member = gzip.compress(b" " * (_BOMB_MEMBER_MB * 1024 * 1024), 9)
            member = self._bomb_member
        body = member * max(1, mb // _BOMB_MEMBER_MB)  # members concatenate when inflated
        return FaultResponse(200, body, HTML, [("Content-Encoding", "gzip")])
