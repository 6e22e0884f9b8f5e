"""The queue read by index segments and keyset cursors must give exactly the pages of a plain
reference query (one ORDER BY over every row, filtered afterwards), for every sort and the
filter combinations the page offers — forwards, backwards and by offset; and the sector
table (SignalSector) must follow writes of signals and employers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import case, event, text
from sqlmodel import Session, SQLModel, select

from storage import queries
from storage.db import make_engine
from storage.models import Employer, Signal, SignalSector, write_signal_sectors
from storage.nace import NACE_SECTIONS
from storage.queries import (
    SIGNAL_SORTS,
    UNASSIGNED,
    InvalidCursor,
    SignalFilters,
    list_signals,
    signal_page,
)
from storage.queue import encode_cursor

START = datetime(2026, 1, 1, tzinfo=UTC)
PAGE = 23
CODES = ["81210", "45203", "56101", "41201", "49410", "78200", "01110", "8121"]


@pytest.fixture
def queue(engine):  # noqa: ANN001, ANN201
    """230 signals over 25 employers (some without codes), with ties on last_seen, empty
    districts and assignees, an unknown severity, and signals without an employer."""
    rng = random.Random(7)
    with Session(engine) as s:
        employers = []
        for i in range(25):
            codes = rng.sample(CODES, rng.choice((0, 1, 1, 2, 3)))
            employers.append(Employer(enterprise_number=f"{1_000_000_000 + i * 97:010d}",
                                      name=f"E{i}", nace_codes=codes))
        s.add_all(employers)
        s.flush()
        for i in range(230):
            last = START + timedelta(hours=rng.randrange(150))  # many equal timestamps
            s.add(Signal(
                key=f"k{i}", rule=rng.choice(["alpha", "beta", "gamma"]),
                severity=rng.choice(["high", "medium", "low", "odd"]),
                title=f"s{i}", rationale="r", subject_type="record", subject_key=str(i),
                employer_id=rng.choice(employers).id if rng.random() < 0.9 else None,
                district=rng.choice(["gent", "liege", "mons", None]),
                status=rng.choice(["new", "in_review", "confirmed", "dismissed"]),
                assignee=rng.choice(["alice", "bart", None, None]),
                occurrences=rng.randint(1, 4),
                first_seen=last - timedelta(hours=rng.randrange(40)), last_seen=last))
        s.commit()
    return engine


def _reference(s: Session, sort: str) -> list[Signal]:
    """Every signal in ``sort`` order by one plain ORDER BY (empty values last)."""
    newest = (Signal.last_seen.desc(), Signal.id.desc())
    if sort == "severity":
        rank = case({"high": 3, "medium": 2, "low": 1}, value=Signal.severity, else_=0)
        order = (rank.desc(), *newest)
    elif sort == "first_seen":
        order = (Signal.first_seen.desc(), Signal.id.desc())
    elif sort == "occurrences":
        order = (Signal.occurrences.desc(), *newest)
    elif sort == "last_seen":
        order = newest
    else:
        column = getattr(Signal, sort)
        order = (column.is_(None), column.asc(), *newest)
    return list(s.exec(select(Signal).order_by(*order)).all())


def _keeps(s: Session, f: SignalFilters):  # noqa: ANN202
    codes = {e.id: e.nace_codes for e in s.exec(select(Employer)).all()}

    def in_sector(signal: Signal) -> bool:
        low, high = NACE_SECTIONS[f.sector][1]
        return any(low <= int(c[:2]) <= high for c in codes.get(signal.employer_id) or [])

    def keep(x: Signal) -> bool:
        seen = x.last_seen.replace(tzinfo=UTC)
        return ((f.rule is None or x.rule == f.rule)
                and (f.severity is None or x.severity == f.severity)
                and (f.status is None or x.status == f.status)
                and (f.district is None or x.district == f.district)
                and (f.sector is None or in_sector(x))
                and (f.assignee is None or x.assignee == (None if f.assignee == UNASSIGNED
                                                          else f.assignee))
                and (f.last_seen_from is None or seen >= f.last_seen_from)
                and (f.last_seen_to is None or seen <= f.last_seen_to))
    return keep


FILTERS = [
    SignalFilters(),
    SignalFilters(status="new"),
    SignalFilters(sector="N"),
    SignalFilters(district="gent", rule="beta"),
    SignalFilters(assignee=UNASSIGNED, status="in_review"),
    SignalFilters(sector="G", severity="high", status="new"),
    SignalFilters(last_seen_from=START + timedelta(hours=30),
                  last_seen_to=START + timedelta(hours=90), sector="N"),
    SignalFilters(sector="A", district="mons", assignee="alice"),
    SignalFilters(sector="U"),  # nothing matches
]


def test_cursor_pages_equal_the_reference_query(queue) -> None:
    with Session(queue) as s:
        for sort in SIGNAL_SORTS:
            _check_sort(s, sort)


def _check_sort(s: Session, sort: str) -> None:
    ordered = _reference(s, sort)
    for n, f in enumerate(FILTERS):
        keep = _keeps(s, f)
        wanted = [x.id for x in ordered if keep(x)]
        pages, cursor = [], None
        while True:
            page = signal_page(s, f, sort, PAGE, after=cursor)
            assert page.total == len(wanted)
            pages.append([r.signal.id for r in page.rows])
            assert (page.prev_cursor is None) == (cursor is None)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert [i for p in pages for i in p] == wanted, (sort, f)
        assert all(len(p) == PAGE for p in pages[:-1])
        # Backwards from the last page, by the previous-page cursors.
        if len(pages) > 1 and (n < 3 or sort in ("severity", "assignee")):
            last = signal_page(s, f, sort, PAGE, offset=PAGE * (len(pages) - 1))
            assert [r.signal.id for r in last.rows] == pages[-1]
            back, seen = last, [pages[-1]]
            while back.prev_cursor is not None:
                back = signal_page(s, f, sort, PAGE, before=back.prev_cursor)
                seen.append([r.signal.id for r in back.rows])
            assert seen == pages[::-1], (sort, f)
        # By offset (old API clients), across segment boundaries.
        for offset in (0, 5, 40, 101, len(wanted)):
            rows, total = list_signals(s, f, sort, PAGE, offset)
            assert [r.signal.id for r in rows] == wanted[offset:offset + PAGE], (sort, offset)


def _walk(s: Session, f: SignalFilters, sort: str) -> list[int]:
    ids, cursor = [], None
    while True:
        page = signal_page(s, f, sort, PAGE, after=cursor)
        ids += [r.signal.id for r in page.rows]
        if (cursor := page.next_cursor) is None:
            return ids


def test_both_forms_of_the_sector_condition_agree(queue, monkeypatch) -> None:
    """A small section is read from its index, a large one checked row by row (EXISTS):
    same pages either way (the fixture's sections are all small: force the other form)."""
    sectored = [f for f in FILTERS if f.sector]
    with Session(queue) as s:
        listed = {(sort, f): _walk(s, f, sort) for f in sectored
                  for sort in ("last_seen", "severity", "district", "occurrences")}
        monkeypatch.setattr(queries, "SECTOR_LIST_MAX", 0)
        for (sort, f), ids in listed.items():
            assert _walk(s, f, sort) == ids, (sort, f)
            assert list_signals(s, f, sort, PAGE, 30)[1] == len(ids)


def test_cursors_refuse_another_sort_and_garbage(queue) -> None:
    with Session(queue) as s:
        first = signal_page(s, SignalFilters(), "rule", 10)
        assert first.next_cursor is not None
        with pytest.raises(InvalidCursor):
            signal_page(s, SignalFilters(), "severity", 10, after=first.next_cursor)
        for garbage in ("x", "!!!", encode_cursor("rule", first.rows[0].signal)[:-3]):
            with pytest.raises(InvalidCursor):
                signal_page(s, SignalFilters(), "rule", 10, after=garbage)


def _sectors(s: Session) -> set[tuple[int, str]]:
    return {(r.signal_id, r.section) for r in s.exec(select(SignalSector)).all()}


def test_sector_rows_follow_writes_and_the_backfill_rebuilds_them(queue) -> None:
    with Session(queue) as s:
        employer = s.exec(select(Employer).where(Employer.name == "E3")).one()
        employer.nace_codes = ["43320", "96021"]  # F and S
        s.add(employer)
        s.commit()
        mine = {x.id for x in s.exec(select(Signal).where(Signal.employer_id == employer.id))}
        assert mine
        assert {(i, sec) for i, sec in _sectors(s) if i in mine} == {
            (i, sec) for i in mine for sec in ("F", "S")}
        moved = s.exec(select(Signal).where(Signal.employer_id != employer.id)).first()
        moved.employer_id = employer.id
        s.add(moved)
        s.commit()
        assert {sec for i, sec in _sectors(s) if i == moved.id} == {"F", "S"}
        fresh = Signal(key="fresh", rule="alpha", severity="low", title="t", rationale="r",
                       subject_type="record", subject_key="x", employer_id=employer.id)
        s.add(fresh)
        s.commit()
        assert {sec for i, sec in _sectors(s) if i == fresh.id} == {"F", "S"}
        s.delete(fresh)
        s.commit()
        assert not any(i == fresh.id for i, _ in _sectors(s))
        kept = _sectors(s)
        assert {sec for _, sec in kept} >= {"N", "G", "I", "F", "H", "A"}
        s.execute(text("DELETE FROM signalsector"))
        s.commit()
        assert signal_page(s, SignalFilters(sector="N"), "last_seen", 10).total == 0
        with queue.begin() as conn:
            assert write_signal_sectors(conn) == len(kept)
        assert _sectors(s) == kept


@pytest.mark.sqlite_only("reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans by statistics")
def test_page_queries_walk_an_index_in_order(tmp_path) -> None:
    """EXPLAIN QUERY PLAN on SQLite: each page query of the common sorts and filters reads an
    index in the page's order (no temporary B-tree sorting every matching row)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    SQLModel.metadata.create_all(engine)
    pages: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        if statement.startswith("SELECT") and "LIMIT" in statement and "JOIN employer" in statement:
            pages.append((statement, parameters))

    cases = [(sort, SignalFilters()) for sort in SIGNAL_SORTS]
    cases += [("last_seen", SignalFilters(status="new")),
              ("last_seen", SignalFilters(status="new", severity="high")),
              ("last_seen", SignalFilters(assignee=UNASSIGNED, status="new")),
              ("last_seen", SignalFilters(district="gent", rule="beta")),
              ("severity", SignalFilters(status="in_review")),
              ("district", SignalFilters(sector="N")),
              ("rule", SignalFilters(sector="N"))]
    with Session(engine) as s:
        employer = Employer(name="E", nace_codes=["81210"])
        s.add(employer)
        s.flush()
        s.add(Signal(key="k", rule="beta", severity="high", title="t", rationale="r",
                     subject_type="record", subject_key="1", district="gent",
                     employer_id=employer.id))
        s.commit()
        for sort, f in cases:
            pages.clear()
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(queries, "SECTOR_LIST_MAX", 0)  # the form for a large section
                signal_page(s, f, sort, 50)
            assert pages, (sort, f)
            for statement, parameters in list(pages):
                plan = " | ".join(row[3] for row in s.connection().exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters))
                assert "TEMP B-TREE" not in plan and "USING INDEX" in plan, (sort, f, plan)
    engine.dispose()
