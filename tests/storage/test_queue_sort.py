"""The queue sorted by severity reads one index segment per severity; its pages must equal a
plain sort by (severity rank, last seen, id), across segment boundaries and filters."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from storage.models import Signal
from storage.queries import SEVERITY_RANK, SignalFilters, list_signals


def test_severity_pages_equal_a_full_sort(engine) -> None:
    rng = random.Random(5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with Session(engine) as s:
        for i in range(230):
            at = start + timedelta(hours=rng.randrange(2000))
            s.add(Signal(key=f"k{i}", rule=rng.choice(["a", "b"]),
                         severity=rng.choice(["high", "medium", "low", "odd"]),
                         title=f"s{i}", rationale="r", subject_type="record", subject_key=str(i),
                         status=rng.choice(["new", "in_review"]), first_seen=at, last_seen=at))
        s.commit()
        everything = s.exec(select(Signal)).all()
        for filters in (SignalFilters(), SignalFilters(status="new", rule="a")):
            wanted = [x for x in everything
                      if (filters.status is None or x.status == filters.status)
                      and (filters.rule is None or x.rule == filters.rule)]
            wanted.sort(key=lambda x: (-SEVERITY_RANK.get(x.severity, 0),
                                       -x.last_seen.replace(tzinfo=UTC).timestamp(), -x.id))
            got = []
            for offset in range(0, len(wanted) + 40, 40):
                rows, total = list_signals(s, filters, "severity", 40, offset)
                assert total == len(wanted)
                got.extend(r.signal.id for r in rows)
            assert got == [x.id for x in wanted]
