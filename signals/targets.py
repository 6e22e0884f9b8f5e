"""Monthly target lists: the addresses inspection teams visit, grouped by judicial district.

An address is on the list of month M when at least one *open* signal (new, in review or
confirmed — not dismissed) was seen during M and points at it, either as

- the **business address** — the seat of the enterprise behind the signal (register), or
- the **worksite** — the place of work written in the job ad or listing the signal rests on.

Each address gets a score: the sum over its signals of severity (high 3, medium 2, low 1),
plus one per further distinct enterprise at the address (several firms at one address is a risk
of its own). Addresses are ranked by score within their district (ties: more signals, the most
recent, then addresses with a street before bare postcodes), and districts follow the order
of :data:`entity_resolution.geo.DISTRICTS`.
Unknown districts (foreign or missing postcode) come last under ``"?"``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, select

from entity_resolution.geo import DISTRICTS, district_for_postcode
from signals import SignalsError
from storage.models import Employer, Record, Signal, SignalEvidence

OPEN_STATUSES = ("new", "in_review", "confirmed")
SEVERITY_POINTS = {"high": 3, "medium": 2, "low": 1}
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
UNKNOWN_DISTRICT = "?"


class TargetListError(SignalsError):
    """A month that is not YYYY-MM, or a district that does not exist."""


@dataclass
class TargetRow:
    district: str
    kind: str  # seat | worksite
    street: str
    postcode: str
    municipality: str
    enterprises: dict[str, str] = field(default_factory=dict)  # number or name -> name
    signal_ids: set[int] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)
    severity_points: int = 0
    top_severity: str = "low"
    last_seen: datetime | None = None
    rank: int = 0

    @property
    def score(self) -> int:
        return self.severity_points + max(0, len(self.enterprises) - 1)

    def as_dict(self) -> dict[str, object]:
        return {
            "district": self.district, "rank": self.rank, "kind": self.kind,
            "street": self.street, "postcode": self.postcode, "municipality": self.municipality,
            "enterprises": "; ".join(f"{name} ({key})" if key != name else name
                                     for key, name in sorted(self.enterprises.items())),
            "signals": len(self.signal_ids), "top_severity": self.top_severity,
            "rules": ", ".join(sorted(self.rules)), "score": self.score,
            "signal_ids": " ".join(str(i) for i in sorted(self.signal_ids)),
            "last_seen": self.last_seen.strftime("%Y-%m-%d") if self.last_seen else "",
        }


@dataclass
class TargetList:
    month: str
    generated_at: datetime
    rows: list[TargetRow]

    def by_district(self) -> list[tuple[str, list[TargetRow]]]:
        order = [*DISTRICTS, UNKNOWN_DISTRICT]
        groups: dict[str, list[TargetRow]] = {}
        for row in self.rows:
            groups.setdefault(row.district, []).append(row)
        return [(d, groups[d]) for d in order if d in groups]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    found = _MONTH.match(month or "")
    if not found:
        raise TargetListError(f"month must be YYYY-MM, not {month!r}")
    year, mon = int(found.group(1)), int(found.group(2))
    last = calendar.monthrange(year, mon)[1]
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year, mon, last, 23, 59, 59, 999999, tzinfo=UTC)
    return start, end


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").strip())


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def build_target_list(session: Session, month: str, district: str | None = None) -> TargetList:
    """The target list of ``month`` (optionally one district); see the module docstring."""
    if district and district not in DISTRICTS and district != UNKNOWN_DISTRICT:
        raise TargetListError(f"unknown district {district!r}; one of {', '.join(DISTRICTS)}")
    start, end = month_bounds(month)
    signals = session.exec(select(Signal).where(
        Signal.status.in_(OPEN_STATUSES), Signal.last_seen >= start,
        Signal.first_seen <= end)).all()
    rows: dict[tuple[str, ...], TargetRow] = {}
    employer_cache: dict[int, Employer | None] = {}

    def employer(employer_id: int | None) -> Employer | None:
        if employer_id is None:
            return None
        if employer_id not in employer_cache:
            employer_cache[employer_id] = session.get(Employer, employer_id)
        return employer_cache[employer_id]

    def add(sig: Signal, kind: str, street: str | None, postcode: str | None,
            municipality: str | None, firm_key: str | None, firm_name: str | None) -> None:
        postcode = _norm(postcode)
        if not postcode and not street:
            return
        dist = district_for_postcode(postcode) if postcode else None
        dist_id = dist.id if dist is not None else UNKNOWN_DISTRICT
        if district and dist_id != district:
            return
        key = (dist_id, kind, _norm(street).lower(), postcode)
        row = rows.get(key)
        if row is None:
            row = rows[key] = TargetRow(dist_id, kind, _norm(street), postcode,
                                        _norm(municipality))
        if sig.id in row.signal_ids:
            return
        row.signal_ids.add(sig.id)
        row.rules.add(sig.rule)
        points = SEVERITY_POINTS.get(sig.severity, 1)
        row.severity_points += points
        if points > SEVERITY_POINTS.get(row.top_severity, 1):
            row.top_severity = sig.severity
        seen = _aware(sig.last_seen)
        if seen and (row.last_seen is None or seen > row.last_seen):
            row.last_seen = seen
        if firm_name:
            row.enterprises[firm_key or firm_name] = firm_name

    for sig in signals:
        emp = employer(sig.employer_id)
        firm_key = emp.enterprise_number if emp is not None else None
        firm_name = emp.name if emp is not None else None
        if emp is not None:
            add(sig, "seat", emp.street, emp.postcode, emp.municipality, firm_key, firm_name)
        records = session.exec(select(Record).join(
            SignalEvidence, SignalEvidence.record_id == Record.id).where(
            SignalEvidence.signal_id == sig.id, Record.kind.in_(("job_ad", "listing")))).all()
        for record in records:
            raw = record.raw or {}
            add(sig, "worksite", raw.get("street"), record.postcode or raw.get("postcode"),
                raw.get("locality"), firm_key or record.enterprise_number,
                firm_name or record.employer_name)
    ranked: list[TargetRow] = []
    groups: dict[str, list[TargetRow]] = {}
    for row in rows.values():
        groups.setdefault(row.district, []).append(row)
    for dist_rows in groups.values():
        dist_rows.sort(key=lambda r: (-r.score, -len(r.signal_ids),
                                      -(r.last_seen.timestamp() if r.last_seen else 0),
                                      not r.street, r.postcode, r.street, r.kind))
        for i, row in enumerate(dist_rows, 1):
            row.rank = i
        ranked.extend(dist_rows)
    order = {d: i for i, d in enumerate([*DISTRICTS, UNKNOWN_DISTRICT])}
    ranked.sort(key=lambda r: (order.get(r.district, len(order)), r.rank))
    return TargetList(month, datetime.now(UTC), ranked)
