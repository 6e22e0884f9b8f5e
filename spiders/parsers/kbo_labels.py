"""The labels of the KBO/BCE public search in French, Dutch, German and English.

French and Dutch labels are taken from real pages (``kbopub_fr_Yamnyr`` and the NL key/value
dump ``kbo_scraped_records_TP3.json``); English from a published copy of an English page;
German ones are inferred from the site's vocabulary and the official code tables, so they are
matched loosely (accents, case and trailing colons ignored). Keys are our field names.
"""

from __future__ import annotations

import re
import unicodedata


def norm(text: str) -> str:
    """Lower-case, accent-free, single-spaced, without trailing colon: the label key."""
    text = unicodedata.normalize("NFKD", text.replace("\xa0", " "))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("’", "'")
    return re.sub(r"\s+", " ", text).strip().rstrip(":").strip()


def _n(*labels: str) -> frozenset[str]:
    return frozenset(norm(label) for label in labels)


# Rows of the "general" block: label -> field.
GENERAL_LABELS: dict[str, frozenset[str]] = {
    "enterprise_number": _n(
        "Numéro d'entreprise", "Ondernemingsnummer", "Unternehmensnummer", "Enterprise number"
    ),
    "status": _n("Statut", "Status"),
    "juridical_situation": _n(
        "Situation juridique",
        "Rechtstoestand",
        "Rechtslage",
        "Rechtszustand",
        "Legal situation",
        "Juridical situation",
    ),
    "start_date": _n("Date de début", "Begindatum", "Anfangsdatum", "Startdatum", "Start date"),
    "name": _n("Dénomination", "Naam", "Name", "Bezeichnung", "Benennung", "Denomination"),
    "abbreviation": _n("Abréviation", "Afkorting", "Abkürzung", "Abbreviation"),
    "commercial_name": _n(
        "Dénomination commerciale", "Handelsnaam", "Handelsname", "Commercial name", "Trade name"
    ),
    "branch_name": _n(
        "Dénomination de la succursale",
        "Naam van het bijkantoor",
        "Name der Zweigniederlassung",
        "Branch name",
    ),
    "struck_off": _n(
        "Radiation d'office",
        "Ambtshalve doorhaling",
        "Amtliche Streichung",
        "Ex officio striking off",
        "Ex officio deletion",
    ),
    "seat_address": _n(
        "Adresse du siège",
        "Adresse du siège social",
        "Adres van de zetel",
        "Adres van de maatschappelijke zetel",
        "Maatschappelijke zetel",
        "Adresse des Sitzes",
        "Adresse des Gesellschaftssitzes",
        "Registered seat's address",
        "Address of the seat",
        "Address of the registered office",
    ),
    "phone": _n(
        "Numéro de téléphone", "Telefoonnummer", "Telefonnummer", "Phone number", "Telephone number"
    ),
    "fax": _n("Numéro de fax", "Faxnummer", "Fax number", "Fax"),
    "email": _n("E-mail", "Email", "E-Mail", "E-mailadres", "E-Mail-Adresse"),
    "website": _n(
        "Adresse web", "Webadres", "Webadresse", "Internetadresse", "Web Address", "Website"
    ),
    "entity_type": _n(
        "Type d'entité",
        "Type entiteit",
        "Art der Einheit",
        "Entitätstyp",
        "Type of entity",
        "Entity type",
    ),
    "legal_form": _n("Forme légale", "Forme juridique", "Rechtsvorm", "Rechtsform", "Legal form"),
    "capital": _n("Capital", "Kapitaal", "Kapital"),
    "general_meeting": _n(
        "Assemblée générale",
        "Jaarvergadering",
        "Generalversammlung",
        "Jahresversammlung",
        "Annual meeting",
        "Annual general meeting",
    ),
    "fiscal_year_end": _n(
        "Date de fin de l'année comptable",
        "Einddatum boekjaar",
        "Ende des Geschäftsjahres",
        "Enddatum des Geschäftsjahres",
        "End date of the financial year",
        "End of fiscal year",
        "End date financial year",
    ),
}
# Labels that only need to start with one of these (they carry a varying suffix).
ESTABLISHMENT_PREFIXES = tuple(
    norm(p)
    for p in (
        "Nombre d'unités d'établissement",
        "Aantal vestigingseenheden",
        "Anzahl Niederlassungseinheiten",
        "Anzahl der Niederlassungseinheiten",
        "Number of establishment units",
    )
)

# Section headings (<h2>): section -> keywords a normalised heading starts with.
SECTION_PREFIXES: dict[str, tuple[str, ...]] = {
    "general": ("generalites", "algemeen", "algemene gegevens", "allgemein", "general"),
    "functions": ("fonctions", "functies", "funktionen", "functions"),
    "skills": (
        "capacites entrepreneuriales",
        "ondernemersvaardigheden",
        "ondernemingsvaardigheden",
        "unternehmerische",
        "entrepreneurial",
    ),
    "qualities": (
        "qualites",
        "hoedanigheden",
        "eigenschaften",
        "qualitaten",
        "characteristics",
        "capacities",
        "qualities",
    ),
    "authorisations": (
        "autorisations",
        "toelatingen",
        "genehmigungen",
        "zulassungen",
        "authorisations",
        "authorizations",
        "licences",
        "licenses",
        "permits",
    ),
    "financial": (
        "donnees financieres",
        "financiele gegevens",
        "finanzdaten",
        "finanzielle angaben",
        "financial",
    ),
    "entity_links": (
        "liens entre entites",
        "linken tussen entiteiten",
        "banden tussen",
        "verbindungen zwischen",
        "links between entities",
    ),
    "external_links": (
        "liens externes",
        "externe links",
        "externe verknupfungen",
        "external links",
    ),
    "activities": ("activites", "activiteiten", "tatigkeiten", "aktivitaten", "activities"),
}

NO_DATA = re.compile(
    r"^(pas de donnees|geen gegevens|keine (daten|angaben)|no data)", re.IGNORECASE
)
FUNCTION_COUNT = re.compile(r"(?:il y a|er zijn|es gibt|there (?:are|is))\s+(\d+)", re.IGNORECASE)
NOT_FOUND = re.compile(
    r"(pas connu|inconnu|pas (?:ete )?trouv|introuvable|n'existe pas"
    r"|aucune? (?:entite|entreprise|donnee)"
    r"|niet gekend|niet gevonden|onbekend|bestaat niet|geen (?:enkele )?(?:entiteit|onderneming)"
    r"|nicht bekannt|nicht gefunden|unbekannt|existiert nicht|keine (?:einheit|unternehmen)"
    r"|not found|unknown|does not exist|no (?:entity|enterprise) (?:was )?found)",
    re.IGNORECASE,
)

STATUS_CODES: dict[str, str] = {
    "actif": "AC",
    "actief": "AC",
    "aktiv": "AC",
    "active": "AC",
    "arrete": "ST",
    "stopgezet": "ST",
    "beendet": "ST",
    "eingestellt": "ST",
    "stopped": "ST",
}
ENTITY_TYPES: dict[str, str] = {
    "personne morale": "legal_person",
    "rechtspersoon": "legal_person",
    "juristische person": "legal_person",
    "legal person": "legal_person",
    "legal entity": "legal_person",
    "personne physique": "natural_person",
    "natuurlijk persoon": "natural_person",
    "naturliche person": "natural_person",
    "natural person": "natural_person",
}
NAME_LANGUAGES: dict[str, str] = {
    "francais": "fr",
    "frans": "fr",
    "franzosisch": "fr",
    "french": "fr",
    "neerlandais": "nl",
    "nederlands": "nl",
    "niederlandisch": "nl",
    "dutch": "nl",
    "allemand": "de",
    "duits": "de",
    "deutsch": "de",
    "german": "de",
    "anglais": "en",
    "engels": "en",
    "englisch": "en",
    "english": "en",
}
# "Employeur ONSS" and its translations (not ONSSAPL/RSZPPO, a distinct former register).
ONSS_EMPLOYER = re.compile(r"^(employeur|werkgever|arbeitgeber|employer)\s+(onss|rsz|lss|nsso)$")
# The VAT quality: FR and NL from real pages ("Assujettie à la TVA", "Onderworpen aan btw"),
# EN and DE inferred.
VAT_LIABLE = re.compile(
    r"^(assujetti(e)? a la tva|onderworpen aan (de )?btw|btw-plichtig(e)?|subject to vat"
    r"|vat[- ]liable|liable (for|to) vat|mwst\.?-?pflichtig|mehrwertsteuerpflichtig"
    r"|der mwst\.? unterworfen)$"
)
# NACE activity groups, as in the KBO code table "ActivityGroup".
ACTIVITY_GROUPS: dict[str, str] = {
    "tva": "001",
    "btw": "001",
    "mwst": "001",
    "vat": "001",
    "onssapl": "005",
    "rszppo": "005",
    "onss": "006",
    "rsz": "006",
    "lss": "006",
    "nsso": "006",
}
