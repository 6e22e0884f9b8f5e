"""KBO Open Data *update* extracts: per-enterprise changes, and the order extracts go in.

Besides the monthly full extract, the KBO publishes update extracts
(``KboOpenData_<nr>_<year>_<month>_Update.zip``, now daily) holding "the mutations between the
last and the penultimate" extract (KBO Open Data cookbook, §1.5.2). Every topic file of the full
extract comes as two files:

- ``<topic>_delete.csv`` — one column (``EnterpriseNumber`` for enterprise, ``EntityNumber``
  for denomination, address, contact and activity, ``EstablishmentNumber``, branch ``Id``): the
  entities whose rows of that topic must be deleted first;
- ``<topic>_insert.csv`` — the full rows to insert afterwards, in the layout of the full file:
  *all* rows of the topic for each entity touched, changed or not.

So an update replaces, per enterprise, the topics it touches, and nothing else. An enterprise in
``enterprise_delete.csv`` without a row in ``enterprise_insert.csv`` has left the open data
(it is no longer active: the open data hold active entities only). ``meta.csv`` gives
``ExtractType`` (``full``/``update``) and ``ExtractNumber``, increased by one per extract; update
``N`` turns the register of extract ``N - 1`` into that of extract ``N``.

:func:`read_kbo_update` streams an update with a merge over its files (each sorted by entity
number, as in the full extract) and yields one :class:`RegisterChange` per enterprise touched,
in number order, so even a large update never sits in memory. Establishment-unit and branch rows
are counted and skipped (the register is kept at enterprise level).
:func:`check_extract_order` refuses an update that is already in the register or does not
follow the extract the register holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from entity_resolution import EntityResolutionError
from entity_resolution.register import (
    ImportReport,
    RegisterEntry,
    _build_entry,
    _dict_rows,
    _Dump,
    _load_codes,
    _SideFile,
    parse_kbo_date,
)

TOPICS = ("enterprise", "denomination", "address", "contact", "activity")
_SIDE_TOPICS = TOPICS[1:]
_UNIT_FILES = (
    "establishment_delete.csv",
    "establishment_insert.csv",
    "branch_delete.csv",
    "branch_insert.csv",
)


class ExtractOrderError(EntityResolutionError):
    """An extract does not follow the one the register holds (pass ``force`` to apply it)."""


class ExtractAlreadyApplied(ExtractOrderError):
    """The register already holds this extract (or a later one)."""


@dataclass(frozen=True, slots=True)
class RegisterChange:
    """What an update extract says about one enterprise.

    ``topics``: the topics the update replaces for it (any of :data:`TOPICS`); ``entry``
    holds the new values of those topics (its other fields are empty and mean nothing).
    ``removed``: the enterprise left the open data (deleted without being re-inserted)."""

    enterprise_number: str
    topics: frozenset[str]
    entry: RegisterEntry
    removed: bool = False


@dataclass(frozen=True, slots=True)
class ExtractMeta:
    """What ``meta.csv`` says about an extract, and whether its files are an update.

    ``number`` is ``ExtractNumber`` (None when there is no meta.csv, e.g. a generated dump);
    ``extract_type`` is ``"full"`` or ``"update"`` (from the files when meta.csv is silent)."""

    extract_type: str
    number: int | None = None
    snapshot_date: date | None = None
    timestamp: str | None = None
    version: str | None = None

    @property
    def is_update(self) -> bool:
        return self.extract_type == "update"


def read_extract_meta(path: str | Path) -> ExtractMeta:
    """Read ``meta.csv`` of the extract at ``path`` (folder or zip) and tell full from update.

    Raises :class:`EntityResolutionError` when meta.csv contradicts the files (an update
    meta over full files or the reverse) or when its ExtractNumber is not a number."""
    dump = _Dump(Path(path))
    try:
        values: dict[str, str] = {}
        if dump.has("meta.csv"):
            with dump.open("meta.csv") as stream:
                for _, row in _dict_rows(stream):
                    key = (row.get("Variable") or "").strip()
                    if key:
                        values[key] = (row.get("Value") or "").strip()
    finally:
        dump.close()
    kind = "update" if dump.is_update else "full"
    declared = values.get("ExtractType", "").lower()
    if declared and {"update": "update", "d": "update", "full": "full", "f": "full"}.get(
        declared
    ) not in (kind, None):
        raise EntityResolutionError(
            f"meta.csv of {path} says ExtractType {values['ExtractType']!r} but the files are "
            f"those of a {kind} extract"
        )
    number: int | None = None
    if values.get("ExtractNumber"):
        try:
            number = int(float(values["ExtractNumber"]))
        except ValueError:
            raise EntityResolutionError(
                f"meta.csv of {path}: ExtractNumber {values['ExtractNumber']!r} is not a number"
            ) from None
    snapshot: date | None = None
    if values.get("SnapshotDate"):
        try:
            snapshot = parse_kbo_date(values["SnapshotDate"])
        except ValueError:
            raise EntityResolutionError(
                f"meta.csv of {path}: SnapshotDate {values['SnapshotDate']!r} is not a date"
            ) from None
    return ExtractMeta(
        extract_type=kind,
        number=number,
        snapshot_date=snapshot,
        timestamp=values.get("ExtractTimestamp") or None,
        version=values.get("Version") or None,
    )


def check_extract_order(meta: ExtractMeta, applied: int | None, force: bool = False) -> None:
    """Refuse an extract that does not fit the register holding extract ``applied``.

    An update ``N`` needs the register at extract ``N - 1``: ``N <= applied`` is already in it
    (:class:`ExtractAlreadyApplied`), ``N > applied + 1`` would skip the changes in between, and
    with no extract recorded (empty register, or one imported from a dump without meta.csv)
    there is nothing known to apply it to. A full extract older than ``applied`` would roll the
    register back. ``force`` skips every check (the caller says it knows better)."""
    if force:
        return
    number = meta.number
    if meta.is_update:
        if number is None:
            raise ExtractOrderError(
                "the update extract has no ExtractNumber in meta.csv, so its place in the "
                "sequence is unknown (force to apply it anyway)"
            )
        if applied is None:
            raise ExtractOrderError(
                f"update extract {number} needs the register at extract {number - 1}, but no "
                "extract number is recorded for the register: import a full extract first "
                "(force to apply it anyway)"
            )
        if number <= applied:
            raise ExtractAlreadyApplied(
                f"update extract {number} is already in the register (it holds extract "
                f"{applied}); force to apply it again"
            )
        if number > applied + 1:
            raise ExtractOrderError(
                f"update extract {number} does not follow extract {applied} held by the "
                f"register: apply extract {applied + 1} first, or import a newer full extract "
                "(force to apply it anyway)"
            )
    elif number is not None and applied is not None and number < applied:
        raise ExtractOrderError(
            f"full extract {number} is older than extract {applied} held by the register "
            "(force to import it anyway)"
        )


def read_kbo_update(
    path: str | Path, report: ImportReport | None = None
) -> Iterator[RegisterChange]:
    """Stream the changes of the update extract at ``path`` (folder or zip), by number.

    Raises :class:`EntityResolutionError` if ``path`` is not an update extract or lacks
    ``code.csv`` (without it, legal forms and juridical situations would lose their labels).
    Problems of single lines go to ``report`` as in :func:`read_kbo_opendata`."""
    report = report if report is not None else ImportReport()
    dump = _Dump(Path(path))
    try:
        if not dump.is_update:
            raise EntityResolutionError(
                f"{path} is a full extract (enterprise.csv), not an update extract"
            )
        if not dump.has("code.csv"):
            raise EntityResolutionError(
                f"no code.csv in the update extract {path} (every KBO extract has one)"
            )
        codes = _load_codes(dump)
    except BaseException:
        dump.close()
        raise
    known: dict[str, str] = {}
    files: dict[tuple[str, str], _SideFile] = {}
    try:
        for topic in TOPICS:
            for op in ("delete", "insert"):
                name = f"{topic}_{op}.csv"
                if not dump.has(name):
                    continue
                key_column = None
                if op == "insert":
                    key_column = "EnterpriseNumber" if topic == "enterprise" else "EntityNumber"
                files[(topic, op)] = _SideFile(dump, name, key_column, report, known, runs=True)
        while True:
            keys = [f.pending[0] for f in files.values() if f.pending is not None]
            if not keys:
                break
            number = min(keys)
            parts = {which: side.take(number) for which, side in files.items()}
            if len(known) >= 4096:  # each file reads at most one entity ahead
                known.clear()
            yield _change(number, parts, codes, report)
        for name in _UNIT_FILES:
            if dump.has(name):
                with dump.open(name) as stream:
                    for _ in _dict_rows(stream):
                        report.count(report.establishment_rows, name)
    finally:
        for side in files.values():
            if side.stream is not None:
                side.stream.close()
        dump.close()


def _change(
    number: str,
    parts: dict[tuple[str, str], list[tuple[int, dict[str, str]]]],
    codes: dict[tuple[str, str], dict[str, str]],
    report: ImportReport,
) -> RegisterChange:
    topics = frozenset(topic for (topic, _), rows in parts.items() if rows)
    rows = parts.get(("enterprise", "insert"), [])
    if len(rows) > 1:
        report.problem(
            "enterprise_insert.csv",
            rows[1][0],
            f"enterprise {number} inserted {len(rows)} times; the last row is used",
        )
    line, row = rows[-1] if rows else (0, {})
    sides = {topic: parts.get((topic, "insert"), []) for topic in _SIDE_TOPICS}
    entry = _build_entry(number, line, row, sides, codes, report, count_nameless=False)
    removed = bool(parts.get(("enterprise", "delete"))) and not rows
    report.enterprises += 1
    return RegisterChange(number, topics, entry, removed)
