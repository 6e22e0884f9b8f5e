"""The Belgian guaranteed minimum wage in force on a given day, from ``signals/data``.

The figures live in ``signals/data/minimum_wage.json`` (one entry per period, with the day it
applies from, the source table and when it was checked) so that updating them after an
indexation is a data change, reviewed like any other. :func:`minimum_on` returns the period in
force on a day; days before the first period get the first one (older ads are rare and the
minimum only rises, so this can only under-state a breach).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from signals import SignalsError

DATA_FILE = Path(__file__).parent / "data" / "minimum_wage.json"


@dataclass(frozen=True)
class MinimumPeriod:
    """One period of the RMMMG: from when, monthly and hourly (38 h/week) gross, source."""

    valid_from: date
    monthly_eur: float
    hourly_eur: float
    source: str
    url: str | None = None

    def describe(self) -> str:
        return (
            f"EUR {self.monthly_eur:,.2f} gross per month = EUR {self.hourly_eur:.4f} per hour "
            f"at 38 h/week, in force from {self.valid_from.isoformat()} (RMMMG, CCT n° 43; "
            f"{self.source})"
        )


@lru_cache(maxsize=1)
def _load() -> tuple[tuple[MinimumPeriod, ...], dict[str, Any]]:
    try:
        data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
        periods = tuple(
            sorted(
                (
                    MinimumPeriod(
                        valid_from=date.fromisoformat(p["valid_from"]),
                        monthly_eur=float(p["monthly_eur"]),
                        hourly_eur=float(p["hourly_38h_eur"]),
                        source=str(p["source"]),
                        url=p.get("url"),
                    )
                    for p in data["periods"]
                ),
                key=lambda p: p.valid_from,
            )
        )
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise SignalsError(f"cannot read the minimum-wage table {DATA_FILE}: {exc}") from exc
    if not periods:
        raise SignalsError(f"the minimum-wage table {DATA_FILE} lists no period")
    return periods, dict(data.get("youth_hourly_38h_eur") or {})


def periods() -> tuple[MinimumPeriod, ...]:
    """Every listed period, oldest first."""
    return _load()[0]


def minimum_on(day: date | None) -> MinimumPeriod:
    """The period in force on ``day`` (the latest listed one when ``day`` is ``None``)."""
    listed = periods()
    if day is None:
        return listed[-1]
    current = listed[0]
    for period in listed:
        if period.valid_from <= day:
            current = period
    return current


def lowest_youth_hourly() -> float:
    """The lowest legal hourly minimum of any age group (a 16-year-old's)."""
    youth = [float(v) for k, v in _load()[1].items() if k != "note"]
    return min(youth) if youth else minimum_on(None).hourly_eur
