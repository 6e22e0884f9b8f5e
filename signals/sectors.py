"""The high-risk sectors of MISSION.md risk 4 (and art. 30bis construction), recognised from the
register's NACE codes and from the wording of an ad, listing or site.

A :class:`Sector` lists NACE-BEL 2008 code prefixes (dots removed: ``45203`` car wash, ``812``
cleaning, ``41``–``43`` construction…) and folded phrases (see :mod:`signals.phrases`: accents
and case ignored, whole words). :func:`sector_hits` returns every sector a record shows, with
the fact behind it (the NACE code from the register, or the quote from the text). Other rules
call it to raise their severity one step ("low alone, raises others").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signals.phrases import Phrase, find_phrases
from storage.models import Employer, Record


@dataclass(frozen=True)
class Sector:
    key: str
    label: str
    nace_prefixes: tuple[str, ...]
    pattern: str  # folded wording (signals.phrases syntax)


SECTORS: tuple[Sector, ...] = (
    Sector("car_wash", "hand car wash", ("45203",),
           r"car ?wash|lavage (?:auto|de voitures?|a la main)|handwash|hand car wash"
           r"|autowas(?:sen|serij|straat)?|wasstraat"),
    Sector("night_shop", "night shop", (),
           r"night ?shops?|nachtwinkels?|magasin de nuit|epicerie de nuit"),
    Sector("massage", "massage parlour", ("9604",),
           r"salons? de massage|massagesalons?|massage (?:parlou?r|salon)|masseuses?"
           r"|massages? (?:thai|relaxant|tantrique)"),
    Sector("cleaning", "cleaning", ("812",),
           r"nettoyage|femme de menage|aide menagere|technicien(?:ne)? de surface"
           r"|schoonmaa?k(?:ster|ers?|bedrijf)?|poetshulp|poetsvrouw|huishoudhulp"
           r"|cleaning|cleaners?|titres? services|dienstencheques?"),
    Sector("construction", "construction (art. 30bis)", ("41", "42", "43"),
           r"chantiers?|macons?|maconnerie|carreleurs?|plafonneurs?|coffreurs?|ferrailleurs?"
           r"|demolition|gros oeuvre|bouwvakkers?|metsers?|bouwplaats|werf|tegelzetters?"
           r"|stukadoors?|construction workers?|bricklayers?|building site|renovation"),
    Sector("au_pair", "au pair / domestic work", ("97",),
           r"au ?pairs?|garde d enfants|nounou|baby ?sit(?:ter|ting)?|kinderoppas"
           r"|inwonend(?:e)? (?:hulp|kracht)|live in (?:nanny|carer|help)|domestic (?:work|help)"),
    Sector("care", "home care", ("881",),
           r"aide a domicile|garde malade|thuiszorg|bejaardenhulp|live in carer|caregiver"),
    Sector("horeca", "horeca / exotic restaurants and bars", ("55", "56"),
           r"horeca|plongeurs?|commis de cuisine|serveur|serveuse|barman|barmaid|snack ?bar"
           r"|friterie|frituur|kebab|pitta|shisha|chicha|afwasser|keukenhulp|dienster"
           r"|kelner|waiter|waitress|dishwasher|restaurant"),
    Sector("retail_food", "food retail (night shops)", ("4711",), r"(?!x)x"),
    Sector("second_hand", "second-hand clothing", ("4779",),
           r"fripes?|friperie|seconde main|tweedehands ?kleding|second ?hand cloth(?:es|ing)"
           r"|vetements? d occasion|textile sorting|tri (?:de )?textile"),
    Sector("transport", "transport and delivery", ("4941", "532"),
           r"livreurs?|coursiers?|koeriers?|bezorgers?|delivery (?:driver|rider)"
           r"|chauffeurs? (?:poids lourds?|livreur|c ?e)|vrachtwagenchauffeurs?"),
    Sector("temp_work", "temporary work", ("782",),
           r"interim|uitzend(?:arbeid|kracht|bureau)?|temp(?:orary)? work agency"),
)
SECTORS_BY_KEY = {s.key: s for s in SECTORS}
_PHRASES = [Phrase(s.key, s.key, s.label, s.pattern) for s in SECTORS]


@dataclass(frozen=True)
class SectorHit:
    """One sector seen, and the fact that shows it."""

    sector: str
    label: str
    source: str  # "register" | "wording" | "category"
    evidence: str  # the NACE code or the quote

    def as_fact(self) -> dict[str, Any]:
        return {"sector": self.sector, "label": self.label, "source": self.source,
                "evidence": self.evidence}


def clean_nace(code: str) -> str:
    """``45.203`` / ``45203`` / ``2008:45.203`` → ``45203``."""
    return "".join(c for c in str(code).split(":")[-1] if c.isdigit())


def nace_hits(employer: Employer | None) -> list[SectorHit]:
    """Sectors shown by the employer's NACE activities in the register."""
    if employer is None:
        return []
    hits: list[SectorHit] = []
    for code in employer.nace_codes or []:
        digits = clean_nace(code)
        for sector in SECTORS:
            if any(digits.startswith(p) for p in sector.nace_prefixes):
                hits.append(SectorHit(sector.key, sector.label, "register", str(code)))
    return hits


def record_text(record: Record) -> tuple[str, str]:
    """The (category, title + description) of a record, as seen."""
    raw = record.raw or {}
    category = str(raw.get("category") or "")
    text = " \n".join(str(p) for p in (record.title or raw.get("title"),
                                        raw.get("description")) if p)
    return category, text


def wording_hits(record: Record) -> list[SectorHit]:
    """Sectors shown by the record's own words (listing category, title, description)."""
    category, text = record_text(record)
    hits: list[SectorHit] = []
    for source, value in (("category", category), ("wording", text)):
        for hit in find_phrases(value, _PHRASES):
            hits.append(SectorHit(hit.phrase.id, hit.phrase.gloss, source, hit.quote))
    return hits


def sector_hits(record: Record | None, employer: Employer | None) -> list[SectorHit]:
    """Every high-risk sector shown by the register (NACE) and the record's wording; one hit
    per (sector, source), register first."""
    found = nace_hits(employer) + (wording_hits(record) if record is not None else [])
    seen: set[tuple[str, str]] = set()
    kept: list[SectorHit] = []
    for hit in found:
        if (hit.sector, hit.source) not in seen:
            seen.add((hit.sector, hit.source))
            kept.append(hit)
    return kept


def describe_hits(hits: list[SectorHit]) -> str:
    """``hand car wash (NACE 45203 in the register; "car wash" in the ad)``."""
    by_sector: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for hit in hits:
        labels[hit.sector] = hit.label
        place = "category" if hit.source == "category" else "text"
        where = (f"NACE {hit.evidence} in the register" if hit.source == "register"
                 else f'"{hit.evidence}" in the {place}')
        by_sector.setdefault(hit.sector, []).append(where)
    return "; ".join(f"{labels[k]} ({', '.join(v)})" for k, v in by_sector.items())
