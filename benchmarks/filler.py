"""KBO-like filler entries that pad the demo register to a realistic size for matching.

The demo world holds a few hundred employers; a real register search runs against hundreds
of thousands. The filler adds deterministic, plausible Belgian enterprises (sector names,
sole traders, "X & Y", holdings…) seated at real postcodes. A filler name is never a twin of
the name of anyone who posts in the demo world (register employer, unknown business or
foreign firm): not equal, not ≥ 90 % similar (``fuzz.ratio`` on the case-, accent- and
space-blind form), and not that name plus or minus trailing words ("Bakkerij Cools" vs
"Bakkerij Cools Antwerpen"). Drawn from the demo's own small vocabulary, such twins would
otherwise be far denser than in a real register and would turn correct "no match" answers
into errors. The filler makes the search harder (shared words, near names) without making a
labelled answer wrong.
"""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from rapidfuzz import fuzz, process

from demo.numbers import belgian_phone, enterprise_number
from demo.places import all_places
from demo.vocab import (
    FIRST_NAMES_FR,
    FIRST_NAMES_NL,
    FIRST_NAMES_OTHER,
    LAST_NAMES_FR,
    LAST_NAMES_NL,
    LAST_NAMES_OTHER,
    LEGAL_FORM_WEIGHTS,
    LEGAL_FORMS,
    PLACE_WORDS,
    SECTORS,
)
from demo.world import World
from entity_resolution.register import RegisterEntry

# Enterprise numbers 0900.000.0xx–0999.999.9xx: a range the demo world never draws from.
FILLER_NUMBER_BASE = 9_000_000
GENERIC_FR = (
    "{last} Consulting",
    "Immo {last}",
    "Garage {last}",
    "{last} & {last2}",
    "{first} {last}",
    "Boucherie {last}",
    "Pharmacie {place}",
    "Cabinet {last}",
    "{last} Invest",
    "{word} {place}",
    "Menuiserie {last}",
    "Électricité {last}",
    "Transports {last}",
    "Boulangerie {place}",
    "Auto {word}",
    "Fiduciaire {last}",
    "{last} Management",
)
GENERIC_NL = (
    "{last} Consulting",
    "Immo {last}",
    "Garage {last}",
    "{last} & {last2}",
    "{first} {last}",
    "Slagerij {last}",
    "Apotheek {place}",
    "Kantoor {last}",
    "{last} Invest",
    "{word} {place}",
    "Schrijnwerkerij {last}",
    "Elektro {last}",
    "Transport {last}",
    "Bakkerij {place}",
    "Auto {word}",
    "Boekhouding {last}",
    "{last} Beheer",
)


def name_key(name: str) -> str:
    """Case-, accent- and punctuation-blind form used to keep filler off the labelled names."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())


def world_names(world: World) -> set[str]:
    """Keys of every name a demo poster goes by (register, unknown, foreign)."""
    names: list[str] = []
    for e in world.employers:
        names.append(e.name)
        if e.abbreviation:
            names.append(e.abbreviation)
    names += [u.name for u in world.unknown_employers]
    names += [f.name for f in world.foreign_firms]
    return {name_key(n) for n in names}


class _Twins:
    """Is a name a twin of a demo poster's name (see the module docstring)?"""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = sorted(set(keys))
        self.prefixes = {k[:n] for k in self.keys for n in range(1, len(k) + 1)}
        self.exact = set(self.keys)

    def __contains__(self, key: str) -> bool:
        if key in self.prefixes:  # equal to, or the start of, a poster's name
            return True
        if any(key[:n] in self.exact for n in range(4, len(key))):  # a poster's name + more
            return True
        return process.extractOne(key, self.keys, scorer=fuzz.ratio, score_cutoff=90) is not None


def _patterns(language: str) -> tuple[str, ...]:
    sector = tuple(p for s in SECTORS for p in (s.names_nl if language == "nl" else s.names_fr))
    return sector + (GENERIC_NL if language == "nl" else GENERIC_FR)


def filler_entries(count: int, world: World, seed: int = 1) -> list[RegisterEntry]:
    """``count`` deterministic filler entries for ``world`` (same arguments, same entries)."""
    rng = random.Random(f"vigie-benchmark-filler/{seed}")
    twins = _Twins(world_names(world))
    taken: set[str] = set()  # filler names are kept distinct from each other (exact key)
    used_numbers = {e.enterprise_number for e in world.employers}
    used_numbers.update(u.claimed_number for u in world.unknown_employers if u.claimed_number)
    places = all_places()
    forms = [k for k, _ in LEGAL_FORM_WEIGHTS]
    weights = [w for _, w in LEGAL_FORM_WEIGHTS]
    patterns = {"fr": _patterns("fr"), "nl": _patterns("nl")}
    entries: list[RegisterEntry] = []
    attempts = 0
    while len(entries) < count:
        attempts += 1
        if attempts > count * 50:
            raise ValueError(f"cannot draw {count} distinct filler names")
        place = rng.choice(places)
        language = (
            "fr" if place.municipality_fr == place.municipality_nl or rng.random() < 0.5 else "nl"
        )
        if int(place.postcode) >= 8000 or 1500 <= int(place.postcode) < 4000:
            language = "nl" if rng.random() < 0.9 else "fr"
        lasts = (LAST_NAMES_NL if language == "nl" else LAST_NAMES_FR) + LAST_NAMES_OTHER
        firsts = FIRST_NAMES_NL if language == "nl" else FIRST_NAMES_FR
        pattern = rng.choice(patterns[language])
        name = pattern.format(
            last=rng.choice(lasts),
            last2=rng.choice(lasts),
            first=rng.choice(firsts),
            place=place.municipality(language),
            word=rng.choice(PLACE_WORDS),
        )
        if "{place}" not in pattern and rng.random() < 0.25:  # crowded: firms add their town
            name = f"{name} {place.municipality(language)}"
        key = name_key(name)
        if key in taken or key in twins:
            continue
        number = enterprise_number(FILLER_NUMBER_BASE + rng.randrange(1_000_000))
        if number in used_numbers:
            continue
        taken.add(key)
        used_numbers.add(number)
        form = LEGAL_FORMS[rng.choices(forms, weights)[0]]
        entries.append(
            RegisterEntry(
                enterprise_number=number,
                name=name,
                legal_form=form.label_fr,
                status="AC",
                juridical_situation="000",
                onss_employer=rng.random() < 0.4,
                postcode=place.postcode,
                municipality=place.municipality(language),
                phone=belgian_phone(rng) if rng.random() < 0.3 else None,
                email=f"info@{key[:20]}.be" if rng.random() < 0.15 else None,
            )
        )
    return entries


def demo_entries(world: World) -> list[RegisterEntry]:
    """The demo world's employers as register entries (all of them, stopped ones included)."""
    out: list[RegisterEntry] = []
    for e in world.employers:
        out.append(
            RegisterEntry(
                enterprise_number=e.enterprise_number,
                name=e.name,
                other_names=(e.abbreviation,) if e.abbreviation else (),
                legal_form=e.form.label_fr,
                status=e.status,
                juridical_situation=e.juridical_situation,
                start_date=e.start_date,
                onss_employer=e.onss_employer,
                street=f"{e.address.street(e.language)} {e.address.house_number}",
                postcode=e.address.postcode,
                municipality=e.address.municipality(e.language),
                phone=e.phone,
                email=e.email,
                website=e.website,
            )
        )
    return out


def keyed(entries: Iterable[RegisterEntry]) -> list[tuple[str, RegisterEntry]]:
    """``(enterprise number, entry)`` pairs, the shape ``Matcher`` takes."""
    return [(e.enterprise_number, e) for e in entries]


# --------------------------------------------------------------------------- register scale
# A KBO-like register of any size (bench_scale: a million entries). Unlike filler_entries,
# names are not kept apart from each other: a real register has its homonyms too.

SCALE_NUMBER_BASE = 30_000_000  # enterprise numbers 0300.000.0xx and up: off the demo's ranges
SECTOR_WORDS = {
    "nl": (
        "Bouw", "Bouwwerken", "Renovatie", "Schoonmaak", "Transport", "Logistiek", "Dakwerken",
        "Schilderwerken", "Elektro", "Sanitair", "Tuinwerken", "Interim", "Catering", "Bakkerij",
        "Slagerij", "Garage", "Immo", "Consult", "Invest", "Beheer", "Trading", "Services",
        "Group", "Solutions", "Techniek", "Carwash", "Verhuizingen", "Schrijnwerkerij",
        "Vloeren", "Installaties", "Frituur", "Kapsalon", "Apotheek", "Boekhouding",
    ),
    "fr": (
        "Construction", "Rénovation", "Nettoyage", "Transports", "Logistique", "Toitures",
        "Peinture", "Électricité", "Sanitaire", "Jardins", "Intérim", "Traiteur", "Boulangerie",
        "Boucherie", "Garage", "Immobilière", "Conseil", "Invest", "Gestion", "Trading",
        "Services", "Group", "Solutions", "Techniques", "Car Wash", "Déménagements",
        "Menuiserie", "Carrelage", "Chauffage", "Friterie", "Coiffure", "Pharmacie",
        "Fiduciaire", "Entreprise Générale",
    ),
}
SCALE_PATTERNS = (
    ("{sector} {last}", 20),
    ("{last} {sector}", 14),
    ("{first} {last}", 10),
    ("{last}", 6),
    ("{last} & {last2}", 6),
    ("{sector} {place}", 5),
    ("{acro} {sector}", 6),
    ("{last} {place}", 3),
    ("{sector} {last} & Zonen", 2),
    ("{sector} {last} et Fils", 2),
    ("{word} {sector}", 5),
    ("{sector} {last} {last2}", 4),
    ("{first} {last} {sector}", 3),
)
_SYLLABLES = (
    "van de ver bo ma ker mans sens lae ghe rt st ens ke ls ot ier ard bert mont ville aux "
    "eau lin rich ko ski wicz esc u ov ev ar ez ini oni elli as ers man ck en hoe gaert "
    "dries beke straet inck hout brouck veld berg dael huys cq ghem "
).split()


def surname_pool(rng: random.Random, size: int) -> list[str]:
    """The demo's real surnames, then invented Belgian-sounding ones (Zipf-weighted by rank)."""
    pool = list(dict.fromkeys(LAST_NAMES_NL + LAST_NAMES_FR + LAST_NAMES_OTHER))
    seen = {p.lower() for p in pool}
    while len(pool) < size:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        if rng.random() < 0.15:
            word = rng.choice(("Van ", "De ", "Van den ", "Le ", "Du ")) + word
        if len(word) >= 4 and word.lower() not in seen:
            seen.add(word.lower())
            pool.append(word)
    return pool


class ScaleRegister:
    """Deterministic KBO-like entries: ``entries(count)`` streams them (same seed, same
    entries), so a million never need to sit in a list."""

    def __init__(self, seed: int = 1, surnames: int = 40_000) -> None:
        self.seed = seed
        rng = random.Random(f"vigie-scale-names/{seed}")
        self.surnames = surname_pool(rng, surnames)
        cum = 0.0
        self.surname_cum: list[float] = []
        for rank in range(len(self.surnames)):
            cum += 1.0 / (rank + 20)
            self.surname_cum.append(cum)
        self.places = [p for p in all_places() if p.postcode.isdigit()]
        self.patterns = [p for p, _ in SCALE_PATTERNS]
        self.pattern_cum = list(itertools.accumulate(w for _, w in SCALE_PATTERNS))
        self.forms = [k for k, _ in LEGAL_FORM_WEIGHTS]
        self.form_cum = list(itertools.accumulate(w for _, w in LEGAL_FORM_WEIGHTS))

    def entries(self, count: int, start: int = 0) -> Iterator[RegisterEntry]:
        rng = random.Random(f"vigie-scale-register/{self.seed}/{start}")
        for i in range(start, start + count):
            yield self._entry(i, rng)

    def form_key(self, entry: RegisterEntry) -> str:
        """The demo legal-form key (``"BV"`` …) of an entry made here."""
        return next(k for k, f in LEGAL_FORMS.items() if f.label_fr == entry.legal_form)

    def name(self, rng: random.Random) -> tuple[str, str, Any]:
        """``(name, language, place)`` drawn like the register's names."""
        place = rng.choice(self.places)
        postcode = int(place.postcode)
        if postcode >= 8000 or 1500 <= postcode < 4000:
            language = "nl" if rng.random() < 0.92 else "fr"
        elif place.municipality_fr == place.municipality_nl or postcode < 1300:
            language = "fr" if rng.random() < 0.7 else "nl"
        else:
            language = "fr" if rng.random() < 0.9 else "nl"
        firsts = FIRST_NAMES_NL if language == "nl" else FIRST_NAMES_FR
        pattern = rng.choices(self.patterns, cum_weights=self.pattern_cum)[0]
        last, last2 = rng.choices(self.surnames, cum_weights=self.surname_cum, k=2)
        name = pattern.format(
            sector=rng.choice(SECTOR_WORDS[language]),
            last=last,
            last2=last2,
            first=rng.choice(firsts + FIRST_NAMES_OTHER),
            place=place.municipality(language),
            word=rng.choice(PLACE_WORDS),
            acro="".join(rng.choice("ABCDEFGHJKLMNPRSTVW") for _ in range(rng.randint(2, 4))),
        )
        return name, language, place

    def _entry(self, i: int, rng: random.Random) -> RegisterEntry:
        name, language, place = self.name(rng)
        form = LEGAL_FORMS[rng.choices(self.forms, cum_weights=self.form_cum)[0]]
        if rng.random() < 0.3:  # the form written in the name, as many registered names do
            name = f"{name} {form.abbr_nl if language == 'nl' else form.abbr_fr}"
        phone = None
        if rng.random() < 0.3:
            phone = "+32" + belgian_phone(rng)[1:]
        base = SCALE_NUMBER_BASE + i
        return RegisterEntry(
            enterprise_number=f"{base:08d}{97 - base % 97:02d}",
            name=name,
            legal_form=form.label_fr,
            status="AC",
            juridical_situation="000",
            onss_employer=rng.random() < 0.4,
            postcode=place.postcode,
            municipality=place.municipality(language),
            phone=phone,
            email=f"info@{name_key(name)[:20]}.be" if rng.random() < 0.1 else None,
        )
