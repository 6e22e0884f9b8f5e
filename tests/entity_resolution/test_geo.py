"""Postcode → municipality → judicial district (12 districts since the 2014 reform)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from entity_resolution.geo import (
    DISTRICTS,
    all_postcodes,
    district_for_postcode,
    lookup_postcode,
    normalize_postcode,
    parse_location,
    postcode_for_name,
    postcodes_for_name,
)

DATA = Path(__file__).parents[2] / "entity_resolution" / "data"


@pytest.mark.parametrize(
    ("postcode", "district", "municipality_fr"),
    [
        ("1000", "BRU", "Bruxelles"),
        ("1500", "BRU", "Hal"),  # Halle-Vilvoorde belongs to the Brussels district
        ("1800", "BRU", "Vilvorde"),
        ("3000", "LEU", "Louvain"),
        ("1300", "BRW", "Wavre"),
        ("1400", "BRW", "Nivelles"),
        ("4700", "EUP", "Eupen"),
        ("4720", "EUP", "La Calamine"),  # Kelmis
        ("4780", "EUP", "Saint-Vith"),
        ("4800", "LIE", "Verviers"),  # same arrondissement as Eupen, other district
        ("4000", "LIE", "Liège"),
        ("7000", "HAI", "Mons"),
        ("6000", "HAI", "Charleroi"),
        ("7500", "HAI", "Tournai"),
        ("2000", "ANT", "Anvers"),
        ("2800", "ANT", "Malines"),
        ("8000", "WVL", "Bruges"),
        ("9000", "OVL", "Gand"),
        ("3500", "LIM", "Hasselt"),
        ("6700", "LUX", "Arlon"),
        ("5000", "NAM", "Namur"),
    ],
)
def test_district_derivation(postcode: str, district: str, municipality_fr: str) -> None:
    place = lookup_postcode(postcode)
    assert place is not None
    assert place.district is not None and place.district.id == district
    assert place.municipality_fr == municipality_fr
    assert district_for_postcode(postcode) == DISTRICTS[district]


def test_twelve_districts_with_labels() -> None:
    assert len(DISTRICTS) == 12
    assert DISTRICTS["BRU"].name_fr == "Bruxelles" and DISTRICTS["BRU"].name_nl == "Brussel"
    assert DISTRICTS["BRW"].name_nl == "Waals-Brabant"
    assert DISTRICTS["HAI"].name_nl == "Henegouwen"
    assert str(DISTRICTS["EUP"]) == "EUP"


def test_german_speaking_municipalities_form_eupen() -> None:
    eupen = {
        lookup_postcode(p).municipality_nl
        for p in all_postcodes()
        if district_for_postcode(p) == DISTRICTS["EUP"]
    }
    assert eupen == {
        "Eupen",
        "Kelmis",
        "Lontzen",
        "Raeren",
        "Amel",
        "Büllingen",
        "Burg-Reuland",
        "Bütgenbach",
        "Sankt Vith",
    }


def test_every_real_postcode_has_exactly_one_district() -> None:
    with (DATA / "postcodes_be.csv").open(encoding="utf-8") as f:
        geographic = [row["postcode"] for row in csv.DictReader(f)]
    assert len(geographic) == 1149 and len(set(geographic)) == 1149
    per_district = Counter(district_for_postcode(p).id for p in geographic)
    assert set(per_district) == set(DISTRICTS)  # every district is used
    assert sum(per_district.values()) == 1149
    # bpost's full list (localities, special postcodes): all known, all but 0612 in a district
    with (DATA / "localities_be.csv").open(encoding="utf-8") as f:
        bpost = {row["postcode"] for row in csv.DictReader(f)}
    assert len(bpost) == 1192
    without = [p for p in bpost if district_for_postcode(p) is None]
    assert without == ["0612"]  # Saint-Nicolas' letterbox is nowhere
    assert set(all_postcodes()) == bpost | set(geographic)


def test_special_postcodes() -> None:
    place = lookup_postcode("1099")
    assert place is not None and place.special == "Bruxelles X" and place.district_id == "BRU"
    assert district_for_postcode("7510") == DISTRICTS["HAI"]


def test_postcode_forms() -> None:
    assert normalize_postcode("B-1000") == "1000"
    assert normalize_postcode("BE 1000") == "1000"
    assert normalize_postcode(1000) == "1000"
    assert normalize_postcode("612") == "0612"
    assert normalize_postcode("10000") is None
    assert lookup_postcode("9999") is None


def test_names_to_postcodes() -> None:
    assert postcodes_for_name("Bruxelles")[:2] == ("1000", "1020")
    assert postcodes_for_name("Brussel") == postcodes_for_name("bruxelles")
    assert postcodes_for_name("Brüssel") == postcodes_for_name("Bruxelles")
    assert postcodes_for_name("Limal") == ("1300",)  # a sub-municipality of Wavre
    assert postcode_for_name("Sankt Vith") == postcode_for_name("Saint-Vith") == "4780"
    assert postcode_for_name("Kelmis") == postcode_for_name("La Calamine") == "4720"
    assert postcode_for_name("Lüttich") == postcode_for_name("Liège") == "4000"
    assert postcode_for_name("Gand") == "9000"
    assert postcode_for_name("Atlantis") is None


def test_parse_location() -> None:
    assert parse_location("Rue de Nimy 53, 7000 Mons").postcode == "7000"
    assert parse_location("Brusselsesteenweg 617, B-1731 Asse").district_id == "BRU"
    assert parse_location("Gentsesteenweg 1B, Sint-Lievens-Houtem").postcode == "9520"
    assert parse_location("somewhere") is None
