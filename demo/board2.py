"""EmploisPlus, the demo's second job board: other layout, sitemap-driven, partly reposts.

About 30 % of the main board's ads (JobsBelgique, ``/jobs/``) are reposted here by the same
employer — same text with the edits reposts really get: the title reformatted, the description
shortened, the enterprise number sometimes left out, another id and a later date — plus about
20 % of ads of its own (as many as ``0.2 × n_ads``). Which ads, in which order and in which
form is fixed by (seed, size). Each :class:`Board2Ad` keeps ``source_ad_id`` (the main-board ad
it reposts, ``None`` for its own): the ground truth for clustering the same ad across boards.

Pages (all under ``/board2/``): ``offres?p=N`` (25 cards per page, ``a.ep-card__link``, next
page in ``li.ep-pager__next a``), ``offre/<id>-<slug>.html`` (detail: JSON-LD, RDFa or plain
HTML with ``offre__*`` classes), ``sitemap.xml`` (a sitemap index of ``sitemap-pages.xml`` and
of ad sitemaps of 100 URLs, every second one gzipped: ``sitemap-offres-<k>.xml[.gz]``).
:meth:`Board2.handle` answers ``(status, body, content_type)`` or ``None`` (unknown path).
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cached_property
from urllib.parse import quote_plus
from xml.sax.saxutils import escape as xml_escape

from demo.ads import TITLE_SUFFIX, make_ad
from demo.model import TODAY, DemoAd
from demo.numbers import rng_for
from demo.pages import esc, site_page
from demo.pages.jobs import job_posting_jsonld, script_json, tax_id
from demo.pages.search import query_matches
from demo.world import World

PREFIX = "/board2"
PER_PAGE = 25
SITEMAP_CHUNK = 100
REPOST_SHARE = 0.30
OWN_SHARE = 0.20
FORMS = (("jsonld", 40), ("rdfa", 35), ("plain", 25))
HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_DETAIL = re.compile(r"^/board2/offre/(\d+)-[a-z0-9-]*\.html$")
_SITEMAP = re.compile(r"^/board2/sitemap-offres-(\d+)\.xml(\.gz)?$")
LABELS = {
    "fr": ("Société", "Lieu", "Rémunération", "Contrat", "Mise en ligne", "N° d'entreprise",
           "Téléphone"),
    "nl": ("Bedrijf", "Plaats", "Verloning", "Contract", "Online sinds", "Ondernemingsnr.",
           "Telefoon"),
    "en": ("Company", "Location", "Pay", "Contract", "Online since", "Company no.", "Phone"),
}
HEAD = ('<div class="ep-top"><a class="ep-logo" href="/board2/offres?p=1">EmploisPlus</a>'
        '<span class="ep-tagline">Le job qu\'il vous faut</span></div>')
FOOT = '<div class="ep-bottom">EmploisPlus.be – démo Vigie – <a href="/board2/">À propos</a></div>'


@dataclass(frozen=True)
class Board2Ad:
    """One ad as EmploisPlus publishes it, with its ground truth."""

    id: int
    ad: DemoAd  # the content as published here (edited copy for reposts)
    source_ad_id: int | None  # main-board ad id it reposts; None: an ad of its own
    form: str  # "jsonld" | "rdfa" | "plain"

    @property
    def ref(self) -> str:
        return f"EP-{self.id:05d}"

    @property
    def path(self) -> str:
        return f"{PREFIX}/offre/{self.id}-{slug(self.ad.title)}.html"


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "offre"


def retitle(title: str, language: str, rng_value: float, locality: str) -> str:
    """The board's own title style: no gender/contract suffix, then one of three forms."""
    for suffix in sorted(TITLE_SUFFIX[language], key=len, reverse=True):
        if suffix and title.endswith(suffix):
            title = title[: -len(suffix)]
            break
    marker = {"fr": "(H/F/X)", "nl": "(M/V/X)", "en": "(M/F/X)"}[language]
    if rng_value < 0.4:
        return f"{title} {marker}"
    if rng_value < 0.7:
        return f"{title} – {locality}"
    return title[:1].upper() + title[1:].lower()


def shorten(description: str, sentences: int = 2) -> str:
    """The first sentences of a description, as reposts cut them, ending with "…"."""
    parts = re.split(r"(?<=[.!?])\s+", description.strip())
    if len(parts) <= sentences:
        return description
    return " ".join(parts[:sentences]) + " …"


class Board2:
    """EmploisPlus over one world; the plan of its ads is drawn on first use."""

    def __init__(self, world: World) -> None:
        self.world = world

    @cached_property
    def plan(self) -> list[tuple[str, int]]:
        """``("repost", main_id)`` / ``("own", k)`` in the board's order (index = id - 1)."""
        w = self.world
        entries = [("repost", i) for i in range(w.n_ads)
                   if rng_for(w.seed, w.size, "board2-repost", i).random() < REPOST_SHARE]
        entries += [("own", k) for k in range(round(w.n_ads * OWN_SHARE))]
        rng_for(w.seed, w.size, "board2-order").shuffle(entries)
        return entries

    @property
    def n_ads(self) -> int:
        return len(self.plan)

    @property
    def pages(self) -> int:
        return max(1, -(-self.n_ads // PER_PAGE))

    def ad(self, board_id: int) -> Board2Ad:
        """The ad ``board_id`` (1-based), built from (seed, size, id) alone."""
        kind, ident = self.plan[board_id - 1]
        w = self.world
        rng = rng_for(w.seed, w.size, "board2-ad", board_id)
        form = rng.choices([f for f, _ in FORMS], [p for _, p in FORMS])[0]
        if kind == "own":
            own = make_ad(w, w.n_ads + ident)  # drawn like a main ad, never on the main board
            return Board2Ad(board_id, own, None, form)
        main = w.ad(ident)
        edited = replace(
            main,
            title=retitle(main.title, main.language, rng.random(), main.locality),
            description=shorten(main.description, rng.choice((1, 2, 2, 3))),
            company_number=main.company_number if rng.random() < 0.7 else None,
            date_posted=min(TODAY, main.date_posted + timedelta(days=rng.randint(0, 4))),
        )
        return Board2Ad(board_id, edited, ident, form)

    def reposts(self) -> dict[int, int]:
        """Ground truth: board2 id → main-board ad id, for every repost."""
        return {i + 1: ident for i, (kind, ident) in enumerate(self.plan) if kind == "repost"}

    # -- HTTP --------------------------------------------------------------------------------
    def handle(self, path: str, query: dict[str, list[str]],
               origin: str) -> tuple[int, bytes, str] | None:
        if path in (PREFIX, PREFIX + "/"):
            return 200, self.about_page().encode(), HTML
        if path == PREFIX + "/offres":
            raw = query.get("p", ["1"])[0]
            words = query.get("q", [""])[0].strip()
            if words:  # the search box (demo.pages.search)
                return self.search(words, raw)
            if not raw.isdigit() or not 1 <= int(raw) <= self.pages:
                return None
            return 200, self.list_page(int(raw)).encode(), HTML
        if path == PREFIX + "/sitemap.xml":
            return 200, self.sitemap_index(origin).encode(), XML
        if path == PREFIX + "/sitemap-pages.xml":
            urls = [f"{origin}{PREFIX}/"] + [f"{origin}{PREFIX}/offres?p={p}"
                                             for p in range(1, self.pages + 1)]
            return 200, urlset(urls).encode(), XML
        match = _SITEMAP.match(path)
        if match:
            k = int(match.group(1))
            if not 1 <= k <= self.sitemap_count or bool(match.group(2)) != (k % 2 == 0):
                return None
            first = (k - 1) * SITEMAP_CHUNK + 1
            last = min(self.n_ads, k * SITEMAP_CHUNK)
            body = urlset([origin + self.ad(i).path for i in range(first, last + 1)]).encode()
            if match.group(2):
                return 200, gzip.compress(body, mtime=0), "application/gzip"
            return 200, body, XML
        match = _DETAIL.match(path)
        if match and 1 <= int(match.group(1)) <= self.n_ads:
            board_ad = self.ad(int(match.group(1)))
            if path != board_ad.path:
                return None
            return 200, detail_page(board_ad).encode(), HTML
        return None

    @property
    def sitemap_count(self) -> int:
        return max(1, -(-self.n_ads // SITEMAP_CHUNK))

    def sitemap_index(self, origin: str) -> str:
        names = ["sitemap-pages.xml"] + [
            f"sitemap-offres-{k}.xml" + (".gz" if k % 2 == 0 else "")
            for k in range(1, self.sitemap_count + 1)]
        entries = "".join(f"<sitemap><loc>{xml_escape(f'{origin}{PREFIX}/{n}')}</loc>"
                          f"<lastmod>{TODAY.isoformat()}</lastmod></sitemap>\n" for n in names)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<sitemapindex xmlns="{SITEMAP_NS}">\n{entries}</sitemapindex>\n')

    def about_page(self) -> str:
        body = (f"{HEAD}<div class=\"ep-wrap\"><h1>EmploisPlus</h1><p>{self.n_ads} offres. "
                '<a href="/board2/offres?p=1">Toutes les offres</a></p></div>' + FOOT)
        return site_page("EmploisPlus – à propos", body)

    def search(self, words: str, raw_page: str) -> tuple[int, bytes, str] | None:
        """``offres?q=…&p=N``: the ads whose title, employer, number, phone or place match."""
        hits = [i for i in range(1, self.n_ads + 1)
                if query_matches(words, searchable_texts(self.ad(i).ad))]
        pages = max(1, -(-len(hits) // PER_PAGE))
        if not raw_page.isdigit() or not 1 <= int(raw_page) <= pages:
            return None
        return 200, self.list_page(int(raw_page), hits, words).encode(), HTML

    def list_page(self, page: int, ids: list[int] | None = None, words: str = "") -> str:
        """Page ``page`` of all ads, or of the search hits ``ids`` for ``words``."""
        ids = list(range(1, self.n_ads + 1)) if ids is None else ids
        pages = max(1, -(-len(ids) // PER_PAGE))
        keep = f"q={quote_plus(words)}&amp;" if words else ""
        cards = []
        for i in ids[(page - 1) * PER_PAGE:page * PER_PAGE]:
            a = self.ad(i)
            cards.append(
                f'<article class="ep-card"><h3 class="ep-card__titre"><a class="ep-card__link" '
                f'href="{esc(a.path)}">{esc(a.ad.title)}</a></h3><span class="ep-card__societe">'
                f"{esc(a.ad.employer_name)}</span> <span class=\"ep-card__lieu\">"
                f"{esc(a.ad.postcode)} {esc(a.ad.locality)}</span></article>")
        if not cards:
            cards.append('<p class="ep-vide">Aucune offre ne correspond à votre recherche.</p>')
        pager = [f'<li class="ep-pager__page">{page}/{pages}</li>']
        if page > 1:
            pager.insert(0, f'<li class="ep-pager__prev"><a href="/board2/offres?{keep}'
                            f'p={page - 1}">‹</a></li>')
        if page < pages:
            pager.append(f'<li class="ep-pager__next"><a href="/board2/offres?{keep}'
                         f'p={page + 1}">›</a></li>')
        body = (f'{HEAD}<div class="ep-wrap"><div class="ep-cards">' + "\n".join(cards)
                + f'</div><ul class="ep-pager">{"".join(pager)}</ul></div>{FOOT}')
        return site_page(f"Offres d'emploi ({page}) – EmploisPlus", body)


def searchable_texts(ad: DemoAd) -> list[str | None]:
    """What the search box of both demo boards looks at: title, employer, number, phone, place."""
    return [ad.title, ad.employer_name, ad.company_number, ad.phone, ad.street, ad.postcode,
            ad.locality]


def urlset(urls: list[str]) -> str:
    entries = "".join(f"<url><loc>{xml_escape(u)}</loc></url>\n" for u in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="{SITEMAP_NS}">\n{entries}</urlset>\n')


def _p(rdfa: bool, prop: str, typeof: str | None = None) -> str:
    """` property="…"` (and ` typeof="…"`) on RDFa pages, nothing on the others."""
    if not rdfa:
        return ""
    return f' property="{prop}"' + (f' typeof="{typeof}"' if typeof else "")


def detail_page(board_ad: Board2Ad) -> str:
    """The EmploisPlus detail page: JSON-LD, RDFa or neither, always the same visible HTML."""
    ad, rdfa = board_ad.ad, board_ad.form == "rdfa"
    lab = LABELS[ad.language]
    scope = ' vocab="https://schema.org/" typeof="JobPosting"' if rdfa else ""
    parts = [f'<div class="offre" data-ref="{board_ad.ref}"{scope}>',
             f'<h2 class="offre__intitule"{_p(rdfa, "title")}>{esc(ad.title)}</h2>']
    if rdfa:
        parts.append(f'<meta property="identifier" content="{board_ad.ref}">'
                     f'<meta property="inLanguage" content="{esc(ad.language)}">')
    parts.append(f'<div class="offre__societe"{_p(rdfa, "hiringOrganization", "Organization")}>'
                 f'<span class="ep-lbl">{lab[0]}</span> '
                 f'<strong class="offre__societe-nom"{_p(rdfa, "name")}>'
                 f"{esc(ad.employer_name)}</strong>")
    if ad.company_number:
        number = tax_id(ad.company_number) or ""
        inner = esc(ad.company_number)
        if rdfa and number and number in ad.company_number:
            head, _, tail = ad.company_number.partition(number)
            inner = f'{esc(head)}<span property="taxID">{esc(number)}</span>{esc(tail)}'
        parts.append(f'<p><span class="ep-lbl">{lab[5]}</span> '
                     f'<span class="offre__tva">{inner}</span></p>')
    if ad.phone:
        parts.append(f'<p><span class="ep-lbl">{lab[6]}</span> '
                     f'<span class="offre__tel"{_p(rdfa, "telephone")}>{esc(ad.phone)}</span></p>')
    parts.append("</div><ul class=\"offre__infos\">")
    country = f'<meta property="addressCountry" content="{esc(ad.country)}">' if rdfa else ""
    parts.append(
        f'<li><span class="ep-lbl">{lab[1]}</span> <span class="offre__lieu"'
        f'{_p(rdfa, "jobLocation", "Place")}><span{_p(rdfa, "address", "PostalAddress")}>'
        f'<span{_p(rdfa, "streetAddress")}>{esc(ad.street)}</span>, '
        f'<span{_p(rdfa, "postalCode")}>{esc(ad.postcode)}</span> '
        f'<span{_p(rdfa, "addressLocality")}>{esc(ad.locality)}</span>{country}</span></span></li>')
    salary = ""
    if rdfa:
        values = {"unitText": ad.salary_unit, "value": ad.salary_value,
                  "minValue": ad.salary_min, "maxValue": ad.salary_max}
        metas = "".join(f'<meta property="{k}" content="{esc(v)}">'
                        for k, v in values.items() if v is not None)
        salary = (f'<span property="baseSalary" typeof="MonetaryAmount">'
                  f'<meta property="currency" content="{esc(ad.salary_currency)}">'
                  f'<span property="value" typeof="QuantitativeValue">{metas}</span></span>')
    parts.append(f'<li><span class="ep-lbl">{lab[2]}</span> '
                 f'<span class="offre__remuneration">{esc(ad.salary_text)}</span>{salary}</li>')
    parts.append(f'<li><span class="ep-lbl">{lab[3]}</span> '
                 f'<span class="offre__contrat"{_p(rdfa, "employmentType")}>'
                 f"{esc(ad.employment_type)}</span></li>")
    iso = ad.date_posted.isoformat()
    content = f' content="{iso}"' if rdfa else ""  # RDFa reads @content, not @datetime
    parts.append(f'<li><span class="ep-lbl">{lab[4]}</span> <time class="offre__date"'
                 f'{_p(rdfa, "datePosted")}{content} datetime="{iso}">'
                 f"{ad.date_posted.strftime('%d/%m/%Y')}</time></li></ul>")
    parts.append(f'<section class="offre__texte"{_p(rdfa, "description")}>'
                 f"{esc(ad.description)}</section></div>")
    head = ""
    if board_ad.form == "jsonld":
        data = job_posting_jsonld(ad, None)
        data["identifier"] = {"@type": "PropertyValue", "name": "EmploisPlus",
                              "value": board_ad.ref}
        head = f'<script type="application/ld+json">\n{script_json(data)}\n</script>\n'
    body = f'{HEAD}\n<div class="ep-wrap">\n' + "\n".join(parts) + f"\n</div>\n{FOOT}"
    return site_page(f"{ad.title} | EmploisPlus", body, language=ad.language, head_extra=head)
