"""Belgian geography for matching and targeting: postcode → municipality → judicial district.

The inspection service publishes its monthly worksite target lists per **judicial district**
(arrondissement judiciaire / gerechtelijk arrondissement). Since the reform of 1 April 2014
(law of 1 December 2013) there are 12, and no published file maps postcodes to them, so the
district is derived here from the administrative arrondissement of the municipality:

- the province is the district (Antwerpen, Limburg, Oost-Vlaanderen, West-Vlaanderen,
  Hainaut — which merged the former Mons, Charleroi and Tournai districts —, Luxembourg, Namur);
- except Flemish Brabant: arrondissement Halle-Vilvoorde goes with Brussels-Capital to the
  **Brussels** district; arrondissement Leuven is the **Leuven** district;
- Walloon Brabant (arrondissement Nivelles) is the **Walloon Brabant** district;
- province Liège is the **Liège** district minus the nine German-speaking municipalities, which
  form the **Eupen** district (Eupen, Kelmis, Lontzen, Raeren, Amel, Büllingen, Burg-Reuland,
  Bütgenbach, Sankt Vith).

Data (copied into ``data/``, see ``data/PROVENANCE.md``): NewAgeKBO's postcode mapping
(1,149 postcodes, municipality and arrondissement with NIS codes), bpost's locality list (for
sub-municipalities such as 1300 Limal) and a hand-made table of the 43 non-geographic bpost
postcodes (institutions, sorting centres).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from entity_resolution import EntityResolutionError
from entity_resolution.text import fold_key

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class District:
    """A judicial district. ``id`` is stable (stored in the database and in target lists)."""

    id: str
    name_fr: str
    name_nl: str
    name_de: str
    name_en: str

    def __str__(self) -> str:
        return self.id

    @property
    def label(self) -> str:
        """Bilingual label, e.g. ``"Bruxelles / Brussel"``."""
        if self.name_fr == self.name_nl:
            return self.name_fr
        return f"{self.name_fr} / {self.name_nl}"


#: The 12 judicial districts, in the order of the law (Flanders, Brussels, Wallonia, Eupen).
DISTRICTS: dict[str, District] = {
    d.id: d
    for d in (
        District("ANT", "Anvers", "Antwerpen", "Antwerpen", "Antwerp"),
        District("LIM", "Limbourg", "Limburg", "Limburg", "Limburg"),
        District("OVL", "Flandre orientale", "Oost-Vlaanderen", "Ostflandern", "East Flanders"),
        District("WVL", "Flandre occidentale", "West-Vlaanderen", "Westflandern", "West Flanders"),
        District("LEU", "Louvain", "Leuven", "Löwen", "Leuven"),
        District("BRU", "Bruxelles", "Brussel", "Brüssel", "Brussels"),
        District("BRW", "Brabant wallon", "Waals-Brabant", "Wallonisch-Brabant", "Walloon Brabant"),
        District("HAI", "Hainaut", "Henegouwen", "Hennegau", "Hainaut"),
        District("LIE", "Liège", "Luik", "Lüttich", "Liège"),
        District("LUX", "Luxembourg", "Luxemburg", "Luxemburg", "Luxembourg"),
        District("NAM", "Namur", "Namen", "Namür", "Namur"),
        District("EUP", "Eupen", "Eupen", "Eupen", "Eupen"),
    )
}

#: NIS codes of the nine municipalities of the German-speaking Community (Eupen district).
GERMAN_SPEAKING_NIS = frozenset(
    {"63001", "63012", "63013", "63023", "63040", "63048", "63061", "63067", "63087"}
)

# German names of a few municipalities outside the German-speaking area (the German-speaking
# municipalities' own German names are their Dutch-column names in the source data).
_GERMAN_EXONYMS = {
    "21004": ("Brüssel",),
    "62063": ("Lüttich",),
    "24062": ("Löwen",),
    "31005": ("Brügge",),
    "12025": ("Mecheln",),
    "81001": ("Arel",),
    "35013": ("Ostende",),
    "53053": ("Bergen",),
    "57081": ("Dornick",),
    "44021": ("Gent",),
    "11002": ("Antwerpen",),
}


def district_for_arrondissement(arr_nis: str, municipality_nis: str) -> District:
    """Judicial district of a municipality from its administrative arrondissement (NIS codes)."""
    if municipality_nis in GERMAN_SPEAKING_NIS:
        return DISTRICTS["EUP"]
    prefix = arr_nis[:2]
    if prefix in ("21", "23"):
        return DISTRICTS["BRU"]
    if prefix == "24":
        return DISTRICTS["LEU"]
    if prefix == "25":
        return DISTRICTS["BRW"]
    by_province = {
        "1": "ANT",
        "3": "WVL",
        "4": "OVL",
        "5": "HAI",
        "6": "LIE",
        "7": "LIM",
        "8": "LUX",
        "9": "NAM",
    }
    district = by_province.get(arr_nis[:1])
    if district is None:
        raise EntityResolutionError(f"unknown arrondissement NIS code {arr_nis!r}")
    return DISTRICTS[district]


@dataclass(frozen=True, slots=True)
class Place:
    """What a Belgian postcode tells: municipality (FR/NL names, NIS code) and district."""

    postcode: str
    municipality_fr: str | None
    municipality_nl: str | None
    district: District | None
    municipality_nis: str | None = None
    arrondissement_fr: str | None = None
    arrondissement_nl: str | None = None
    special: str | None = None  # label of a non-geographic postcode (institution, sorting centre)

    @property
    def district_id(self) -> str | None:
        return self.district.id if self.district else None

    @property
    def municipality_de(self) -> str | None:
        if self.municipality_nis in GERMAN_SPEAKING_NIS:
            return self.municipality_nl
        names = _GERMAN_EXONYMS.get(self.municipality_nis or "")
        return names[0] if names else None


@dataclass(slots=True)
class _GeoData:
    places: dict[str, Place]
    by_name: dict[str, list[str]]  # folded name → postcodes (main municipality postcode first)


def _read_csv(name: str) -> list[dict[str, str]]:
    path = DATA_DIR / name
    if not path.exists():
        raise EntityResolutionError(f"data file missing: {path}")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def _data() -> _GeoData:
    places: dict[str, Place] = {}
    municipalities: dict[str, Place] = {}
    for row in _read_csv("postcodes_be.csv"):
        place = Place(
            postcode=row["postcode"],
            municipality_fr=row["mun_fr"],
            municipality_nl=row["mun_nl"],
            district=district_for_arrondissement(row["arr_nis"], row["mun_nis"]),
            municipality_nis=row["mun_nis"],
            arrondissement_fr=row["arr_fr"],
            arrondissement_nl=row["arr_nl"],
        )
        places[place.postcode] = place
        municipalities.setdefault(row["mun_nis"], place)
    for row in _read_csv("special_postcodes_be.csv"):
        host = municipalities.get(row["mun_nis"])
        places[row["postcode"]] = Place(
            postcode=row["postcode"],
            municipality_fr=host.municipality_fr if host else None,
            municipality_nl=host.municipality_nl if host else None,
            district=DISTRICTS[row["district"]] if row["district"] else None,
            municipality_nis=host.municipality_nis if host else None,
            arrondissement_fr=host.arrondissement_fr if host else None,
            arrondissement_nl=host.arrondissement_nl if host else None,
            special=row["label"],
        )
    by_name: dict[str, list[str]] = {}

    def add(name: str | None, postcode: str) -> None:
        if name:
            codes = by_name.setdefault(fold_key(name), [])
            if postcode not in codes:
                codes.append(postcode)

    for postcode in sorted(places):
        place = places[postcode]
        if place.special:
            continue
        add(place.municipality_fr, postcode)
        add(place.municipality_nl, postcode)
        for german in _GERMAN_EXONYMS.get(place.municipality_nis or "", ()):
            add(german, postcode)
    for row in _read_csv("localities_be.csv"):
        if row["postcode"] in places and not places[row["postcode"]].special:
            add(row["locality"], row["postcode"])
    return _GeoData(places=places, by_name=by_name)


@cache
def place_name_words() -> frozenset[str]:
    """One-word Belgian municipality and locality names (folded, at least four letters).

    Company names often carry their town ("Aide à Domicile Jette"); such words say where a
    firm is, not who it is, and two different towns in two names point to two firms.
    """
    return frozenset(name for name in _data().by_name if " " not in name and len(name) >= 4
                     and name.isalpha() and name not in _EVERYDAY_WORDS)


#: Town names that are also everyday words in company names ("Boom", "Manage", "Peer"…).
_EVERYDAY_WORDS = frozenset("mont berg meer boom manage peer lens".split())


_POSTCODE_RE = re.compile(r"^(?:B|BE)?\s*[-‐]?\s*(\d{4})$", re.IGNORECASE)


def normalize_postcode(postcode: str | int | None) -> str | None:
    """Four-digit Belgian postcode from ``"1000"``, ``1000``, ``"B-1000"``, ``"BE 1000"``."""
    if postcode is None:
        return None
    if isinstance(postcode, str) and len(postcode) == 4 and postcode.isdigit():
        return postcode
    s = str(postcode).strip()
    if isinstance(postcode, float) or re.fullmatch(r"\d{3,4}\.0+", s):
        s = s.split(".")[0]
    if re.fullmatch(r"\d{3}", s):  # a leading zero lost in a spreadsheet ("612")
        s = "0" + s
    m = _POSTCODE_RE.match(s)
    return m.group(1) if m else None


def lookup_postcode(postcode: str | int | None) -> Place | None:
    """The :class:`Place` of a Belgian postcode, or None if it is not a bpost postcode."""
    code = normalize_postcode(postcode)
    return _data().places.get(code) if code else None


def district_for_postcode(postcode: str | int | None) -> District | None:
    """Judicial district of a postcode (``"1500"`` → Brussels), None if unknown."""
    place = lookup_postcode(postcode)
    return place.district if place else None


def all_postcodes() -> tuple[str, ...]:
    """Every postcode known (geographic and special), sorted."""
    return tuple(sorted(_data().places))


def postcodes_for_name(name: str | None) -> tuple[str, ...]:
    """Postcodes of a municipality or locality by its FR, NL or DE name (accents/case ignored).

    ``"Bruxelles"``/``"Brussel"``/``"Brüssel"`` → ``("1000", "1020", …)``;
    ``"Limal"`` → ``("1300",)``.
    """
    if not name:
        return ()
    return tuple(_data().by_name.get(fold_key(name), ()))


def postcode_for_name(name: str | None) -> str | None:
    """Main (lowest) postcode of a municipality or locality name, or None."""
    codes = postcodes_for_name(name)
    return codes[0] if codes else None


_LOCATION_POSTCODE_RE = re.compile(r"(?<![\d.,/])(?:B-|BE-)?(\d{4})(?![\d.,/])")


def parse_location(text: str | None) -> Place | None:
    """Best :class:`Place` for a free-text location (``"Rue Haute 5, 1000 Bruxelles"``).

    A four-digit postcode that exists wins (the last one, since streets may hold numbers);
    otherwise the last comma-separated part is looked up as a municipality/locality name.
    """
    if not text:
        return None
    for m in reversed(list(_LOCATION_POSTCODE_RE.finditer(text))):
        place = lookup_postcode(m.group(1))
        if place:
            return place
    for part in reversed(re.split(r"[,\n;]", text)):
        code = postcode_for_name(re.sub(r"\(.*?\)", "", part))
        if code:
            return lookup_postcode(code)
    return None
