"""Official Gazette clone (ejustice ``/cgi_tsv/``): publications drawn from the demo register.

Each employer's publications follow from its register data, deterministically (seed, size,
enterprise number): its constitution, the appointment of each director (named in the text line,
"Nomination : DUPONT Jean, gérant, à partir du 01/03/2024."), seat transfers, statutes and
capital changes, the dissolution of firms in liquidation, the UBO strike-offs, and for the
bankrupt firms — among them the older links of each carousel — the resignation of their
directors a few months before the bankruptcy judgment, published in the main Gazette under
"N° BCE" / "KBO NR." like the real UBO entries.

Pages (ISO-8859-1, same skeleton as the real ones in tests/fixtures/realworld/ejustice/):
``list.pl?language=fr&btw=<number>&page=N`` (per enterprise, newest first),
``list.pl?language=fr&sum_date=&page=N`` (every publication, newest first: the search results),
``article.pl?language=fr&btw_search=<number>`` (the whole history). The real site pages by
100; the demo pages by :data:`PER_PAGE` so that small worlds exercise the pagination.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from demo.model import TODAY, DemoEmployer
from demo.numbers import rng_for
from demo.pages import esc
from demo.world import World

PER_PAGE = 5
CHARSET = "iso-8859-1"
CONTENT_TYPE = f"text/html; charset={CHARSET}"

LABELS = {  # rubric → (FR, NL) label as the real list writes it
    "persons": ("DEMISSIONS, NOMINATIONS", "ONTSLAGEN - BENOEMINGEN"),
    "constitution": (
        "RUBRIQUE CONSTITUTION (NOUVELLE PERSONNE MORALE, OUVERTURE SUCCURSALE, ETC...)",
        "RUBRIEK OPRICHTING (NIEUWE RECHTSPERSOON, OPENING BIJKANTOOR, ENZ...)",
    ),
    "seat": ("SIEGE SOCIAL", "MAATSCHAPPELIJKE ZETEL"),
    "statutes": (
        "STATUTS (TRADUCTION, COORDINATION, AUTRES MODIFICATIONS, )",
        "STATUTEN (VERTALING, COÖRDINATIE, OVERIGE WIJZIGINGEN, )",
    ),
    "capital": ("CAPITAL, ACTIONS", "KAPITAAL - AANDELEN"),
    "end": (
        "RUBRIQUE FIN (CESSATION, NULLITE, DISSOLUTION, CLOTURE DE LIQUIDATION, ETC...)",
        "RUBRIEK EINDE (STOPZETTING, NIETIGHEID, ONTBINDING, AFSLUITING VEREFFENING, ENZ...)",
    ),
}
FUNCTIONS_NL = {
    "Administrateur": "bestuurder",
    "Gérant": "zaakvoerder",
    "Personne déléguée à la gestion journalière": "gedelegeerd bestuurder",
}


@dataclass(frozen=True)
class DemoPublication:
    enterprise_number: str
    day: date
    numac: str  # as the list shows it after the date
    rubric: str
    text: str = ""
    pdf: str = ""  # site-absolute path


def _dmy(day: date) -> str:
    return f"{day:%d/%m/%Y}"


class DemoGazette:
    """Publications of one demo world, computed once per employer."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._cache: dict[str, list[DemoPublication]] = {}
        self._all: list[DemoPublication] | None = None

    def publications(self, number: str) -> list[DemoPublication]:
        """Newest first, like the real list."""
        if number not in self._cache:
            employer = self.world.employer(number)
            self._cache[number] = _draw(self.world, employer) if employer else []
        return self._cache[number]

    def all_publications(self) -> list[DemoPublication]:
        if self._all is None:
            pubs = [p for e in self.world.employers for p in self.publications(e.enterprise_number)]
            self._all = sorted(pubs, key=lambda p: (p.day, p.numac), reverse=True)
        return self._all


def _draw(world: World, e: DemoEmployer) -> list[DemoPublication]:
    rng = rng_for(world.seed, world.size, "gazette", e.enterprise_number)
    nl = e.language == "nl"
    used: set[str] = set()
    out: list[DemoPublication] = []

    def published(event: date) -> date:
        return min(TODAY, event + timedelta(days=rng.randint(8, 25)))

    def annex(event: date, rubric: str, text: str = "") -> None:
        day = published(event)
        while True:
            numac = f"0{rng.randint(1000, 199999):06d}"
            if f"{day}{numac}" not in used:
                break
        used.add(f"{day}{numac}")
        label = LABELS[rubric][1 if nl else 0]
        pdf = f"/tsv_pdf/{day:%Y/%m/%d}/{day:%y}{numac[1:]}.pdf"
        out.append(DemoPublication(e.enterprise_number, day, numac, label, text, pdf))

    def main_gazette(event: date, texts: tuple[tuple[str, str], ...]) -> None:
        """An entry of the main Gazette, shown once per language heading (real UBO shape)."""
        day = published(event)
        numac = f"{day.year}{rng.randint(200000, 209999)}"
        pdf = f"/mopdf/{day:%Y/%m/%d}_1.pdf#Page{rng.randint(2, 400)}"
        for heading, text in texts:
            out.append(DemoPublication(e.enterprise_number, day, numac, heading, text, pdf))

    def persons_text(action: str, person_id: int, role: str, day: date) -> str:
        p = world.person(person_id)
        name = f"{p.last_name.upper()} {p.first_name}"
        if nl:
            verb = "Benoeming" if action == "appointment" else "Ontslag"
            function = FUNCTIONS_NL.get(role, role.lower())
            return f"{verb}: {name}, {function}, met ingang van {_dmy(day)}."
        verb = "Nomination" if action == "appointment" else "Démission"
        return f"{verb} : {name}, {role.lower()}, à partir du {_dmy(day)}."

    annex(e.start_date, "constitution")
    for function in e.directors:
        annex(
            function.start_date,
            "persons",
            persons_text("appointment", function.person_id, function.role, function.start_date),
        )
    end = e.juridical_situation_date if e.juridical_situation != "000" else TODAY
    if e.start_date + timedelta(days=30) < e.address_since < end - timedelta(days=90):
        a = e.address
        street = f"{a.street(e.language)} {a.house_number}"
        where = f"{street}, {a.postcode} {a.municipality(e.language)}"
        annex(
            e.address_since,
            "seat",
            f"Verplaatsing van de zetel naar: {where}." if nl else f"Transfert du siège : {where}.",
        )
    if rng.random() < 0.5:
        annex(e.start_date + timedelta(days=rng.randint(200, 2500)), "statutes")
    if rng.random() < 0.3:
        annex(e.start_date + timedelta(days=rng.randint(200, 2500)), "capital")
    if e.juridical_situation == "012":
        annex(e.juridical_situation_date, "end")
    if e.juridical_situation in ("050", "052"):
        judgment = e.juridical_situation_date
        if e.juridical_situation == "052":  # closed: the opening came first
            opening = judgment - timedelta(days=rng.randint(300, 700))
        else:
            opening = judgment
        quit_day = opening - timedelta(days=rng.randint(60, 240))
        for function in e.directors:
            if function.start_date < quit_day:
                text = persons_text("resignation", function.person_id, function.role, quit_day)
                annex(quit_day, "persons", text)
        main_gazette(
            opening,
            (
                (
                    "N° BCE",
                    "Faillite ouverte par jugement du tribunal de l'entreprise du "
                    f"{_dmy(opening)}.",
                ),
                (
                    "KBO NR.",
                    "Faillissement geopend bij vonnis van de ondernemingsrechtbank van "
                    f"{_dmy(opening)}.",
                ),
            ),
        )
        if e.juridical_situation == "052":
            main_gazette(
                judgment,
                (
                    ("N° BCE", f"Clôture de la faillite par jugement du {_dmy(judgment)}."),
                    ("KBO NR.", f"Sluiting van het faillissement bij vonnis van {_dmy(judgment)}."),
                ),
            )
    if e.struck_off_date is not None:
        day = _dmy(e.struck_off_date)
        main_gazette(
            e.struck_off_date,
            (
                (
                    "KBO NR.",
                    "Ambtshalve doorhaling ten gevolge van niet vervullen "
                    f"UBO-verplichtingen ingaande vanaf: {day}.",
                ),
                (
                    "N° BCE",
                    "Date de la prise d'effet de la radiation d'office suite au non-respect "
                    f"des formalités UBO : {day}.",
                ),
            ),
        )
    return sorted(out, key=lambda p: (p.day, p.numac), reverse=True)


# -- pages -------------------------------------------------------------------------------------
def _shell(title: str, crumbs: str, main: str, lang_query: str) -> str:
    nav = "".join(
        f'<li class="nav-language-item">\n<a href="list.pl?language={code}&{esc(lang_query)}" '
        f'class="nav__language-button {"active" if code == "fr" else ""}">{code.upper()}</a>\n'
        "</li>\n"
        for code in ("nl", "fr", "de")
    )
    return (
        '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="iso-8859-1" />\n'
        f"    <title>{esc(title)}</title>\n"
        '    <link rel="stylesheet" crossorigin href="/css_2024/index.css">\n  </head>\n'
        '  <body>\n    <div class="page">\n'
        '      <div class="page__wrapper page__wrapper--tools no-print">\n'
        f'        <div class="page__section page__section--tools"><nav><ul>\n{nav}</ul></nav>'
        "</div>\n      </div>\n"
        '       <div class="page__wrapper page__wrapper--breadcrumb">\n'
        '             <div class="block__content no-print">\n'
        '               <nav class="breadcrumb" aria-label="Kruimelpad">\n                 <ol>\n'
        '                   <li><a href="/" title="Home" class="item">Home</a></li>\n'
        '                   <li>\n                     <span class="item"><a href="/cgi_tsv/'
        'list.pl?language=fr&amp;sum_date=&amp;page=1" title="">Annexe Personnes morales</a>'
        "</span>\n                   </li>\n"
        f"{crumbs}"
        "                 </ol>\n               </nav>\n             </div>\n       </div>\n"
        '    <div class="page__wrapper page__wrapper--content">\n'
        '      <div class="page__section page__section--content">\n'
        f"{main}"
        "      </div>\n    </div>\n"
        '    <footer class="page__wrapper page__wrapper--footer no-print">\n'
        '        <div class="copyright">\n           Copyright &copy; 2024 Service Public '
        "Fédéral Belge (clone de démonstration)\n        </div>\n    </footer>\n"
        "  </div>\n  </body>\n</html>\n"
    )


def _number_display(number: str) -> str:
    """ "0200065765" → "200.065.765", as the list writes it."""
    digits = number.lstrip("0") if number.startswith("0") else number
    return f"{digits[:-6]}.{digits[-6:-3]}.{digits[-3:]}"


def _pagination(query: str, page: int, last: int) -> str:
    def link(n: int, cls: str, label: str = "") -> str:
        href = esc(f"list.pl?language=fr&sum_date=&page={n}{query}")
        return f'<a href="{href}" class="pagination-button{cls}">{label}</a>\n'

    out = ['<div class="pagination-container">\n', link(1, " pagination-first")]
    for n in range(max(1, page - 4), min(last, page + 4) + 1):
        if n == page:
            out.append(f'<span class="pagination-button active">{n}</span>\n')
        else:
            out.append(link(n, "", str(n)))
    if page < last:
        out.append(link(page + 1, " pagination-next"))
    out.append(link(last, " pagination-last"))
    out.append("</div>\n")
    return "".join(out)


def _form(e: DemoEmployer) -> str:
    return e.form.abbr_nl if e.language == "nl" else e.form.abbr_fr


def _address(e: DemoEmployer) -> str:
    a = e.address
    street = f"{a.street(e.language)} {a.house_number}".upper()
    return f"{street} {a.postcode} {a.municipality(e.language).upper()}"


def list_page(world: World, pubs: list[DemoPublication], page: int, btw: str | None) -> str:
    """One page of a publication list (one enterprise's, or all of them when ``btw`` is None)."""
    last = max(1, -(-len(pubs) // PER_PAGE))
    query = f"&btw={btw}" if btw else ""
    items = []
    first = (page - 1) * PER_PAGE
    for i, p in enumerate(pubs[first : first + PER_PAGE], start=first):
        e = world.employer(p.enterprise_number)
        assert e is not None
        detail = esc(
            f"article.pl?language=fr&btw_search={p.enterprise_number}&page={page}&la_search=f"
            f"&caller=list&={i}&view_numac=&btw={p.enterprise_number}"
        )
        image = (
            f'&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;<a class="standard" href="{esc(p.pdf)}" '
            'target="_blank">IMAGE</a>'
            if p.pdf
            else ""
        )
        items.append(
            f'<A name="SUM{i}"></a><div class="list-item">\n<div class="list-item--content">\n'
            f'<p class="list-item--subtitle">\n{i + 1}) <font color=blue>{esc(e.name)}</font>'
            f"&nbsp;&nbsp;{esc(_form(e))}\n\n</p>\n"
            f'<a href="{detail}" class="list-item--title">\n{esc(_address(e))}\n<br>\n'
            f"{_number_display(p.enterprise_number)}\n<br>\n{esc(p.rubric)} \n<br>\n"
            f"{p.day:%Y-%m-%d} / {p.numac}  {image}\n<br>\n{esc(p.text)}\n<br>\n</a>\n</div>\n"
            f'<a href="{detail}" class="button  button-outlined read-more">\nDETAIL\n</a>\n'
            "</div>\n"
        )
    pagination = _pagination(query, page, last)
    main = (
        '        <main class="page__inner page__inner--content" role="main">\n'
        f"{pagination}"
        '          <div class="list-content">\n           <div class="list">\n'
        f"{''.join(items)}  \n            </div>\n"
        '           <button class="button button-full button-to-top button-to-top--left">'
        "Haut de la page</button>\n          </div>\n"
        f"{pagination}        </main>\n"
    )
    crumbs = (
        '                   <li>\n                     <span class="item">'
        f'<a href="rech.pl?language=fr{esc(query)}" title="Recherche"> Recherche</a></span>\n'
        "                   </li>\n                   <li>\n"
        f'                     <span class="item">Liste ({len(pubs)})</span>\n'
        "                   </li>\n"
    )
    return _shell("Annexe Personnes morales", crumbs, main, f"btw={btw or ''}&page=")


def article_page(world: World, number: str, pubs: list[DemoPublication]) -> str:
    """The whole history of one enterprise, oldest first; the bare frame when it has none."""
    crumbs = (
        f'                   <li><a href="rech.pl?language=fr&amp;view_numac={number}" '
        'title="Recherche" class="item">Recherche</a></li>\n'
        f'                   <li>\n                     <a href="list.pl?language=fr&amp;'
        f'page=&amp;view_numac={number}#SUM" title="Liste" class="item">Liste</a>\n'
        "                   </li>\n                   <li>\n"
        '                     <span class="item">DETAIL</span>\n                   </li>\n'
    )
    e = world.employer(number)
    if e is None or not pubs:
        return _shell("Annexe Personnes morales", crumbs, "", f"btw={number}&page=")
    entries = []
    for p in reversed(pubs):
        image = (
            f'<font color=blue>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;<a href="{esc(p.pdf)}" '
            'target="_blank">IMAGE</a></font>'
            if p.pdf
            else "<font color=blue></font>"
        )
        text = f"\n<br>{esc(p.text)}" if p.text else ""
        entries.append(f"\n<br>{esc(p.rubric)} \n<br>{p.day:%Y-%m-%d} / {p.numac}  {image}{text}")
    head = (
        f" <p><font color=blue>{esc(e.name)}</font>&nbsp;&nbsp;{esc(_form(e))}  \n"
        f"<br>  {esc(_address(e))}\n<br>{_number_display(number)}"
    )
    main = (
        '         <main class="page__inner page__inner--content article-text" role="main">\n'
        + head
        + "\n<br><hr>".join(entries)
        + "\n<br><hr>\n<br>          </p>\n    \n"
        '   <button class="button button-full button-to-top button-to-top--left">'
        "Haut de la page</button>  \n        </main>\n"
    )
    return _shell("Annexe Personnes morales", crumbs, main, f"btw={number}&page=")


def encode(page: str) -> bytes:
    """ISO-8859-1 like the real site; characters outside it become numeric references."""
    return page.encode(CHARSET, errors="xmlcharrefreplace")


def _number_param(query: dict[str, list[str]], name: str) -> str | None:
    digits = "".join(c for c in (query.get(name) or [""])[0] if c.isdigit())
    return digits.zfill(10) if digits else None


def route(gazette: DemoGazette, path: str, query: dict[str, list[str]]) -> bytes | None:
    """The encoded page for ``/cgi_tsv/<path>``, or ``None`` (404) for an unknown path.

    An unknown enterprise number gets the real site's answer: a list of 0 publications.
    """
    if path == "/cgi_tsv/list.pl":
        raw_page = (query.get("page") or ["1"])[0]
        page = int(raw_page) if raw_page.isdigit() and int(raw_page) >= 1 else 1
        btw = _number_param(query, "btw")
        pubs = gazette.publications(btw) if btw else gazette.all_publications()
        return encode(list_page(gazette.world, pubs, page, btw))
    if path == "/cgi_tsv/article.pl":
        number = _number_param(query, "btw_search")
        if number is None:
            return None
        return encode(article_page(gazette.world, number, gazette.publications(number)))
    return None
