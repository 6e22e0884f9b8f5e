"""The company-register clone: kbopub enterprise pages, the "not found" page, the list pages.

The enterprise page reproduces the skeleton of the real kbopub.economie.fgov.be pages (FR) kept
in /work/shared/realdata/B/kbopub_fr_Yamnyr/: the same head and chrome, one ``<table>`` of
``td.QL``/``td.RL`` label rows alternating, section headings ``td.I > h2``, dates in spans
``span.upd`` ("Depuis le 1 janvier 2022"), functions in the hidden ``table#toonfctie``,
qualities ("Employeur ONSS"), NACE sections and the external links. One parser must read both.
"""

from __future__ import annotations

from datetime import date

from demo.model import DemoEmployer, DemoPerson
from demo.numbers import dotted, kbo_phone
from demo.pages import esc, french_date

NO_DATA = "Pas de données reprises dans la BCE."
SNAPSHOT = "15/09/2025"
LIST_PER_PAGE = 50
_SPACER3 = '<tr><td colspan="3">&nbsp;<br/>&nbsp;</td></tr>'

_HEAD = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml" lang="fr" xml:lang="fr"><head>'
    "<title>{title} | BCE Public Search</title>"
    '<meta content="IE=Edge" http-equiv="X-UA-Compatible"/>'
    '<meta content="no-store" http-equiv="Cache-Control"/>'
    '<meta content="no-cache" http-equiv="Pragma"/><meta content="0" http-equiv="Expires"/>'
    '<meta content="text/html; charset=utf-8" http-equiv="content-type"/>'
    '<meta content="text/javascript" http-equiv="Content-Script-Type"/>'
    '<meta content="text/css" http-equiv="Content-Style-Type"/>'
    '<meta content="noindex,nofollow" name="robots"/>'
    '<link href="/kbopub/images/template/favicon.png" type="image/png" rel="icon"/>'
    '<link title="default" href="/kbopub/styles/kbo-screen.css" type="text/css" rel="stylesheet"/>'
    '<link href="/kbopub/styles/bg_fr.css" type="text/css" rel="stylesheet"/>'
    '<script type="text/javascript" src="/kbopub/scripts/common.js"></script></head>'
    '<body onunload="" onload="" class="statistics statistics">'
    '<div class="allContainer" id="page"><div class="headerWrapper">'
    '<div id="blgm_belgiumHeader"><div class="blgm_wrapper"><ul id="blgm_languageSwitch">'
    '<li style="font-size: 14px;"><a href="/kbopub/toonondernemingps.html?lang=nl{q}" '
    'class="blgm_lSwitch" title="Nederlands">nl</a></li>'
    '<li style="font-size: 14px;" class="blgm_first blgm_active">'
    '<span class="blgm_lSwitch" title="français" lang="fr">fr</span></li>'
    '<li style="font-size: 14px;"><a href="/kbopub/toonondernemingps.html?lang=de{q}" '
    'class="blgm_lSwitch" title="Deutsch">de</a></li>'
    '<li style="font-size: 14px;"><a href="/kbopub/toonondernemingps.html?lang=en{q}" '
    'class="blgm_lSwitch" title="English">en</a></li></ul>'
    '<div id="blgm_beLink">\n\t\t\t\tAutres informations et services officiels: '
    '<a href="http://www.belgium.be/fr" class="blgm_beLink" title="http://www.belgium.be/fr/">'
    "www.belgium.be</a></div></div></div>"
    '<ul class="toolbar"><li><a href="/kbopub/zoeknummerform.html"><span>Accueil</span></a></li>'
    '<li class="last"><a href="/kbopub/glossarium.html"><span>Contact</span></a></li></ul>'
    '<div class="topNavigations"><ul class="horizontalNav horizontal navFirstElt topNav">'
    '<li style="font-size: 12px;" class="active"><a href="/kbopub/zoeknummerform.html">'
    "Nouvelle recherche <br/>par numéro</a></li></ul></div></div>"
    '<div id="content"><div style="margin-bottom: 5px;" id="main">\n\t&nbsp;\n\t'
)
_FOOT = (
    '<br/><a id="up" href="#top">Vers le haut de la page</a> &nbsp;\n\t'
    '<a href="javascript:history.go(-1)">Retour</a><div id="underground"></div></div></div>'
    '<div id="footer"><div id="naam_fod">SPF Economie, PME, Classes moyennes et Energie.</div>'
    f'<div id="last_update">Situation dans la banque de données BCE au {SNAPSHOT}</div></div>'
    "</div>\n"
    '<script type="text/javascript">\n\t\t//<![CDATA[\n'
    "\t\tfunction toggle(a, b, c, show) {\n"
    "\t\t\tdocument.getElementById(a).style.display = show ? 'none' : '';\n"
    "\t\t\tdocument.getElementById(b).style.display = show ? '' : 'none';\n"
    "\t\t\tdocument.getElementById(c).style.display = show ? '' : 'none';\n\t\t}\n"
    "\t\tfunction butFunct_onclick(soort) { "
    "toggle('klikfctie', 'verbergfctie', 'toonfctie', soort == 'toon'); }\n"
    "\t\tfunction butBTW2008_onclick(soort) { "
    "toggle('klikbtw2008', 'verbergbtw2008', 'toonbtw2008', soort == 'toonbtw'); }\n"
    "\t\tfunction butBTW2003_onclick(soort) { "
    "toggle('klikbtw', 'verbergbtw', 'toonbtw', soort == 'toonbtw'); }\n"
    "\t\t//]]>\n\t</script></body></html>"
)


def _head(title: str, number: str = "") -> str:
    q = f"&ondernemingsnummer={esc(number)}" if number else ""
    return _HEAD.format(title=esc(title), q=q)


def _since(day: date) -> str:
    return f'<span class="upd">Depuis le {french_date(day)}</span>'


def _section(title: str, colspan: int = 4) -> str:
    return f'<tr><td class="I" colspan="{colspan}"><h2>{title}</h2></td></tr>'


def _no_data(colspan: int = 3) -> str:
    return f'<tr><td class="QL" colspan="{colspan}">{NO_DATA}</td></tr>'


class _Rows:
    """Label rows whose class alternates QL, RL, QL… as on kbopub."""

    def __init__(self) -> None:
        self.n = 0
        self.html: list[str] = []

    def cls(self) -> str:
        c = "QL" if self.n % 2 == 0 else "RL"
        self.n += 1
        return c

    def label(self, label: str, value: str, *, nl_after_label: bool = True,
              colspan: int = 3) -> None:
        c = self.cls()
        tail = "\n\t\t\t\t" if nl_after_label else ""
        self.html.append(f'<tr><td class="{c}">{label}{tail}</td>'
                         f'<td class="{c}" colspan="{colspan}">{value}</td></tr>')

    def contact(self, label: str, value_html: str | None, since: date,
                empty_cell: bool = False) -> None:
        """A contact row: the value and its date in a nested table (phones add an empty cell)."""
        if value_html is None:
            self.label(label, NO_DATA)
            return
        gap = "<td/>" if empty_cell else ""
        self.label(label, '<table cellspacing="0" cellpadding="0" width="100%"><tr>'
                          f'<td width="60%">{value_html}</td>{gap}<td>{_since(since)}</td></tr>'
                          "</table>")

    def line(self, inner: str, colspan: int = 3) -> None:
        c = self.cls()
        self.html.append(f'<tr><td class="{c}" colspan="{colspan}">{inner}</td></tr>')


def _generalities(e: DemoEmployer) -> str:
    rows = _Rows()
    out = ['<tr><td class="I" colspan="4"><h2>Généralités</h2></td></tr>']
    rows.label("Numéro d'entreprise:", f"{e.dotted_number}\n\t\t\t\t\t", nl_after_label=False)
    rows.label("Statut:", f'<strong><span class="pageactief">{e.status_label_fr}</span></strong>',
               nl_after_label=False)
    rows.label("Situation juridique:\n\t\t\t\t\t\t",
               f'<strong><span class="pageactief">{esc(e.juridical_situation_label_fr)}</span>'
               f"</strong><br/>{_since(e.juridical_situation_date)}<br/>", nl_after_label=False)
    out += rows.html
    rows.html = []
    out.append("<tr></tr>")
    rows.label("Date de début:", f"{french_date(e.start_date)}<br/>", nl_after_label=False)
    language = "en français" if e.language == "fr" else "en néerlandais"
    rows.label("Dénomination:", f"{esc(e.name)}<br/><span class=\"upd\">Dénomination {language}, "
               f"depuis le {french_date(e.start_date)}</span><br/>", nl_after_label=False)
    if e.abbreviation:
        rows.label("Abréviation:",
                   f"\n\t\t\t\t\t\t\t\t{esc(e.abbreviation)}<br/><span class=\"upd\">"
                   f"Dénomination {language}, depuis le {french_date(e.start_date)}</span><br/>",
                   nl_after_label=False)
    if e.struck_off_reason and e.struck_off_date:
        rows.label("Radiation d'office:\n\t\t\t\t\t",
                   f"\n\t\t\t\t\t\t{esc(e.struck_off_reason)}\n\t\t\t\t\t\t<br/>"
                   f"{_since(e.struck_off_date)}<br/>", nl_after_label=False)
        out += rows.html
    else:
        out += rows.html
        out.append("<tr></tr>")
    rows.html = []
    a = e.address
    box = f"&nbsp;boîte&nbsp;{esc(a.box)}" if a.box else ""
    rows.label("Adresse du siège:",
               f"\n\t\t\t\t\t\t\t\t\t\t\t\t{esc(a.street_fr)}&nbsp;{esc(a.house_number)}{box}"
               f"\n\t\t\t\t\t\t\t\t\t\t\t<br/>{esc(a.postcode)}&nbsp;{esc(a.municipality_fr)}"
               '\n\t\t\t\t\t\t\t\t\t<span class="upd"><br/>'
               f"Depuis le {french_date(e.address_since)}"
               "</span>", nl_after_label=False)
    rows.contact("Numéro de téléphone:",
                 f"\n\t\t\t\t\t\t\t\t\t\t\t{kbo_phone(e.phone)}\n\t\t\t\t\t\t\t\t\t\t\t"
                 if e.phone else None, e.start_date, empty_cell=True)
    rows.contact("Numéro de fax:", None, e.start_date)
    link_class = "RL" if rows.n % 2 else "QL"  # the class of the row about to be written
    rows.contact("E-mail:", f'<a href="mailto:{esc(e.email)}" class="{link_class}">'
                 f"{esc(e.email)}</a>" if e.email else None, e.start_date)
    link_class = "RL" if rows.n % 2 else "QL"
    rows.contact("Adresse web:", f'<a href="http://{esc(e.website)}" class="{link_class}" '
                 'onclick="window.open(this.href); return false;">'
                 f"{esc(e.website)}</a>" if e.website else None, e.start_date)
    rows.label("Type d'entité:", "Personne morale")
    rows.label("Forme légale:\n\t\t\t\t\t\t",
               f"\n\t\t\t\t\t\t\t{esc(e.form.label_fr)}\n\n\t\t\t\t\t\t\t<br/>"
               f"{_since(e.legal_form_since)}", nl_after_label=False)
    c = rows.cls()
    short = int(e.enterprise_number)
    rows.html.append(
        f'<tr><td class="{c}">Nombre d\'unités d\'établissement (UE):\n\t\t\t\t</td>'
        f'<td class="{c}" colspan="2"><strong>1</strong>&nbsp;\n\t\t\t\t\t\t\t'
        f'<a href="toonvestigingps.html?ondernemingsnummer={short}" class="{c}">'
        "Données et Activités par UE</a><br/></td></tr>")
    out += rows.html
    return "".join(out)


def _functions(e: DemoEmployer, persons: list[DemoPerson]) -> str:
    out = [_SPACER3, _section("Fonctions")]
    if not e.directors:
        return "".join(out) + _no_data()
    n = len(e.directors)
    text = f"Il y a {n} titulaires de fonctions légales pour cette entité. "
    out.append(
        f'<tr><td class="QL" colspan="3"><span id="klikfctie">{text}<a href ="#null"  '
        "onclick=\"return butFunct_onclick('toon')\">Montrez les titulaires des fonctions</a>."
        f'</span><span style="display: none" id="verbergfctie">{text}<a href ="#null"  '
        "onclick=\"return butFunct_onclick('verberg')\">Masquez les titulaires de fonctions</a>."
        "</span></td></tr>")
    rows = []
    ordered = sorted(e.directors, key=lambda f: (persons[f.person_id].last_name,
                                                 persons[f.person_id].first_name))
    for i, f in enumerate(ordered):
        c = "RL" if i % 2 == 0 else "QL"
        p = persons[f.person_id]
        rows.append(
            f'<tr><td class="{c}">{esc(f.role)}\n\t\t\t\t\t\t\t\t\t\t\t</td>'
            f'<td class="{c}">\n\t\t\t\t\t\t\t\t\t\t\t\t\t {esc(p.last_name)} ,&nbsp;  '
            f"{esc(p.first_name)}&nbsp;\n\t\t\t\t\t\t\t\t\t\t\t\t</td>"
            f'<td class="{c}">{_since(f.start_date)}</td></tr>')
    out.append('<tr><td colspan="3"><table style="display: none" id="toonfctie" cellspacing="0" '
               'cellpadding="7" width="100%">' + "".join(rows) + "</table></td></tr>")
    return "".join(out)


def _qualities(e: DemoEmployer) -> str:
    out = [_SPACER3, _section("Capacités entrepreneuriales - ambulant - exploitant forain"),
           _no_data(), _SPACER3, _section("Qualités")]
    rows = _Rows()
    if e.onss_employer and e.onss_since:
        rows.line(f"Employeur ONSS<br/>{_since(e.onss_since)}<br/>")
    if e.vat_since:
        rows.line(f"Assujettie à la TVA<br/>{_since(e.vat_since)}<br/>")
    out += rows.html or [_no_data()]
    out += [_SPACER3, _section("Autorisations"), _no_data()]
    return "".join(out)


def _activity_rows(e: DemoEmployer, group: str, version: str) -> str:
    rows = _Rows()
    since = date(2025, 1, 1) if version == "2025" else max(e.start_date, date(2008, 1, 1))
    label = f"{group} {version}" if group == "TVA" else f"{group}{version}"
    for nace in e.nace if group == "TVA" else e.nace[:1]:
        code = (f'<a href="naceToelichting.html?nace.code={nace.code}&amp;nace.version={version}">'
                f"{nace.dotted}</a>" if version == "2025" else nace.dotted)
        rows.line(f"{label}&nbsp;\n\t\t\t\t\t\t\t{code}\n\t\t\t\t\t\t\t&nbsp;-&nbsp;\n\t\t\t\t\t\t\t"
                  f"{esc(nace.label_fr)}<br/>{_since(since)}")
    return "".join(rows.html)


def _activities(e: DemoEmployer) -> tuple[str, str]:
    """(visible 2025 sections + toggles, hidden 2008 table) — empty when no activity."""
    visible: list[str] = []
    hidden: list[str] = []
    if e.vat_since or not e.onss_employer:  # same rule as the open-data export
        visible += [_SPACER3, _section("Activités TVA Code Nacebel version 2025<sup>(1)</sup>", 3),
                    _activity_rows(e, "TVA", "2025")]
        hidden += [_SPACER3, _section("Activités TVA Code Nacebel version 2008<sup>(2)</sup>", 3),
                   _activity_rows(e, "TVA", "2008")]
    if e.onss_employer:
        visible += [_SPACER3, _section("Activités ONSS Code Nacebel version 2025<sup>(1)</sup>", 3),
                    _activity_rows(e, "ONSS", "2025")]
        hidden += [_SPACER3, _section("Activités ONSS Code Nacebel version 2008<sup>(2)</sup>", 3),
                   _activity_rows(e, "ONSS", "2008")]
    visible.append(
        '<tr><td colspan="3">&nbsp;</td></tr><tr><td colspan="3"><span id="klikbtw2008">'
        "<a href =\"#null\"  onclick=\"return butBTW2008_onclick('toonbtw')\">Montrez les "
        "activités Code NACE-BEL version 2008</a>.</span><span style=\"display: none\" "
        "id=\"verbergbtw2008\"><a href =\"#null\"  onclick=\"return "
        "butBTW2008_onclick('verbergbtw')\">Masquer Activités Code NACE-BEL version 2008</a>."
        "</span></td></tr>")
    return "".join(visible), "".join(hidden)


def enterprise_page(e: DemoEmployer, persons: list[DemoPerson]) -> str:
    """The kbopub page of one enterprise of the demo register."""
    visible, hidden = _activities(e)
    links = (
        '<tr><td>\n\t\t\t\t\t\t\t\t<a class="external" href="https://www.ejustice.just.fgov.be/'
        f'cgi_tsv/list.pl?language=fr&btw={e.enterprise_number}&page=1&view_numac='
        f'{e.enterprise_number}#SUM" onclick="window.open(this.href); return false;">'
        "Publications au Moniteur belge</a>\n\t\t\t\t\t\t\t<br/>\n\t\t\t\t\t\t\t\t\t"
        f'<a class="external" href="https://consult.cbso.nbb.be/consult-enterprise/'
        f'{e.enterprise_number}" onclick="window.open(this.href); return false;">'
        "Publications des comptes annuels à la BNB</a>\n\t\t\t\t\t\t\t\t<br/>"
    )
    if e.onss_employer:
        links += ('\n\t\t\t\t\t<a class="external" href="https://employer-identification-consult.'
                  f'socialsecurity.be/employer/enterprise/{e.enterprise_number}" '
                  'onclick="window.open(this.href); return false;">Répertoire des employeurs</a>'
                  "\n\t\t\t\t<br/>")
    links += "</td></tr>"
    no_activity = "" if visible else (
        _SPACER3 + _section("Activités") + '<tr><td class="QL" colspan="4">' + NO_DATA
        + "</td></tr>")
    table = (
        '<div id="table"><table cellspacing="0" cellpadding="7" width="100%">'
        + _generalities(e)
        + _functions(e, persons)
        + _qualities(e)
        + visible
        + '</table><table style="display: none" id="toonbtw2008" cellspacing="0" cellpadding="7" '
        'width="100%">' + hidden + "</table>"
        '<table style="display: none" id="toonbtw" cellspacing="0" cellpadding="7" '
        'width="100%"></table>'
        '<table cellspacing="0" cellpadding="7" width="100%">'
        + _SPACER3 + _section("Données financières")
        + '<tr><td class="QL">Assemblée générale</td><td class="QL" colspan="3">\n\t\t\t\t\t\t\t'
        "juin\n\t\t\t\t\t\t</td></tr>"
        '<tr><td class="RL">Date de fin de l\'année comptable\n</td><td class="RL" colspan="3">'
        "\n\t\t\t\t\t\t\t31 décembre\n\t\t\t\t\t\t</td></tr>"
        '<tr><td colspan="4">&nbsp;<br/>&nbsp;</td></tr>'
        + _section("Liens entre entités") + _no_data()
        + no_activity
        + _SPACER3 + _section("Liens externes") + links
        + '</table><div id="EndTable"/></div>'
    )
    return (_head("Données de l'entité enregistrée", e.enterprise_number)
            + "<h1>Données de l'entité enregistrée</h1>" + table + _FOOT)


def not_found_page(number: str) -> str:
    """What the demo answers for an unknown number (HTTP 200).

    No real "not found" page was available; this shape is invented to look like the site:
    the same chrome, the search form heading, and one ``p.errormessage`` sentence.
    """
    shown = dotted(number) if len(number) == 10 and number.isdigit() else number
    return (_head("Recherche par numéro", number)
            + "<h1>Recherche par numéro d'entreprise ou d'unité d'établissement</h1>"
            + '<div id="notfound"><p class="errormessage">'
            + f"Le numéro {esc(shown)} n'a pas été trouvé dans la Banque-Carrefour des "
              "Entreprises.</p></div>" + _FOOT)


def list_page(numbers: list[str], names: list[str], page: int, n_pages: int) -> str:
    """Demo-only crawl entry: 50 enterprise links per page."""
    items = "".join(
        f'<li><a class="kbo-link" href="/kbopub/toonondernemingps.html?lang=fr&amp;'
        f'ondernemingsnummer={n}">{dotted(n)}</a> {esc(name)}</li>'
        for n, name in zip(numbers, names, strict=True))
    nav = ""
    if page > 1:
        nav += f'<a rel="prev" href="/kbopub/list.html?page={page - 1}">Précédent</a> '
    if page < n_pages:
        nav += f'<a rel="next" href="/kbopub/list.html?page={page + 1}">Suivant</a>'
    return (_head("Liste des entités")
            + f"<h1>Liste des entités (page {page} / {n_pages})</h1>"
            + f'<ul class="kbo-list">{items}</ul><div class="pagination">{nav}</div>' + _FOOT)
