"""Place comparator: the query's postcode against the register's seat (same postcode,
municipality or judicial district for; another district slightly against)."""

from __future__ import annotations

from entity_resolution.compare.features import (
    W_DISTRICT_OTHER,
    W_DISTRICT_SAME,
    W_MUNICIPALITY_SAME,
    W_POSTCODE_SAME,
    Feature,
)
from entity_resolution.geo import District, Place, lookup_postcode


def _district_name(district: District | None) -> str:
    return district.label if district else "unknown"


def compare_places(
    query_postcode: str | None,
    entry_postcode: str | None,
    *,
    source: str = "the ad",
    query_place: Place | None = None,
) -> Feature | None:
    """Postcode agreement with the register's seat; different districts count slightly against."""
    if not query_postcode or not entry_postcode:
        return None
    if query_postcode == entry_postcode:
        return Feature(
            "postcode",
            1.0,
            W_POSTCODE_SAME,
            f"Postcode {query_postcode} in {source} is the register's seat postcode.",
        )
    q_place = query_place or lookup_postcode(query_postcode)
    r_place = lookup_postcode(entry_postcode)
    base = f"Postcode {query_postcode} differs from the register's seat ({entry_postcode})"
    if q_place is None or r_place is None:
        return Feature("postcode_differs", 0.0, 0.0, base + ".")
    if q_place.municipality_nis and q_place.municipality_nis == r_place.municipality_nis:
        return Feature(
            "municipality",
            1.0,
            W_MUNICIPALITY_SAME,
            f"{base}, but both are in the municipality {r_place.municipality_fr}.",
        )
    if q_place.district and q_place.district == r_place.district:
        return Feature(
            "district",
            1.0,
            W_DISTRICT_SAME,
            f"{base}, but both are in the judicial district "
            f"{_district_name(r_place.district)}.",
        )
    return Feature(
        "district_differs",
        1.0,
        W_DISTRICT_OTHER,
        f"{base}; they are in different judicial districts "
        f"({_district_name(q_place.district)} vs {_district_name(r_place.district)}).",
    )
