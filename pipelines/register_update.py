"""Apply a KBO Open Data *update* extract to the Employer table, and keep the extract sequence.

An update touches a few thousand enterprises of a register of two million, so it is applied
without looking at the rest: the changes (:func:`entity_resolution.kbo_update.read_kbo_update`,
streamed in number order) are taken a batch at a time, the stored rows of that batch fetched in
one ``SELECT … WHERE enterprise_number IN (…)`` on the unique index, and for each enterprise
only the columns of the topics the update replaces are overwritten (:data:`TOPIC_COLUMNS`; a
name change leaves the address alone). ``Employer.id`` never changes. An enterprise that left
the open data gets ``status = "ST"`` and keeps everything else: matches, signals and judgements
point at it. An update is one transaction: all of it is in the register, or none of it.

Which extract the register holds is kept in the ``config`` of the :class:`Source` named
``kbo_opendata`` (``extract_number``, ``extract_type``, ``snapshot_date`` and a short history),
written in the same transaction as the changes; :func:`import_kbo_extract` checks it before
applying anything (:func:`entity_resolution.kbo_update.check_extract_order`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session
from sqlmodel import select as sql_select

from entity_resolution import EntityResolutionError
from entity_resolution.kbo_update import (
    ExtractMeta,
    RegisterChange,
    check_extract_order,
    read_extract_meta,
    read_kbo_update,
)
from entity_resolution.register import ImportReport
from pipelines.register_bulk import (
    COLUMNS,
    KBO_ORIGIN,
    PAGE_ONLY,
    Progress,
    _canonical,
    _Districts,
    entry_values,
    prepared_dump,
    write_prepared,
)
from storage.models import Employer, Source, utcnow, write_signal_sectors

REGISTER_SOURCE = "kbo_opendata"
HISTORY_KEPT = 50

# The Employer columns each KBO topic fills; an update replaces a topic's columns as a whole.
TOPIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "enterprise": (
        "legal_form",
        "status",
        "juridical_situation",
        "juridical_situation_label",
        "start_date",
    ),
    "denomination": ("name", "other_names"),
    "address": ("street", "postcode", "municipality", "district", "country"),
    "contact": ("phone", "email", "website"),
    "activity": ("onss_employer", "nace_codes"),
}
_AT = {topic: [COLUMNS.index(c) for c in cols] for topic, cols in TOPIC_COLUMNS.items()}
_PAGE_AT = [COLUMNS.index(c) for c in PAGE_ONLY]
_STATUS_AT = COLUMNS.index("status")


def applied_extract(session: Session) -> int | None:
    """The number of the last KBO extract imported into the register (None: unknown)."""
    source = session.exec(sql_select(Source).where(Source.name == REGISTER_SOURCE)).first()
    if source is None:
        return None
    number = (source.config or {}).get("extract_number")
    return int(number) if number is not None else None


def record_extract(
    session: Session, meta: ExtractMeta, counts: dict[str, int], forced: bool = False
) -> None:
    """Remember that the register now holds extract ``meta`` (not committed here)."""
    source = session.exec(sql_select(Source).where(Source.name == REGISTER_SOURCE)).first()
    if source is None:
        source = Source(
            name=REGISTER_SOURCE,
            kind="register",
            base_url="https://kbopub.economie.fgov.be/kbo-open-data",
            legal_basis="KBO Open Data licence (FOD Economie): free re-use",
        )
    config = dict(source.config or {})
    step = {
        "extract_number": meta.number,
        "extract_type": meta.extract_type,
        "snapshot_date": meta.snapshot_date.isoformat() if meta.snapshot_date else None,
        "applied_at": utcnow().isoformat(),
        "forced": forced,
        "counts": dict(counts),
    }
    history = [*list(config.get("history") or [])[-(HISTORY_KEPT - 1) :], step]
    # A new dict (not an in-place edit), so that the JSON column is written.
    source.config = {**{k: v for k, v in step.items() if k != "counts"}, "history": history}
    session.add(source)
    session.flush()


def apply_changes(
    session: Session,
    changes: Iterable[RegisterChange],
    origin: str = KBO_ORIGIN,
    batch: int = 1000,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write the changes of an update extract; see the module doc. Does not commit.

    Returns ``{"new", "changed", "unchanged", "struck_off", "not_in_register"}``:
    ``not_in_register`` counts changes to enterprises the register does not hold and the
    update does not create (e.g. a register built from a partial list)."""
    writer = _Writer(session, origin)
    pending: list[RegisterChange] = []
    numbers: set[str] = set()
    read = 0
    for change in changes:
        read += 1
        if change.enterprise_number in numbers:  # unsorted input: write what came before
            writer.apply(pending)
            pending, numbers = [], set()
        pending.append(change)
        numbers.add(change.enterprise_number)
        if len(pending) >= batch:
            writer.apply(pending)
            pending, numbers = [], set()
            if progress is not None:
                progress(read)
    writer.apply(pending)
    if progress is not None:
        progress(read)
    return writer.counts


class _Writer:
    """Compares a batch of changes with the stored rows and writes the differences."""

    def __init__(self, session: Session, origin: str) -> None:
        self.session = session
        self.origin = origin
        self.districts: Callable[[str | None], str | None] = _Districts()
        self.counts = {
            "new": 0,
            "changed": 0,
            "unchanged": 0,
            "struck_off": 0,
            "not_in_register": 0,
        }
        table = Employer.__table__
        self.table = table
        self.fetch = select(
            table.c.enterprise_number, table.c.id, table.c.origin, *(table.c[c] for c in COLUMNS)
        )
        self.insert_stmt = insert(table)
        self.update_stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in (*COLUMNS, "updated_at")})
        )

    def apply(self, changes: list[RegisterChange]) -> None:
        if not changes:
            return
        conn = self.session.connection()
        numbers = [c.enterprise_number for c in changes]
        stored = {
            row[0]: row
            for row in conn.execute(self.fetch.where(self.table.c.enterprise_number.in_(numbers)))
        }
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        now = utcnow()
        for change in changes:
            old = stored.get(change.enterprise_number)
            if old is None:
                if change.removed or "enterprise" not in change.topics:
                    self.counts["not_in_register"] += 1
                    continue
                row = dict(zip(COLUMNS, entry_values(change.entry, self.districts), strict=True))
                row.update(enterprise_number=change.enterprise_number, origin=self.origin)
                row["updated_at"] = now
                inserts.append(row)
                self.counts["new"] += 1
                continue
            current = tuple(_canonical(c, v) for c, v in zip(COLUMNS, old[3:], strict=True))
            merged = list(current)
            if change.removed:
                merged[_STATUS_AT] = "ST"
            else:
                new = entry_values(change.entry, self.districts)
                for topic in change.topics:
                    for i in _AT.get(topic, ()):
                        merged[i] = new[i]
                if old[2] != KBO_ORIGIN:  # keep what only a register page said
                    for i in _PAGE_AT:
                        if merged[i] is None:
                            merged[i] = current[i]
            if tuple(merged) == current:
                self.counts["unchanged"] += 1
                continue
            row = dict(zip(COLUMNS, merged, strict=True))
            row["_id"] = old[1]
            row["updated_at"] = now
            updates.append(row)
            self.counts["struck_off" if change.removed else "changed"] += 1
        if inserts:
            conn.execute(self.insert_stmt, inserts)
        if updates:
            conn.execute(self.update_stmt, updates)
            # raw statements bypass the ORM listeners that keep the queue's sector rows in step
            write_signal_sectors(conn, employer_ids=[row["_id"] for row in updates])


def apply_kbo_update(
    session: Session,
    path: str | Path,
    report: ImportReport,
    force: bool = False,
    progress: Progress | None = None,
    batch: int = 1000,
) -> dict[str, int]:
    """Apply the update extract at ``path`` (folder or zip) in one transaction.

    Raises :class:`entity_resolution.kbo_update.ExtractAlreadyApplied` /
    :class:`~entity_resolution.kbo_update.ExtractOrderError` (nothing written) when the
    extract does not follow the one the register holds, unless ``force``; and
    :class:`EntityResolutionError` when ``path`` is not an update extract."""
    meta = read_extract_meta(path)
    if not meta.is_update:
        raise EntityResolutionError(f"{path} is a full extract, not an update extract")
    check_extract_order(meta, applied_extract(session), force)
    try:
        counts = apply_changes(
            session, read_kbo_update(path, report), batch=batch, progress=progress
        )
        record_extract(session, meta, counts, forced=force)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return counts


def import_kbo_extract(
    session: Session,
    path: str | Path,
    report: ImportReport,
    full: bool = True,
    force: bool = False,
    progress: Progress | None = None,
    in_child: bool = True,
) -> tuple[ExtractMeta, dict[str, int]]:
    """Import the KBO extract at ``path``, full or update (told by its files and meta.csv).

    A full extract goes through :func:`pipelines.register_bulk.write_prepared` (``full``:
    strike off what it no longer lists), an update through :func:`apply_kbo_update`. Both
    check the extract order first (unless ``force``) and record the extract afterwards.
    Returns the extract's meta and the counts."""
    meta = read_extract_meta(path)
    if meta.is_update:
        return meta, apply_kbo_update(session, path, report, force=force, progress=progress)
    check_extract_order(meta, applied_extract(session), force)
    session.commit()  # end the read transaction: write_prepared commits batch by batch
    counts = write_prepared(
        session, prepared_dump(path, report, in_child=in_child), full=full, progress=progress
    )
    record_extract(session, meta, counts, forced=force)
    session.commit()
    return meta, counts


__all__ = [
    "REGISTER_SOURCE",
    "TOPIC_COLUMNS",
    "applied_extract",
    "apply_changes",
    "apply_kbo_update",
    "import_kbo_extract",
    "record_extract",
]
