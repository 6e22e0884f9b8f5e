"""Bulk, incremental import of the KBO register into the Employer table.

The real KBO Open Data dump holds about two million enterprises, so the import never asks
the database about one enterprise at a time. It loads once, in enterprise-number order, a
compact index of what is stored (number, ``Employer.id`` and two flags, in ``array``
columns: about 17 bytes per enterprise), then streams the entries: an entry whose number is
unknown is inserted; the stored rows of known ones are fetched a batch at a time (one
``SELECT … WHERE id IN (…)``) and compared field by field: a changed one is updated in place
(``Employer.id`` never changes, so matches, judgements and signals keep pointing at it), an
unchanged one is skipped. Writes go through SQLAlchemy Core ``executemany`` in batches, one
transaction per batch. The CSV reading runs in a second process (:func:`prepared_dump`).

A *full* dump lists every active enterprise (the open data leaves stopped ones out), so
after a full import the enterprises of origin ``kbo_opendata`` that the dump no longer lists
get ``status = "ST"`` and are counted as ``struck_off``; they are never deleted.

Employers first seen on a register page (origin ``registry_page``) or in an employer CSV keep
their origin, and the page-only facts (``onss_since``, ``juridical_situation_date``, the
page's ``juridical_situation_label``; ``capture_id`` is never written here) unless the dump
has a value for them.
"""

from __future__ import annotations

import multiprocessing as mp
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from queue import Empty
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

from entity_resolution import EntityResolutionError
from entity_resolution.geo import lookup_postcode
from entity_resolution.register import ImportReport, RegisterEntry, read_kbo_opendata
from storage.models import Employer, utcnow, write_signal_sectors

KBO_ORIGIN = "kbo_opendata"
# The columns an import writes (besides enterprise_number, origin and updated_at); the
# content hash covers exactly these, in this order.
COLUMNS = (
    "name",
    "other_names",
    "legal_form",
    "status",
    "juridical_situation",
    "juridical_situation_label",
    "juridical_situation_date",
    "start_date",
    "onss_employer",
    "onss_since",
    "street",
    "postcode",
    "municipality",
    "district",
    "country",
    "phone",
    "email",
    "website",
    "nace_codes",
)
# Facts only a register page gives: kept on non-KBO employers when the dump has no value.
PAGE_ONLY = ("onss_since", "juridical_situation_label", "juridical_situation_date")
_LIST_COLUMNS = frozenset({"other_names", "nace_codes"})
_KBO_FLAG = 1
_STOPPED_FLAG = 2

Progress = Callable[[int], None]


def _canonical(column: str, value: Any) -> Any:
    if column in _LIST_COLUMNS:
        return tuple(value or ())
    if column == "onss_employer":
        return bool(value)
    return value


class _Stored:
    """The index of stored employers: sorted numbers with id and flags, side by side.

    Read with a plain SQL query (no type processing): about 1 s per million employers."""

    def __init__(self, session: Session) -> None:
        self.numbers = array("q")
        self.ids = array("q")
        self.flags = bytearray()
        cursor = session.connection().exec_driver_sql(
            "SELECT enterprise_number, id, origin, status FROM employer "
            "WHERE enterprise_number IS NOT NULL ORDER BY enterprise_number"
        )
        while rows := cursor.fetchmany(50_000):
            for number, employer_id, origin, status in rows:
                if not number.isdigit():
                    continue
                self.numbers.append(int(number))
                self.ids.append(employer_id)
                flag = _STOPPED_FLAG if status == "ST" else 0
                self.flags.append(flag | _KBO_FLAG if origin == KBO_ORIGIN else flag)
        self.seen = bytearray(len(self.numbers))

    def find(self, key: int) -> int:
        """Index of ``key`` in the stored arrays, or -1."""
        i = bisect_left(self.numbers, key)
        return i if i < len(self.numbers) and self.numbers[i] == key else -1


class _Districts:
    """Postcode → judicial district id, looked up once per postcode."""

    def __init__(self) -> None:
        self.cache: dict[str, str | None] = {}

    def __call__(self, postcode: str | None) -> str | None:
        if not postcode:
            return None
        if postcode not in self.cache:
            place = lookup_postcode(postcode)
            self.cache[postcode] = place.district.id if place and place.district else None
        return self.cache[postcode]


def entry_values(
    entry: RegisterEntry, districts: Callable[[str | None], str | None]
) -> tuple[Any, ...]:
    """The Employer column values an import writes for ``entry``, in :data:`COLUMNS` order.

    List columns are tuples (stored as JSON arrays all the same), so the tuple is hashable."""
    return (
        entry.name,
        tuple(entry.other_names),
        entry.legal_form,
        entry.status,
        entry.juridical_situation,
        entry.juridical_situation_label,
        entry.juridical_situation_date,
        entry.start_date,
        bool(entry.onss_employer),
        entry.onss_since,
        entry.street,
        entry.postcode,
        entry.municipality,
        districts(entry.postcode),
        entry.country or "BE",
        entry.phone,
        entry.email,
        entry.website,
        tuple(entry.nace_codes),
    )


Prepared = tuple[str, tuple[Any, ...]]  # (number, values in COLUMNS order)


def prepare(entries: Iterable[RegisterEntry]) -> Iterator[Prepared]:
    """Entries as ``(number, values)``: the CPU-heavy half of an import."""
    districts = _Districts()
    for entry in entries:
        values = entry_values(entry, districts)
        yield entry.enterprise_number, values


def bulk_import_entries(
    session: Session,
    entries: Iterable[RegisterEntry],
    origin: str = KBO_ORIGIN,
    batch: int = 5000,
    full: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Insert new employers, update changed ones, skip unchanged ones; see the module doc.

    ``full``: ``entries`` is a complete dump, so stored ``kbo_opendata`` employers it lacks
    are struck off. ``progress`` is called with the number of entries read after each batch.
    Returns ``{"new", "changed", "unchanged", "struck_off", "duplicates"}`` (``duplicates``:
    entries repeating the number of the entry just before, skipped).
    """
    return write_prepared(session, prepare(entries), origin, batch, full, progress)


def write_prepared(
    session: Session,
    items: Iterable[Prepared],
    origin: str = KBO_ORIGIN,
    batch: int = 5000,
    full: bool = True,
    progress: Progress | None = None,
) -> dict[str, int]:
    """The database half of :func:`bulk_import_entries`, over :func:`prepare`'s output."""
    table = Employer.__table__
    stored = _Stored(session)
    session.commit()  # end the read transaction before writing
    counts = {"new": 0, "changed": 0, "unchanged": 0, "struck_off": 0, "duplicates": 0}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    insert_stmt = insert(table)
    update_stmt = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({c: bindparam(c) for c in (*COLUMNS, "updated_at")})
    )
    read = 0
    previous = ""
    page_at = [COLUMNS.index(c) for c in PAGE_ONLY]

    existing: list[tuple[int, tuple[Any, ...]]] = []
    fetch = select(table.c.id, table.c.origin, *(table.c[c] for c in COLUMNS))

    def compare() -> None:
        """Fetch the stored rows of ``existing`` in one query; queue the changed ones."""
        if not existing:
            return
        ids = [employer_id for employer_id, _ in existing]
        conn = session.connection()
        stored_rows = {r[0]: r for r in conn.execute(fetch.where(table.c.id.in_(ids)))}
        for employer_id, values in existing:
            old = stored_rows[employer_id]
            if old[1] != KBO_ORIGIN:  # keep what only a register page said
                merged = list(values)
                for i in page_at:
                    if merged[i] is None and old[2 + i] is not None:
                        merged[i] = old[2 + i]
                values = tuple(merged)
            if values == tuple(_canonical(c, v) for c, v in zip(COLUMNS, old[2:], strict=True)):
                counts["unchanged"] += 1
            else:
                row = dict(zip(COLUMNS, values, strict=True))
                row["_id"] = employer_id
                updates.append(row)
                counts["changed"] += 1
        existing.clear()

    def flush() -> None:
        now = utcnow()
        conn = session.connection()
        if inserts:
            for row in inserts:
                row["updated_at"] = now
            conn.execute(insert_stmt, inserts)
        if updates:
            for row in updates:
                row["updated_at"] = now
            conn.execute(update_stmt, updates)
            # raw statements bypass the ORM listeners that keep the queue's sector rows in step
            write_signal_sectors(conn, employer_ids=[row["_id"] for row in updates])
        session.commit()
        inserts.clear()
        updates.clear()
        if progress is not None:
            progress(read)

    for number, values in items:
        read += 1
        if number == previous:
            counts["duplicates"] += 1
            continue
        previous = number
        key = int(number) if number.isdigit() else -1
        at = stored.find(key) if key >= 0 else -1
        if at < 0:
            row = dict(zip(COLUMNS, values, strict=True))
            row["enterprise_number"] = number or None
            row["origin"] = origin
            inserts.append(row)
            counts["new"] += 1
        else:
            stored.seen[at] = 1
            existing.append((stored.ids[at], values))
            if len(existing) >= batch:
                compare()
        if len(inserts) + len(updates) >= batch:
            flush()
    compare()
    flush()
    if full:
        counts["struck_off"] = _strike_off(session, stored)
    return counts


def _strike_off(session: Session, stored: _Stored) -> int:
    """Set status ST on unseen, still-active KBO employers; return how many."""
    gone = [
        stored.ids[i]
        for i, flag in enumerate(stored.flags)
        if not stored.seen[i] and flag & _KBO_FLAG and not flag & _STOPPED_FLAG
    ]
    table = Employer.__table__
    now = utcnow()
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        session.connection().execute(
            update(table).where(table.c.id.in_(chunk)).values(status="ST", updated_at=now)
        )
        session.commit()
    return len(gone)


__all__ = [
    "COLUMNS",
    "KBO_ORIGIN",
    "PAGE_ONLY",
    "bulk_import_entries",
    "entry_values",
    "prepare",
    "write_prepared",
]


# --------------------------------------------------------------------------- reading in a child

_DONE = "done"
_FAILED = "failed"


def _read_in_child(path: str, queue: Any, batch: int) -> None:
    """Child process: read and prepare the dump, send batches, then the ImportReport."""
    report = ImportReport()
    chunk: list[Prepared] = []
    try:
        for item in prepare(read_kbo_opendata(path, report)):
            chunk.append(item)
            if len(chunk) >= batch:
                queue.put(chunk)
                chunk = []
        if chunk:
            queue.put(chunk)
        queue.put((_DONE, report))
    except EntityResolutionError as exc:
        queue.put((_FAILED, str(exc)))
    except BaseException as exc:  # the parent must hear of it, whatever it is
        queue.put((_FAILED, f"{type(exc).__name__}: {exc}"))
        raise


def prepared_dump(
    path: str | Path, report: ImportReport, in_child: bool = True, batch: int = 2000
) -> Iterator[Prepared]:
    """:func:`prepare` over the KBO dump at ``path``, read in a child process.

    CSV parsing and normalisation take more CPU than the database writes; a second process
    does them while this one writes, so the import uses both cores. The child's
    :class:`ImportReport` is copied into ``report`` at the end. The child comes from a
    ``forkserver`` (a clean single-threaded process), never from a plain fork of this one: a
    fork copies a process whose other threads (a web server, a database driver) may hold
    locks, and the copy can then crash. Where forkserver is not available, or with
    ``in_child=False``, everything runs here. The child starts at
    once; iterate the result to its end (or close it). Raises :class:`EntityResolutionError`
    (while iterating) if the dump cannot be read.
    """
    if not in_child or "forkserver" not in mp.get_all_start_methods():
        return prepare(read_kbo_opendata(path, report))
    context = mp.get_context("forkserver")
    # Bounded: the child runs ahead (while this process loads what is stored) but not far.
    queue = context.Queue(maxsize=40)
    child = context.Process(target=_read_in_child, args=(str(path), queue, batch), daemon=True)
    child.start()  # now, not at the first next(): reading starts while the index loads
    return _receive(child, queue, str(path), report)


def _receive(child: Any, queue: Any, path: str, report: ImportReport) -> Iterator[Prepared]:
    try:
        while True:
            try:
                message = queue.get(timeout=1)
            except Empty:
                if not child.is_alive():
                    raise EntityResolutionError(
                        f"the process reading {path} died (exit code {child.exitcode})"
                    ) from None
                continue
            if isinstance(message, list):
                yield from message
                continue
            status, payload = message
            if status == _FAILED:
                raise EntityResolutionError(f"reading the KBO dump {path}: {payload}")
            for name in ImportReport.__slots__:
                setattr(report, name, getattr(payload, name))
            return
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=10)
        queue.close()
