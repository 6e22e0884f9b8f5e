"""Real Belgian postcodes and municipalities (``demo/data/postal-mapping.json``).

Loaded on first use, not at import. The language of a place follows the region of its postcode:
Brussels (1000-1299) is bilingual, 1300-1499 and 4000-7999 are Walloon, the rest Flemish.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Place:
    postcode: str
    municipality_fr: str
    municipality_nl: str

    @property
    def region(self) -> str:
        return region_of(self.postcode)

    def municipality(self, language: str) -> str:
        return self.municipality_nl if language == "nl" else self.municipality_fr


def region_of(postcode: str) -> str:
    """"brussels", "wallonia" or "flanders" for a Belgian postcode."""
    code = int(postcode)
    if 1000 <= code <= 1299:
        return "brussels"
    if 1300 <= code <= 1499 or 4000 <= code <= 7999:
        return "wallonia"
    return "flanders"


@lru_cache(maxsize=1)
def all_places() -> tuple[Place, ...]:
    """Every postcode of the copied bpost/NIS mapping, in file order."""
    rows = json.loads((DATA_DIR / "postal-mapping.json").read_text(encoding="utf-8"))
    return tuple(Place(r["postal_code"], r["mun_fr"], r["mun_nl"]) for r in rows)


@lru_cache(maxsize=1)
def places_by_region() -> dict[str, tuple[Place, ...]]:
    groups: dict[str, list[Place]] = {"brussels": [], "wallonia": [], "flanders": []}
    for place in all_places():
        groups[place.region].append(place)
    return {k: tuple(v) for k, v in groups.items()}


@lru_cache(maxsize=1)
def postcodes() -> frozenset[str]:
    return frozenset(p.postcode for p in all_places())


def pick_place(rng: random.Random, language: str | None = None) -> Place:
    """A place weighted towards Brussels and the language's own region."""
    groups = places_by_region()
    if language == "fr":
        region = rng.choices(("brussels", "wallonia", "flanders"), (35, 60, 5))[0]
    elif language == "nl":
        region = rng.choices(("brussels", "wallonia", "flanders"), (25, 3, 72))[0]
    else:  # balanced so that firms are about half French-, half Dutch-speaking
        region = rng.choices(("brussels", "wallonia", "flanders"), (30, 32, 38))[0]
    return rng.choice(groups[region])


def place_language(place: Place, rng: random.Random) -> str:
    """The working language of a firm seated at ``place``."""
    region = place.region
    if region == "brussels":
        return "fr" if rng.random() < 0.6 else "nl"
    return "fr" if region == "wallonia" else "nl"
