"""Read ANY employer list kept as CSV (an inspector's spreadsheet export, another service's list).

Unlike the KBO Open Data dump, such a list has no fixed layout: the caller names the columns
(``name_col`` required; number, address, postcode, phone, e-mail, website and id optional).
The reader is tolerant of what spreadsheets do to data:

- the **delimiter** is taken from the header line (``,`` ``;`` or tab, whichever occurs most
  outside quotes);
- the **encoding** is UTF-8 (with or without BOM) when the whole file decodes as such, else
  Windows-1252, else Latin-1 (which always decodes); the choice is in :attr:`EmployerCsv.encoding`;
- **enterprise numbers** are repaired by :func:`identifiers.normalize_enterprise_number`
  (``200065765.0``, lost leading zeros, ``BE 0200.065.765``); a foreign VAT number is kept as
  such; anything else is a problem;
- a **postcode** is taken from the address when there is no postcode column;
- **phones** become E.164 (an unreadable phone is noted and dropped, the row is kept);
- **e-mail addresses** are lower-cased (``mailto:`` dropped); a **website** is kept as written
  when it names a firm's site (:func:`identifiers.site_key`: its own domain, its page on a
  social network, its site on a site builder); a job board's, a directory's or a network's own
  address is noted and dropped, as is an unreadable value; the row is kept.

A bad line (no name, unrepairable number, wrong column count) is reported as an
:class:`ImportProblem` with its line number and never stops the reading.

Rows without an enterprise number get a stable **key** so that a re-import finds them again:
``id:<value of the id column>`` when there is one, else ``h:<hash of the folded name and the
postcode>``. Rows with a number need no key (the number is the key) unless an id column is given.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from entity_resolution import EntityResolutionError
from entity_resolution.geo import lookup_postcode, normalize_postcode, parse_location
from entity_resolution.identifiers import (
    format_enterprise_number,
    normalize_email,
    normalize_enterprise_number,
    normalize_phone,
    normalize_vat,
    registered_domain,
    site_key,
)
from entity_resolution.register import ImportProblem, RegisterEntry
from entity_resolution.text import fold_key

DELIMITERS = (",", ";", "\t")
_CHUNK = 1 << 16


def detect_encoding(path: Path) -> str:
    """``"utf-8-sig"`` if the whole file is UTF-8, else ``"cp1252"``, else ``"latin-1"``."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def sniff_delimiter(header: str) -> str:
    """The delimiter occurring most often in the header line outside quoted text."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row: its raw cells (padded/cut to the header), what could be made of it.

    ``entry`` is None when the row is unusable; ``problems`` then says why. ``notes`` are
    repairs or dropped values that did not make the row unusable. ``number`` is the repaired
    enterprise number, ``vat`` a foreign VAT number (compact) when that is what the row held.
    """

    line: int
    cells: list[str]
    entry: RegisterEntry | None
    key: str | None
    number: str | None = None
    vat: str | None = None
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class EmployerCsv:
    """A caller-described employer CSV; iterate :meth:`rows` (all rows) or :meth:`entries`."""

    path: Path
    name_col: str
    number_col: str | None = None
    address_col: str | None = None
    postcode_col: str | None = None
    phone_col: str | None = None
    id_col: str | None = None
    encoding: str | None = None
    email_col: str | None = None
    website_col: str | None = None
    problems: list[ImportProblem] = field(default_factory=list)
    repaired_numbers: int = 0
    delimiter: str = ","
    header: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.path.is_file():
            raise EntityResolutionError(f"employer CSV not found: {self.path}")
        if self.encoding is None:
            self.encoding = detect_encoding(self.path)
        with self._open() as stream:
            first = stream.readline()
        if not first.strip():
            raise EntityResolutionError(f"{self.path}: empty file or empty header line")
        self.delimiter = sniff_delimiter(first)
        self.header = next(csv.reader([first], delimiter=self.delimiter))
        self.header = [h.strip() for h in self.header]
        self._index = {
            role: self._column(col)
            for role, col in (
                ("name", self.name_col),
                ("number", self.number_col),
                ("address", self.address_col),
                ("postcode", self.postcode_col),
                ("phone", self.phone_col),
                ("id", self.id_col),
                ("email", self.email_col),
                ("website", self.website_col),
            )
            if col
        }

    def _open(self):  # type: ignore[no-untyped-def]
        return self.path.open(encoding=self.encoding, newline="")

    def _column(self, wanted: str) -> int:
        """Index of a column by its header (exact, then ignoring case/accents/spaces)."""
        if wanted in self.header:
            return self.header.index(wanted)
        folded = [fold_key(h) for h in self.header]
        if fold_key(wanted) in folded:
            return folded.index(fold_key(wanted))
        raise EntityResolutionError(
            f"{self.path.name}: no column {wanted!r}; the header has "
            + ", ".join(repr(h) for h in self.header)
        )

    def rows(self) -> Iterator[CsvRow]:
        """Every non-blank data row in file order, usable or not (problems are recorded)."""
        self.problems.clear()
        with self._open() as stream:
            stream.readline()
            reader = csv.reader(stream, delimiter=self.delimiter)
            end = 1
            while True:
                start = end + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:  # e.g. NUL byte: report the line, go on
                    end = reader.line_num + 1
                    yield self._bad(start, [], f"unreadable line: {exc}")
                    continue
                end = reader.line_num + 1
                if not any(c.strip() for c in cells):
                    continue
                yield self._row(start, cells)

    def entries(self) -> Iterator[tuple[str | None, RegisterEntry]]:
        """``(key, entry)`` of the usable rows (key None when the number is the key)."""
        for row in self.rows():
            if row.entry is not None:
                yield row.key, row.entry

    # ------------------------------------------------------------------ one row

    def _bad(self, line: int, cells: list[str], message: str) -> CsvRow:
        self.problems.append(ImportProblem(self.path.name, line, message))
        padded = (cells + [""] * len(self.header))[: len(self.header)]
        return CsvRow(line, padded, None, None, problems=(message,))

    def _cell(self, cells: list[str], role: str) -> str:
        i = self._index.get(role)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def _row(self, line: int, cells: list[str]) -> CsvRow:
        if len(cells) != len(self.header):
            return self._bad(
                line,
                cells,
                f"{len(cells)} columns where the header has {len(self.header)} "
                f"(delimiter {self.delimiter!r}): line not used",
            )
        name = " ".join(self._cell(cells, "name").split())
        if not name:
            return self._bad(line, cells, f"no name in column {self.name_col!r}: line not used")
        notes: list[str] = []
        raw_number = self._cell(cells, "number")
        number: str | None = None
        vat: str | None = None
        if raw_number:
            number = normalize_enterprise_number(raw_number)
            if number is None:
                found = normalize_vat(raw_number)
                if found is not None and found.country != "BE":
                    vat = found.compact
                    notes.append(f"foreign VAT number {found.compact}")
                else:
                    return self._bad(
                        line,
                        cells,
                        f"unusable enterprise number {raw_number!r} "
                        "(not a valid Belgian enterprise or EU VAT number): line not used",
                    )
            elif raw_number != format_enterprise_number(number) and raw_number != number:
                self.repaired_numbers += 1
        address = " ".join(self._cell(cells, "address").split()) or None
        raw_postcode = self._cell(cells, "postcode")
        postcode = normalize_postcode(raw_postcode) if raw_postcode else None
        if raw_postcode and postcode is None:
            notes.append(f"postcode {raw_postcode!r} not understood")
        place = lookup_postcode(postcode) if postcode else None
        street = address
        if postcode is None and address:
            place = parse_location(address)
            if place is not None:
                postcode = place.postcode
        if address and postcode and postcode in address:
            street = address[: address.rfind(postcode)].strip(" ,;-") or address
        raw_phone = self._cell(cells, "phone")
        phone = normalize_phone(raw_phone) if raw_phone else None
        if raw_phone and phone is None:
            notes.append(f"phone {raw_phone!r} not understood")
        raw_email = self._cell(cells, "email")
        email = normalize_email(raw_email) if raw_email else None
        if raw_email and email is None:
            notes.append(f"e-mail address {raw_email!r} not understood")
        website = self._cell(cells, "website") or None
        if website and registered_domain(website) is None:
            notes.append(f"website {website!r} not understood")
            website = None
        elif website and site_key(website) is None:
            notes.append(
                f"website {website!r} is a shared site's address (job board, directory, "
                "network), not the firm's: not used"
            )
            website = None
        key: str | None = None
        ident = self._cell(cells, "id")
        if ident:
            key = f"id:{ident}"
        elif number is None:
            digest = hashlib.sha1(f"{fold_key(name)}|{postcode or ''}".encode()).hexdigest()
            key = f"h:{digest[:16]}"
        entry = RegisterEntry(
            enterprise_number=number or "",
            name=name,
            street=street,
            postcode=postcode,
            municipality=place.municipality_fr if place else None,
            phone=phone,
            email=email,
            website=website,
        )
        return CsvRow(line, cells, entry, key, number, vat, (), tuple(notes))


def read_employer_csv(
    path: str | Path,
    name_col: str,
    number_col: str | None = None,
    address_col: str | None = None,
    postcode_col: str | None = None,
    phone_col: str | None = None,
    id_col: str | None = None,
    encoding: str | None = None,
    email_col: str | None = None,
    website_col: str | None = None,
) -> tuple[Iterator[tuple[str | None, RegisterEntry]], list[ImportProblem]]:
    """``(entries, problems)``: the ``(key, entry)`` stream and the list it fills as it goes.

    Raises :class:`EntityResolutionError` at once when the file or a named column is missing.
    """
    reader = EmployerCsv(
        Path(path), name_col, number_col, address_col, postcode_col, phone_col, id_col,
        encoding, email_col, website_col,
    )
    return reader.entries(), reader.problems
