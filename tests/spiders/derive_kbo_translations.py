"""Derive German and English KBO public-search pages from a real French one (test fixtures).

The KBO public search serves the same page in FR, NL, DE and EN (``lang=`` parameter); only
the labels, section headings, grey remarks and the code-table words the site writes in the
page's language change. We hold real French pages only, so the DE and EN fixtures are made
from ``kbo_fr_<nr>.html`` by replacing exactly those texts (tables below) and the dates in
the remarks, keeping the structure and every value that is data (names, addresses, numbers,
NACE descriptions, legal forms). Where the wording of the real DE/EN site is not known, the
words are those of the KBO documentation (technical manual, cookbook) or plain translations:
the parser matches labels loosely, and these pages test that it reads the structure through
another vocabulary, not that it knows the site's exact German or English.

    python -m tests.spiders.derive_kbo_translations   # rewrites the fixtures
"""

from __future__ import annotations

import re
from pathlib import Path

KBO = Path(__file__).parents[1] / "fixtures" / "realworld" / "kbo"
SOURCES = ("0200065765", "0200171970")

_MONTHS_FR = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()
_MONTHS = {
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "en": "January February March April May June July August September October November December",
}

# French text -> (German, English). Longest first when applied.
TEXTS: dict[str, tuple[str, str]] = {
    "Données de l'entité enregistrée | BCE Public Search": (
        "Daten der registrierten Einheit | ZDU Public Search",
        "Registered entity data | CBE Public Search",
    ),
    "Données de l'entité enregistrée": (
        "Daten der registrierten Einheit",
        "Registered entity data",
    ),
    "Généralités": ("Allgemeine Angaben", "General information"),
    "Numéro d'entreprise:": ("Unternehmensnummer:", "Enterprise number:"),
    "Statut:": ("Status:", "Status:"),
    "Situation juridique:": ("Rechtslage:", "Legal situation:"),
    "Date de début:": ("Anfangsdatum:", "Start date:"),
    "Dénomination:": ("Name:", "Name:"),
    "Abréviation:": ("Abkürzung:", "Abbreviation:"),
    "Radiation d'office:": ("Amtliche Streichung:", "Ex officio deletion:"),
    "Radiation pour non-respect des obligations UBO": (
        "Streichung wegen Nichteinhaltung der UBO-Pflichten",
        "Deletion for failure to comply with the UBO obligations",
    ),
    "Adresse du siège:": ("Adresse des Sitzes:", "Registered seat's address:"),
    "Numéro de téléphone:": ("Telefonnummer:", "Phone number:"),
    "Numéro de fax:": ("Faxnummer:", "Fax number:"),
    "E-mail:": ("E-Mail:", "E-mail:"),
    "Adresse web:": ("Webadresse:", "Web Address:"),
    "Type d'entité:": ("Art der Einheit:", "Type of entity:"),
    "Forme légale:": ("Rechtsform:", "Legal form:"),
    "Nombre d'unités d'établissement (UE):": (
        "Anzahl der Niederlassungseinheiten (NE):",
        "Number of establishment units (EU):",
    ),
    "Données et Activités par UE": ("Daten und Tätigkeiten je NE", "Data and activities per EU"),
    "Liste UE - Données et Activités par UE": (
        "Liste NE - Daten und Tätigkeiten je NE",
        "EU list - Data and activities per EU",
    ),
    "Pas de données reprises dans la BCE.": (
        "Keine Daten in der ZDU aufgenommen.",
        "No data included in CBE.",
    ),
    "Actif": ("Aktiv", "Active"),
    "Situation normale": ("Normale Situation", "Normal situation"),
    "Personne morale": ("Juristische Person", "Legal person"),
    "Fonctions": ("Funktionen", "Functions"),
    "titulaires de fonctions légales pour cette entité.": (
        "Inhaber gesetzlicher Funktionen für diese Einheit.",
        "holders of legal functions for this entity.",
    ),
    "Il y a ": ("Es gibt ", "There are "),
    "Montrez les titulaires des fonctions": (
        "Inhaber der Funktionen anzeigen",
        "Show the function holders",
    ),
    "Masquez les titulaires de fonctions": (
        "Inhaber der Funktionen ausblenden",
        "Hide the function holders",
    ),
    "Administrateur": ("Verwalter", "Director"),
    "Capacités entrepreneuriales - ambulant - exploitant forain": (
        "Unternehmerische Fähigkeiten - ambulant - Kirmesbetreiber",
        "Entrepreneurial skills - itinerant - fairground operator",
    ),
    "Qualités": ("Eigenschaften", "Qualities"),
    "Employeur ONSS": ("Arbeitgeber LSS", "Employer NSSO"),
    "Assujettie à la TVA": ("MwSt.-pflichtig", "Subject to VAT"),
    "Pouvoir adjudicateur": ("Öffentlicher Auftraggeber", "Contracting authority"),
    "Autorisations": ("Zulassungen", "Authorisations"),
    "Activités TVA Code Nacebel version": (
        "MwSt-Tätigkeiten Nacebel-Code Version",
        "VAT activities Nacebel code version",
    ),
    "Activités ONSS Code Nacebel version": (
        "LSS-Tätigkeiten Nacebel-Code Version",
        "NSSO activities Nacebel code version",
    ),
    "Montrez les activités Code NACE-BEL version": (
        "Tätigkeiten anzeigen NACE-BEL-Code Version",
        "Show the activities NACE-BEL code version",
    ),
    "Masquer Activités Code NACE-BEL version": (
        "Tätigkeiten ausblenden NACE-BEL-Code Version",
        "Hide the activities NACE-BEL code version",
    ),
    "Données financières": ("Finanzdaten", "Financial data"),
    "Capital": ("Kapital", "Capital"),
    "Assemblée générale": ("Jahresversammlung", "Annual meeting"),
    "Date de fin de l'année comptable": (
        "Ende des Geschäftsjahres",
        "End date of the financial year",
    ),
    "Liens entre entités": ("Verbindungen zwischen Einheiten", "Links between entities"),
    "Liens externes": ("Externe Links", "External links"),
    "Publications au Moniteur belge": (
        "Veröffentlichungen im Belgischen Staatsblatt",
        "Publications in the Belgian Official Gazette",
    ),
    "Publications des comptes annuels à la BNB": (
        "Veröffentlichungen der Jahresabschlüsse bei der NBB",
        "Publications of the annual accounts at the NBB",
    ),
    "Répertoire des employeurs": ("Arbeitgeberverzeichnis", "Employer directory"),
    "Vers le haut de la page": ("Zum Seitenanfang", "Back to top"),
    "Retour": ("Zurück", "Back"),
    "Situation dans la banque de données BCE au": (
        "Stand der ZDU-Datenbank am",
        "Situation in the CBE database on",
    ),
}
_NAME_REMARK = re.compile(r"Dénomination en (néerlandais|français|allemand|anglais), depuis le ")
_LANGUAGES = {
    "néerlandais": ("Niederländisch", "Dutch"),
    "français": ("Französisch", "French"),
    "allemand": ("Deutsch", "German"),
    "anglais": ("English", "English"),
}
_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(_MONTHS_FR) + r") (\d{4})\b")
_SINCE = re.compile(r"Depuis le (?=\d)")
_MONTH_ONLY = re.compile(r">(\s*)(mai|décembre|juin)(\s*)<")
_FISCAL = re.compile(r">(\s*)31 décembre(\s*)<")


def translate(html: str, lang: str) -> str:
    """The French page ``html`` with its language-bound texts in ``lang`` (``de``/``en``)."""
    i = 0 if lang == "de" else 1
    months = _MONTHS[lang].split()
    out = html.replace('lang="fr" xml:lang="fr"', f'lang="{lang}" xml:lang="{lang}"')
    out = out.replace("lang=fr&", f"lang={lang}&")  # the site's own links (not the Gazette's)
    out = _NAME_REMARK.sub(
        lambda m: (
            f"Name auf {_LANGUAGES[m.group(1)][0]}, seit dem "
            if lang == "de"
            else f"Name in {_LANGUAGES[m.group(1)][1]}, since "
        ),
        out,
    )
    out = _SINCE.sub("Seit dem " if lang == "de" else "Since ", out)
    out = _FISCAL.sub(
        lambda m: f">{m.group(1)}{'31. Dezember' if lang == 'de' else 'December 31'}{m.group(2)}<",
        out,
    )
    out = _MONTH_ONLY.sub(
        lambda m: f">{m.group(1)}{months[_MONTHS_FR.index(m.group(2))]}{m.group(3)}<", out
    )
    out = _DATE.sub(
        lambda m: (
            f"{m.group(1)}. {months[_MONTHS_FR.index(m.group(2))]} {m.group(3)}"
            if lang == "de"
            else f"{months[_MONTHS_FR.index(m.group(2))]} {m.group(1)}, {m.group(3)}"
        ),
        out,
    )
    for french in sorted(TEXTS, key=len, reverse=True):
        before = r"(?<![\w'])" if french[0].isalnum() else ""
        after = r"(?![\w'])" if french[-1].isalnum() else ""
        out = re.sub(before + re.escape(french) + after, TEXTS[french][i], out)
    # the activity group before each NACE code: "TVA 2025", "TVA2003", "ONSS2025"
    out = re.sub(r"\bTVA(?=\s?\d{4})", ("MwSt", "VAT")[i], out)
    return re.sub(r"\bONSS(?=\s?\d{4})", ("LSS", "NSSO")[i], out)


def main() -> None:
    for nr in SOURCES:
        html = (KBO / f"kbo_fr_{nr}.html").read_text(encoding="utf-8")
        for lang in ("de", "en"):
            (KBO / f"kbo_{lang}_{nr}.html").write_text(translate(html, lang), encoding="utf-8")


if __name__ == "__main__":
    main()
