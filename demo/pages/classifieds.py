"""The classifieds site: HTML shells with no listing data, and the JSON its script reads."""

from __future__ import annotations

from demo.model import DemoListing
from demo.pages import site_page

PER_PAGE = 20

_HEADER = ('<header class="site-header"><a class="brand" href="/classifieds/">PetitesAnnonces.be'
           "</a></header>")
_NOSCRIPT = ("<noscript><p>Ce site nécessite JavaScript. / Deze site vereist JavaScript."
             "</p></noscript>")


def index_shell() -> str:
    """The index: an empty container that /classifieds/app.js fills from the JSON API."""
    body = (f"{_HEADER}\n<main>\n<h1>Services – petites annonces</h1>\n"
            '<div id="app" data-view="index"><p class="loading">Chargement…</p></div>\n'
            f"{_NOSCRIPT}\n</main>\n"
            '<script src="/classifieds/app.js" defer></script>')
    return site_page("Petites annonces – services", body)


def detail_shell() -> str:
    """A listing page: the id is only in the URL; the script fetches the rest."""
    body = (f"{_HEADER}\n<main>\n"
            '<div id="app" data-view="detail"><p class="loading">Chargement…</p></div>\n'
            f"{_NOSCRIPT}\n</main>\n"
            '<script src="/classifieds/app.js" defer></script>')
    return site_page("Annonce – PetitesAnnonces.be", body)


def index_json(listings: list[DemoListing], page: int, n_pages: int, total: int) -> dict:
    return {
        "page": page,
        "pages": n_pages,
        "per_page": PER_PAGE,
        "total": total,
        "items": [{"id": lst.id, "title": lst.title, "category": lst.category,
                   "locality": lst.locality, "postcode": lst.postcode,
                   "url": lst.path} for lst in listings],
        "next": f"/classifieds/?page={page + 1}" if page < n_pages else None,
    }
