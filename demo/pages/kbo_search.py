"""The register clone's search by name and by address (result lists of the public search).

The real KBO public search answers ``zoeknaamfonetischform.html`` (name, "phonetic") and
``zoekadresform.html`` (postcode, municipality, street, house number) with a list of the
registered entities found, each linking to its ``toonondernemingps.html`` page. The request
parameters are the real ones (``searchWord``, ``pstcdeNPRP``; ``postcod1``, ``postgemeente1``,
``straatgemeente1``, ``huisnummer``; ``filterEnkelActieve``). No real result page was
available: the list below keeps the site's chrome and puts the hits in
``table#onderneminglistfonetisch`` / ``table#onderneminglistadres`` (one row per entity:
number link, status, type, name, address), 20 per page with ``a[rel=next]``; an empty search
gives one ``p.errormessage`` sentence ("Aucune entité enregistrée trouvée …").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from demo.model import DemoEmployer
from demo.numbers import dotted
from demo.pages import esc
from demo.pages.kbo import _FOOT, _head

NAME_PATH = "/kbopub/zoeknaamfonetischform.html"
ADDRESS_PATH = "/kbopub/zoekadresform.html"
PATHS = (NAME_PATH, ADDRESS_PATH)
PER_PAGE = 20


@dataclass(frozen=True, slots=True)
class Candidate:
    """What a result row shows of one registered entity."""

    number: str  # 10 digits
    names: tuple[str, ...]
    street: str
    house_number: str
    postcode: str
    municipality: str
    status: str = "AC"

    @property
    def address(self) -> str:
        return f"{self.street} {self.house_number}, {self.postcode} {self.municipality}".strip()


def employer_rows(employers: Iterable[DemoEmployer]) -> Iterator[Candidate]:
    """The demo register's employers as search candidates."""
    for e in employers:
        lang = e.language
        names = (e.name, e.abbreviation) if e.abbreviation else (e.name,)
        yield Candidate(
            e.enterprise_number,
            names,
            e.address.street(lang),
            e.address.house_number,
            e.address.postcode,
            e.address.municipality(lang),
            e.status,
        )


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _name_hit(query: str, names: tuple[str, ...]) -> bool:
    """Every word of the query starts a word of one of the names (a loose "phonetic" match)."""
    words = _key(query).split()
    if not words:
        return False
    for name in names:
        tokens = _key(name).split()
        if all(any(t.startswith(w) for t in tokens) for w in words):
            return True
    return False


def search(path: str, query: dict[str, list[str]], rows: Iterable[Candidate]) -> list[Candidate]:
    """The candidates a search request finds, in register order."""

    def arg(name: str) -> str:
        return (query.get(name) or [""])[0].strip()

    only_active = arg("filterEnkelActieve") != "false"
    found = []
    for row in rows:
        if only_active and row.status != "AC":
            continue
        if path == NAME_PATH:
            postcode = arg("pstcdeNPRP")
            if _name_hit(arg("searchWord"), row.names) and postcode in ("", row.postcode):
                found.append(row)
            continue
        postcode, town, street, number = (
            arg("postcod1"),
            _key(arg("postgemeente1")),
            _key(arg("straatgemeente1")),
            _key(arg("huisnummer")),
        )
        if not (postcode or town):
            continue
        if postcode and postcode != row.postcode:
            continue
        if town and town not in _key(row.municipality):
            continue
        if street and street not in _key(row.street):
            continue
        if number and number != _key(row.house_number):
            continue
        found.append(row)
    return found


def answer(
    path: str,
    query: dict[str, list[str]],
    rows: Iterable[Candidate],
    per_page: int = PER_PAGE,
) -> str:
    """The HTML answer of a search request (page ``page`` of the hits)."""
    hits = search(path, query, rows)
    title = "Recherche par nom" if path == NAME_PATH else "Recherche par adresse"
    if not hits:
        return (
            _head(title)
            + f"<h1>{title}</h1>"
            + '<div id="notfound"><p class="errormessage">'
            + "Aucune entité enregistrée trouvée pour ces critères de recherche.</p></div>"
            + _FOOT
        )
    try:
        page = max(1, int((query.get("page") or ["1"])[0]))
    except ValueError:
        page = 1
    n_pages = -(-len(hits) // per_page)
    chunk = hits[(page - 1) * per_page : page * per_page]
    table = "onderneminglistfonetisch" if path == NAME_PATH else "onderneminglistadres"
    body = "".join(
        f'<tr><td class="QL">{(page - 1) * per_page + i}</td>'
        f'<td class="QL"><a href="toonondernemingps.html?ondernemingsnummer={row.number}">'
        f"{dotted(row.number)}</a></td>"
        f'<td class="QL">{"Actif" if row.status == "AC" else "Arrêté"}</td>'
        f'<td class="QL">ENT RP</td><td class="QL">{esc(row.names[0])}</td>'
        f'<td class="QL">{esc(row.address)}</td></tr>'
        for i, row in enumerate(chunk, 1)
    )
    nav = ""
    if page < n_pages:
        following = {k: v[0] for k, v in query.items() if k != "page"}
        following["page"] = str(page + 1)
        nav = f'<a rel="next" href="{path}?{esc(urlencode(following))}">Suivant</a>'
    return (
        _head(title)
        + f"<h1>{title}</h1><p>{len(hits)} entités enregistrées trouvées.</p>"
        + f'<table id="{table}" class="result"><thead><tr><th>N°</th>'
        + "<th>Numéro d'entreprise</th><th>Statut</th><th>Type</th><th>Dénomination</th>"
        + f"<th>Adresse</th></tr></thead><tbody>{body}</tbody></table>"
        + f'<div class="pagination">{nav}</div>'
        + _FOOT
    )
