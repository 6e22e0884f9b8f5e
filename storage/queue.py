"""Reading the triage queue in order, one page at a time, at 100,000+ signals.

Every sort is a sequence of **segments**, each read newest first along an index:

- ``last_seen`` / ``first_seen`` / ``occurrences``: one segment, ordered by
  ``(last_seen, id)`` / ``(first_seen, id)`` / ``(occurrences, last_seen, id)``, all
  descending (indexes ``ix_signal_last_seen_id``, ``ix_signal_first_seen``,
  ``ix_signal_occurrences_last_seen_id``);
- ``severity``: high, medium, low, then anything else, each by ``(last_seen, id)``
  descending (``ix_signal_severity_last_seen``);
- ``rule`` / ``district`` / ``status`` / ``assignee``: one segment per value in ascending
  order, then the rows without a value (on SQLite and PostgreSQL alike), each by
  ``(last_seen, id)`` descending (``ix_signal_<column>_last_seen``). The next value is
  found by one index seek (``min(column) > previous`` under the same filters), never by
  sorting the matching rows.

Pages are addressed by **keyset cursors** (the segment and the sort key of a page's last or
first row, opaque to callers): the next page continues after the cursor with a row-value
comparison on the index, so page 2,000 costs what page 1 costs. ``offset`` is still accepted
for old API clients; it counts segments to skip whole ones, then skips rows in one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, true, tuple_
from sqlmodel import Session, select

from storage import StorageError
from storage.models import Employer, Signal

SIGNAL_SORTS = ("last_seen", "first_seen", "severity", "rule", "district", "status", "assignee",
                "occurrences")
SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}
_SEVERITIES = ("high", "medium", "low")
_SINGLE_KEYS: dict[str, tuple[Any, ...]] = {
    "last_seen": (Signal.last_seen, Signal.id),
    "first_seen": (Signal.first_seen, Signal.id),
    "occurrences": (Signal.occurrences, Signal.last_seen, Signal.id),
}
_GROUPED = {"rule": Signal.rule, "district": Signal.district, "status": Signal.status,
            "assignee": Signal.assignee}
_NEWEST = (Signal.last_seen, Signal.id)


class InvalidCursor(StorageError):
    """A page cursor that was not made by this queue (or for another sort)."""


@dataclass(frozen=True)
class Segment:
    token: Any  # JSON-serialisable name of the segment (a value, an index, None)
    condition: ColumnElement[bool]


@dataclass(frozen=True)
class QueuePage:
    rows: list[tuple[Signal, Employer | None]]
    next_cursor: str | None  # None: this is the last page
    prev_cursor: str | None  # None: this is the first page


def _keys(sort: str) -> tuple[Any, ...]:
    return _SINGLE_KEYS.get(sort, _NEWEST)


# -- cursors ----------------------------------------------------------------------------------
def _token(sort: str, signal: Signal) -> Any:
    """The segment a signal sits in under ``sort`` (see :func:`_segments`)."""
    if sort == "severity":
        return (_SEVERITIES.index(signal.severity) if signal.severity in _SEVERITIES
                else len(_SEVERITIES))
    if sort in _GROUPED:
        return getattr(signal, sort)
    return 0


def encode_cursor(sort: str, signal: Signal) -> str:
    """The position of ``signal`` in the ``sort`` order, as an opaque URL-safe string."""
    values = []
    for column in _keys(sort):
        value = getattr(signal, column.key)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps([sort, _token(sort, signal), values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple[Any, tuple[Any, ...]]:
    """``(segment token, key values)`` of a cursor made by :func:`encode_cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, token, values = json.loads(raw)
        keys = _keys(sort)
        if made_for != sort or len(values) != len(keys):
            raise ValueError("another sort")
        out = []
        for column, value in zip(keys, values, strict=True):
            if column.key in ("last_seen", "first_seen"):
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise ValueError("a time without its offset")
                out.append(moment)
            elif isinstance(value, int) and not isinstance(value, bool):
                out.append(value)
            else:
                raise ValueError(f"bad {column.key}")
        if sort == "severity" and token not in range(len(_SEVERITIES) + 1):
            raise ValueError("bad severity segment")
        if sort in _GROUPED and token is not None and not isinstance(token, str):
            raise ValueError("bad segment")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor(f"not a cursor of this queue sorted by {sort!r}") from exc
    return token, tuple(out)


# -- segments ---------------------------------------------------------------------------------
def _segments(session: Session, sort: str, conditions: list[Any], start: Any = ...,
              backward: bool = False) -> Iterator[Segment]:
    """The segments of ``sort`` in reading order (reversed when ``backward``), from the one
    named ``start`` (``...``: from the first)."""
    if sort in _SINGLE_KEYS:
        yield Segment(0, true())
        return
    if sort == "severity":
        conds = [Signal.severity == value for value in _SEVERITIES]
        conds.append(or_(Signal.severity.is_(None), Signal.severity.notin_(_SEVERITIES)))
        order = list(range(len(conds)))
        if backward:
            order.reverse()
        if start is not ...:
            order = order[order.index(start):]
        for index in order:
            yield Segment(index, conds[index])
        return
    column = _GROUPED[sort]
    nullable = Signal.__table__.c[column.key].nullable

    def value_after(previous: Any) -> Any:
        bound = column.is_not(None) if previous is ... else column > previous
        return session.exec(select(func.min(column)).where(bound, *conditions)).one()

    def value_before(following: Any) -> Any:
        bound = column.is_not(None) if following is ... else column < following
        return session.exec(select(func.max(column)).where(bound, *conditions)).one()

    if not backward:
        if start is None:  # the cursor is in the segment without a value
            yield Segment(None, column.is_(None))
            return
        value = value_after(...) if start is ... else start
        while value is not None:
            yield Segment(value, column == value)
            value = value_after(value)
        if nullable:
            yield Segment(None, column.is_(None))
        return
    if nullable and start in (..., None):
        yield Segment(None, column.is_(None))
    value = value_before(...) if start in (..., None) else start
    while value is not None:
        yield Segment(value, column == value)
        value = value_before(value)


def _base(conditions: list[Any]) -> Any:
    return (select(Signal, Employer)
            .join(Employer, Signal.employer_id == Employer.id, isouter=True)
            .where(*conditions))


def read_page(session: Session, conditions: list[Any], sort: str, limit: int, *,
              after: str | None = None, before: str | None = None) -> QueuePage:
    """One page of ``limit`` rows: the first one, the one after cursor ``after``, or the
    one before cursor ``before`` (at most one of them)."""
    if sort not in SIGNAL_SORTS:
        raise StorageError(f"unknown sort {sort!r}; expected one of {', '.join(SIGNAL_SORTS)}")
    if after and before:
        raise InvalidCursor("give either a cursor to continue after or one to go back from")
    keys = _keys(sort)
    backward = bool(before)
    start: Any = ...
    bound: tuple[Any, ...] | None = None
    if after or before:
        start, bound = decode_cursor(sort, after or before or "")
    rows: list[tuple[Signal, Employer | None]] = []
    for segment in _segments(session, sort, conditions, start, backward):
        where = [segment.condition]
        if bound is not None:  # only the cursor's own segment is cut by the key
            where.append(tuple_(*keys) > tuple_(*bound) if backward
                         else tuple_(*keys) < tuple_(*bound))
            bound = None
        order = [k.asc() if backward else k.desc() for k in keys]
        statement = _base(conditions).where(*where).order_by(*order)
        got = session.exec(statement.limit(limit + 1 - len(rows))).all()
        rows.extend((signal, employer) for signal, employer in got)
        if len(rows) > limit:
            break
    more = len(rows) > limit
    page = rows[:limit]
    if backward:
        page.reverse()
    first = encode_cursor(sort, page[0][0]) if page else None
    last = encode_cursor(sort, page[-1][0]) if page else None
    if backward:
        return QueuePage(page, next_cursor=last, prev_cursor=first if more else None)
    return QueuePage(page, next_cursor=last if more else None,
                     prev_cursor=first if after else None)


def read_offset(session: Session, conditions: list[Any], sort: str, limit: int,
                offset: int) -> list[tuple[Signal, Employer | None]]:
    """``limit`` rows from position ``offset`` (API clients that page by offset): whole
    segments are skipped by their count, then the rest by OFFSET within one segment."""
    if sort not in SIGNAL_SORTS:
        raise StorageError(f"unknown sort {sort!r}; expected one of {', '.join(SIGNAL_SORTS)}")
    order = [k.desc() for k in _keys(sort)]
    rows: list[tuple[Signal, Employer | None]] = []
    skip = offset
    for segment in _segments(session, sort, conditions):
        if skip:
            size = session.exec(select(func.count()).select_from(Signal)
                                .where(*conditions, segment.condition)).one()
            if skip >= size:
                skip -= size
                continue
        got = session.exec(_base(conditions).where(segment.condition).order_by(*order)
                           .offset(skip).limit(limit - len(rows))).all()
        rows.extend((signal, employer) for signal, employer in got)
        skip = 0
        if len(rows) >= limit:
            break
    return rows
