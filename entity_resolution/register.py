"""The known-employer register: :class:`RegisterEntry` and the KBO Open Data reader.

The KBO/BCE Open Data dump (``KboOpenData_<nr>_<date>_Full.zip``) holds one CSV per topic, each
sorted by entity number: ``enterprise.csv`` (status, juridical situation and form, start date),
``denomination.csv`` (TypeOfDenomination 001 legal name, 002 abbreviation, 003 commercial
name), ``address.csv`` (TypeOfAddress REGO = registered seat), ``contact.csv`` (TEL, EMAIL,
WEB), ``activity.csv`` (NACE codes; ActivityGroup 006 "Activités ONSS / RSZ-activiteiten" means
the enterprise is registered as an ONSS employer) and ``code.csv`` (labels of the codes).

:func:`read_kbo_opendata` streams it with a merge-join on the enterprise number, one
enterprise at a time, so the real dump (2 million enterprises, 36 million activity rows) never
sits in memory. Rows of establishment units (``2.xxx.xxx.xxx``) are skipped and counted: the
register is kept at enterprise level. Dirty input (floats such as ``416.0``, stripped zeros
such as ``12`` for ``012``, ``200065765.0`` for ``0200.065.765``) is repaired; a line that cannot
be repaired becomes an :class:`ImportProblem` and the import goes on.

The daily/monthly *update* extracts (``KboOpenData_<nr>_<date>_Update.zip``: ``<topic>_delete.csv``
and ``<topic>_insert.csv``) are read by :mod:`entity_resolution.kbo_update` with the same parts.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO

from entity_resolution import EntityResolutionError
from entity_resolution.geo import normalize_postcode
from entity_resolution.identifiers import (
    normalize_email,
    normalize_enterprise_number,
    normalize_phone,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One enterprise of the register, as the matcher and the signals see it.

    Codes as in the KBO (and in ``storage.models.Employer``): ``status`` ``"AC"`` (active) or
    ``"ST"`` (stopped); ``juridical_situation`` ``"000"`` (normal), ``"050"`` (bankruptcy) …
    with its French label in ``juridical_situation_label`` when the code table is known.
    ``legal_form`` is the French label of the legal form when known, else its code (always in
    ``legal_form_code``). ``phone`` is E.164 when valid. ``nace_codes`` are the codes of the
    newest NACE version present (``nace_version``), main activity first. ``country`` is
    ``"BE"`` for a Belgian seat, else the country as the source writes it.
    """

    enterprise_number: str
    name: str
    other_names: tuple[str, ...] = ()
    legal_form: str | None = None
    status: str | None = None
    juridical_situation: str | None = None
    start_date: date | None = None
    onss_employer: bool | None = None
    street: str | None = None
    postcode: str | None = None
    municipality: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    nace_codes: tuple[str, ...] = ()
    juridical_situation_date: date | None = None
    onss_since: date | None = None
    legal_form_code: str | None = None
    juridical_situation_label: str | None = None
    country: str | None = "BE"
    natural_person: bool | None = None
    nace_version: str | None = None

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.other_names) if self.name else self.other_names


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """A line that could not be used (or only partly): where, and why in plain words."""

    file: str
    line: int
    message: str


@dataclass(slots=True)
class ImportReport:
    """What an import saw: counts, and the problems (first ``max_problems`` kept)."""

    enterprises: int = 0
    repaired_values: int = 0
    establishment_rows: dict[str, int] = field(default_factory=dict)
    orphan_rows: dict[str, int] = field(default_factory=dict)
    entries_without_name: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    problem_count: int = 0
    max_problems: int = 10_000

    def problem(self, file: str, line: int, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(ImportProblem(file, line, message))
        if self.problem_count <= 100:
            log.warning("%s line %d: %s", file, line, message)
        elif self.problem_count == 101:
            log.warning("more import problems: only counted and kept in the report from now on")

    def count(self, bucket: dict[str, int], file: str) -> None:
        bucket[file] = bucket.get(file, 0) + 1


# --------------------------------------------------------------------------- value repair

_DATE_PATTERNS = (
    (re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$"), ("y", "m", "d")),
)


_DATES: dict[str, date | None] = {}


def _cached_date(text: str | None) -> date | None:
    """:func:`parse_kbo_date` remembered (a dump has a few tens of thousands of dates)."""
    if not text:
        return None
    if text in _DATES:
        return _DATES[text]
    value = parse_kbo_date(text)
    if len(_DATES) < 200_000:
        _DATES[text] = value
    return value


def parse_kbo_date(text: str | None) -> date | None:
    """``"09-08-1960"`` (the dump's dd-mm-yyyy) → 1960-08-09; also yyyy-mm-dd and dd/mm/yyyy.
    Raises ValueError when the text is not a date."""
    if not text or not text.strip():
        return None
    s = text.strip()
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(s)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            return date(parts["y"], parts["m"], parts["d"])
    raise ValueError(f"not a date: {text!r}")


def _code(value: str | None, width: int) -> tuple[str | None, bool]:
    """Zero-padded code from ``"12"``/``"416.0"``; returns (code, repaired?)."""
    if not value:
        return None, False
    if value.isdigit():  # the common case, without the regex
        padded = value.zfill(width)
        return padded, padded != value
    s = value.strip()
    if not s:
        return None, False
    m = re.fullmatch(r"(\d+)(?:[.,]0+)?", s)
    if not m:
        return s, False
    padded = m.group(1).zfill(width)
    return padded, padded != s


_ESTABLISHMENT_RE = re.compile(r"^[2-8]\.?\d{3}\.?\d{3}\.?\d{3}$")


def _is_establishment(raw: str) -> bool:
    return bool(_ESTABLISHMENT_RE.match(raw.strip()))


# --------------------------------------------------------------------------- dump access


class _Dump:
    """A dump as a folder of CSV files or a zip (also: a folder holding one KboOpenData_*.zip).

    A *full* extract holds ``enterprise.csv`` …; an *update* extract holds the same topics as
    ``<topic>_delete.csv`` / ``<topic>_insert.csv`` (:attr:`is_update`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.members: dict[str, str] = {}
        if path.is_file() and zipfile.is_zipfile(path):
            self._open_zip(path)
        elif path.is_dir():
            if not (path / "enterprise.csv").exists() and not _update_files(path.iterdir()):
                zips = sorted(path.glob("KboOpenData_*.zip"))
                if len(zips) > 1:
                    names = ", ".join(z.name for z in zips)
                    raise EntityResolutionError(
                        f"{len(zips)} KBO Open Data extracts in {path} ({names}): "
                        "name the one to import"
                    )
                if zips:
                    self._open_zip(zips[0])
        else:
            raise EntityResolutionError(f"KBO Open Data dump not found: {path}")
        names = list(self.members) if self.zip is not None else list(path.iterdir())
        self.is_update = bool(_update_files(names))
        if self.is_update and self.has("enterprise.csv"):
            raise EntityResolutionError(
                f"{path} holds both enterprise.csv (a full extract) and *_insert/*_delete files "
                "(an update extract): keep one extract per folder"
            )
        if not self.is_update and not self.has("enterprise.csv"):
            raise EntityResolutionError(f"no enterprise.csv in the KBO Open Data dump {path}")

    def _open_zip(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        for member in self.zip.namelist():
            self.members[member.rsplit("/", 1)[-1].lower()] = member

    def has(self, name: str) -> bool:
        if self.zip is not None:
            return name in self.members
        return (self.path / name).exists()

    def open(self, name: str) -> IO[str]:
        if self.zip is not None:
            raw = self.zip.open(self.members[name])
            return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        return (self.path / name).open(encoding="utf-8-sig", newline="")

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _update_files(names: Iterable[str | Path]) -> list[str]:
    """The ``*_insert.csv`` / ``*_delete.csv`` names among ``names`` (an update extract)."""
    found = []
    for name in names:
        base = (name.name if isinstance(name, Path) else name).lower()
        if base.endswith(("_insert.csv", "_delete.csv")):
            found.append(base)
    return found


def _dict_rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows with their line numbers; the delimiter is sniffed from the header (``,`` or ``;``).

    Line numbers count records (a quoted value holding a line break shifts them by one)."""
    header = stream.readline()
    delimiter = ";" if header.count(";") > header.count(",") else ","
    fields = next(csv.reader([header], delimiter=delimiter))
    reader = csv.reader(stream, delimiter=delimiter)
    for line, row in enumerate(map(dict, map(partial(zip, fields), reader)), 2):
        if row:
            yield line, row


class _SideFile:
    """One topic file read in step with enterprise.csv (both sorted by enterprise number)."""

    def __init__(
        self,
        dump: _Dump,
        name: str,
        key_column: str | None,
        report: ImportReport,
        known: dict[str, str] | None = None,
        runs: bool = False,
    ) -> None:
        """``key_column`` None: the file's first column (the delete files of an update).
        ``runs``: :meth:`take` returns the next run of rows of a key and never skips rows
        (the update merge, which always asks for the smallest pending key)."""
        self.name = name
        self.runs = runs
        self.known = known if known is not None else {}  # raw → normalised, shared
        self.report = report
        self.stream = dump.open(name) if dump.has(name) else None
        self.rows = _dict_rows(self.stream) if self.stream else iter(())
        self.key_column = key_column
        self.pending: tuple[str, int, dict[str, str]] | None = None
        self.last_key = ""
        self.unsorted_reported = False
        self._raw = "\0"
        self._key: str | None = None
        self._advance()

    def _advance(self) -> None:
        self.pending = None
        for line, row in self.rows:
            if self.key_column is None:
                raw = next(iter(row.values()), "") or ""
            else:
                raw = row.get(self.key_column) or ""
            if raw == self._raw:  # rows of one entity follow each other: normalise once
                key: str | None = self._key
            elif raw in self.known:  # already normalised by enterprise.csv
                key = self.known[raw]
                self._raw, self._key = raw, key
            else:
                raw = raw.strip()
                if _is_establishment(raw):
                    self.report.count(self.report.establishment_rows, self.name)
                    continue
                key = normalize_enterprise_number(raw)
                if key is not None:
                    self.known[raw] = key
                self._raw, self._key = raw, key
            if key is None:
                self.report.problem(self.name, line, f"unusable entity number {raw!r}")
                continue
            if key < self.last_key and not self.unsorted_reported:
                self.unsorted_reported = True
                self.report.problem(
                    self.name,
                    line,
                    f"file not sorted by entity number "
                    f"({raw!r} after {self.last_key}); "
                    + (
                        "its rows are applied apart from the other rows of their enterprise"
                        if self.runs
                        else "out-of-order rows are lost"
                    ),
                )
            if key > self.last_key:
                self.last_key = key
            self.pending = (key, line, row)
            return

    def take(self, key: str) -> list[tuple[int, dict[str, str]]]:
        """Rows of enterprise ``key``; rows of enterprises not in enterprise.csv are counted."""
        out: list[tuple[int, dict[str, str]]] = []
        if self.runs:
            while self.pending is not None and self.pending[0] == key:
                out.append(self.pending[1:])
                self._advance()
            return out
        while self.pending is not None and self.pending[0] <= key:
            pending_key, line, row = self.pending
            if pending_key == key:
                out.append((line, row))
            else:
                self.report.count(self.report.orphan_rows, self.name)
            self._advance()
        return out

    def drain(self) -> None:
        while self.pending is not None:
            self.report.count(self.report.orphan_rows, self.name)
            self._advance()
        if self.stream:
            self.stream.close()


def _load_codes(dump: _Dump) -> dict[tuple[str, str], dict[str, str]]:
    codes: dict[tuple[str, str], dict[str, str]] = {}
    if not dump.has("code.csv"):
        return codes
    with dump.open("code.csv") as stream:
        for _, row in _dict_rows(stream):
            key = (row.get("Category", "").strip(), row.get("Code", "").strip())
            codes.setdefault(key, {})[row.get("Language", "").strip()] = (
                row.get("Description") or ""
            ).strip()
    return codes


def _label(
    codes: dict[tuple[str, str], dict[str, str]],
    category: str,
    code: str | None,
) -> str | None:
    if not code:
        return None
    labels = codes.get((category, code)) or {}
    return labels.get("FR") or labels.get("NL") or next(iter(labels.values()), None)


def read_kbo_opendata(
    directory: str | Path, report: ImportReport | None = None
) -> Iterator[RegisterEntry]:
    """Stream the register entries of a KBO Open Data dump (folder or zip).

    Pass an :class:`ImportReport` to receive counts and problems; without one, problems are
    only logged. Raises :class:`EntityResolutionError` if there is no enterprise.csv at all.
    """
    report = report if report is not None else ImportReport()
    dump = _Dump(Path(directory))
    if dump.is_update:
        dump.close()
        raise EntityResolutionError(
            f"{directory} is an update extract (*_insert.csv / *_delete.csv), not a full dump: "
            "read it with entity_resolution.kbo_update.read_kbo_update"
        )
    codes = _load_codes(dump)
    known: dict[str, str] = {}
    sides = {
        name: _SideFile(dump, f"{name}.csv", "EntityNumber", report, known)
        for name in ("denomination", "address", "contact", "activity")
    }
    previous = ""
    unsorted = False
    try:
        with dump.open("enterprise.csv") as stream:
            for line, row in _dict_rows(stream):
                raw = (row.get("EnterpriseNumber") or "").strip()
                number = known.get(raw) or normalize_enterprise_number(raw)
                if len(known) >= 4096:  # the side files read at most one entity ahead
                    known.clear()
                if number is None:
                    report.problem("enterprise.csv", line, f"unusable enterprise number {raw!r}")
                    continue
                if raw != _dotted(number):
                    report.repaired_values += 1
                if number <= previous and not unsorted and any(s.stream for s in sides.values()):
                    unsorted = True
                    report.problem(
                        "enterprise.csv",
                        line,
                        f"file not sorted by enterprise number "
                        f"({raw!r} after {_dotted(previous)}): names, addresses, "
                        "contacts and activities of out-of-order enterprises are lost",
                    )
                previous = max(previous, number)
                parts = {name: side.take(number) for name, side in sides.items()}
                entry = _build_entry(number, line, row, parts, codes, report)
                report.enterprises += 1
                yield entry
        for side in sides.values():
            side.drain()
    finally:
        dump.close()


def _dotted(number: str) -> str:
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


def _build_entry(
    number: str,
    line: int,
    row: dict[str, str],
    parts: dict[str, list[tuple[int, dict[str, str]]]],
    codes: dict[tuple[str, str], dict[str, str]],
    report: ImportReport,
    count_nameless: bool = True,
) -> RegisterEntry:
    situation, fixed1 = _code(row.get("JuridicalSituation"), 3)
    form, fixed2 = _code(row.get("JuridicalForm"), 3)
    report.repaired_values += int(fixed1) + int(fixed2)
    start: date | None = None
    try:
        start = _cached_date(row.get("StartDate"))
    except ValueError:
        report.problem("enterprise.csv", line, f"unreadable StartDate {row.get('StartDate')!r}")
    status_code = (row.get("Status") or "").strip()
    names, commercial = _names(parts["denomination"])
    natural = (row.get("TypeOfEnterprise") or "").strip().split(".")[0] == "1"
    if not names and not natural and count_nameless:
        report.entries_without_name += 1
    street, postcode, municipality, country = _seat(parts["address"], report)
    phone, email, website = _contacts(parts["contact"])
    onss, nace, version = _activities(parts["activity"], report)
    all_names = names + [n for n in commercial if n not in names]
    return RegisterEntry(
        enterprise_number=number,
        name=all_names[0] if all_names else "",
        other_names=tuple(all_names[1:]),
        legal_form=_label(codes, "JuridicalForm", form) or form,
        status=status_code or None,
        juridical_situation=situation,
        start_date=start,
        onss_employer=onss,
        street=street,
        postcode=postcode,
        municipality=municipality,
        phone=phone,
        email=email,
        website=website,
        nace_codes=nace,
        legal_form_code=form,
        juridical_situation_label=_label(codes, "JuridicalSituation", situation),
        country=country,
        natural_person=natural,
        nace_version=version,
    )


def _names(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[str], list[str]]:
    """(legal names then abbreviations, commercial names), each deduplicated in file order."""
    legal: list[str] = []
    abbreviations: list[str] = []
    commercial: list[str] = []
    for _, row in rows:
        text = (row.get("Denomination") or "").strip()
        kind, _fixed = _code(row.get("TypeOfDenomination"), 3)
        if not text:
            continue
        bucket = {"001": legal, "002": abbreviations, "003": commercial}.get(kind or "", commercial)
        if text not in bucket:
            bucket.append(text)
    return legal + [a for a in abbreviations if a not in legal], commercial


def _seat(
    rows: list[tuple[int, dict[str, str]]], report: ImportReport
) -> tuple[str | None, str | None, str | None, str | None]:
    for line, row in rows:
        if (row.get("TypeOfAddress") or "").strip() != "REGO":
            continue
        street = (row.get("StreetFR") or row.get("StreetNL") or "").strip()
        number = (row.get("HouseNumber") or "").strip()
        box = (row.get("Box") or "").strip()
        text = " ".join(x for x in (street, number) if x)
        if box:
            text += f" bte {box}"
        country = (row.get("CountryFR") or row.get("CountryNL") or "").strip() or "BE"
        raw_postcode = (row.get("Zipcode") or "").strip()
        postcode = raw_postcode or None
        if country == "BE" and raw_postcode:
            postcode = normalize_postcode(raw_postcode)
            if postcode is None:
                report.problem("address.csv", line, f"unreadable Belgian postcode {raw_postcode!r}")
        municipality = (row.get("MunicipalityFR") or row.get("MunicipalityNL") or "").strip()
        return text or None, postcode, municipality or None, country
    return None, None, None, "BE"


_NATIONAL_PHONE_RE = re.compile(r"0[1-9][0-9 ./-]{6,14}")
_PHONE_PREFIX_OK: dict[tuple[int, str], bool] = {}


def _fast_phone(value: str) -> str | None:
    """:func:`normalize_phone` for the dump's national numbers (``02 315 13 51``), fast.

    Whether a Belgian national number is valid depends only on its length and leading digits
    (the numbering plan is prefix + free digits), so ``phonenumbers`` is asked once per
    (length, first five digits); numbers of a prefix it accepts are written ``+32…`` directly.
    Anything else (international forms, letters, odd prefixes) goes to ``normalize_phone``.
    """
    if not _NATIONAL_PHONE_RE.fullmatch(value):
        return normalize_phone(value)
    digits = "".join(ch for ch in value if ch.isdigit())
    key = (len(digits), digits[:5])
    simple = _PHONE_PREFIX_OK.get(key)
    if simple is None:
        full = normalize_phone(value)
        simple = full == "+32" + digits[1:]
        if len(_PHONE_PREFIX_OK) < 100_000:
            _PHONE_PREFIX_OK[key] = simple
        return full
    return "+32" + digits[1:] if simple else normalize_phone(value)


def _contacts(
    rows: list[tuple[int, dict[str, str]]],
) -> tuple[str | None, str | None, str | None]:
    phone = email = website = None
    for _, row in rows:
        kind = (row.get("ContactType") or "").strip().upper()
        value = (row.get("Value") or "").strip()
        if not value:
            continue
        if kind == "TEL" and phone is None:
            phone = _fast_phone(value) or value
        elif kind == "EMAIL" and email is None:
            email = normalize_email(value) or value
        elif kind == "WEB" and website is None:
            website = value
    return phone, email, website


_RANKS = {"MAIN": 0, "SECO": 1, "ANCI": 2}


def _activities(
    rows: list[tuple[int, dict[str, str]]], report: ImportReport
) -> tuple[bool, tuple[str, ...], str | None]:
    onss = False
    by_version: dict[str, list[tuple[int, str]]] = {}
    for line, row in rows:
        group, fixed = _code(row.get("ActivityGroup"), 3)
        report.repaired_values += int(fixed)
        if group == "006":
            onss = True
        version, _ = _code(row.get("NaceVersion"), 4)
        code, fixed_code = _code(row.get("NaceCode"), 5 if version != "2003" else 5)
        if not code or not code.isdigit():
            report.problem("activity.csv", line, f"unreadable NACE code {row.get('NaceCode')!r}")
            continue
        report.repaired_values += int(fixed_code)
        rank = _RANKS.get((row.get("Classification") or "").strip(), 3)
        by_version.setdefault(version or "", []).append((rank, code))
    if not by_version:
        return onss, (), None
    newest = max(by_version)
    ordered = sorted(by_version[newest], key=lambda item: item[0])
    return onss, tuple(dict.fromkeys(code for _, code in ordered)), newest or None
