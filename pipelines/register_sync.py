"""Keep the Employer/Person/Role tables in step with register imports and register pages,
and build the matcher from them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from entity_resolution.geo import lookup_postcode
from entity_resolution.matcher import Matcher, MatchQuery
from entity_resolution.names import normalize_person_name
from entity_resolution.register import ImportReport, RegisterEntry
from pipelines.register_bulk import Progress, bulk_import_entries, prepared_dump, write_prepared
from storage.models import Address, Employer, Person, Role, utcnow


def entry_from_employer(employer: Employer) -> RegisterEntry:
    return RegisterEntry(
        enterprise_number=employer.enterprise_number or "",
        name=employer.name,
        other_names=tuple(employer.other_names or []),
        legal_form=employer.legal_form,
        status=employer.status,
        juridical_situation=employer.juridical_situation,
        start_date=employer.start_date,
        onss_employer=employer.onss_employer,
        street=employer.street,
        postcode=employer.postcode,
        municipality=employer.municipality,
        phone=employer.phone,
        email=employer.email,
        website=employer.website,
        nace_codes=tuple(employer.nace_codes or []),
        juridical_situation_label=employer.juridical_situation_label,
        country=employer.country,
    )


ENTRY_COLUMNS = (
    "enterprise_number", "name", "other_names", "legal_form", "status", "juridical_situation",
    "start_date", "onss_employer", "street", "postcode", "municipality", "phone", "email",
    "website", "nace_codes", "juridical_situation_label", "country",
)


def build_matcher(session: Session) -> Matcher:
    """A matcher over every employer of the register, keyed by ``Employer.id``.

    The rows are read as plain tuples of the columns a register entry needs (no ORM objects:
    a 100,000-employer register loads several times faster), in the table's order."""
    table = Employer.__table__  # type: ignore[attr-defined]
    columns = [table.c.id, *(table.c[name] for name in ENTRY_COLUMNS)]
    rows = session.connection().execute(sa_select(*columns)).all()
    return Matcher((row[0], _entry_from_row(row[1:])) for row in rows)


def _entry_from_row(row: Any) -> RegisterEntry:
    """:func:`entry_from_employer` of a row of ``ENTRY_COLUMNS``."""
    values = dict(zip(ENTRY_COLUMNS, row, strict=True))
    return RegisterEntry(
        enterprise_number=values["enterprise_number"] or "",
        name=values["name"],
        other_names=tuple(values["other_names"] or []),
        legal_form=values["legal_form"],
        status=values["status"],
        juridical_situation=values["juridical_situation"],
        start_date=values["start_date"],
        onss_employer=values["onss_employer"],
        street=values["street"],
        postcode=values["postcode"],
        municipality=values["municipality"],
        phone=values["phone"],
        email=values["email"],
        website=values["website"],
        nace_codes=tuple(values["nace_codes"] or []),
        juridical_situation_label=values["juridical_situation_label"],
        country=values["country"],
    )


def query_for_record(normalized: dict[str, Any], fields: dict[str, Any]) -> MatchQuery:
    return MatchQuery(
        name=fields.get("employer_name") or fields.get("provider_name") or "",
        number=normalized.get("enterprise_number") or normalized.get("vat"),
        phone=normalized.get("phone_e164"),
        postcode=normalized.get("postcode"),
    )


def _apply_entry(employer: Employer, entry: RegisterEntry) -> None:
    employer.name = entry.name
    employer.other_names = list(entry.other_names or [])
    employer.legal_form = entry.legal_form
    employer.status = entry.status
    employer.juridical_situation = entry.juridical_situation
    employer.juridical_situation_label = entry.juridical_situation_label
    employer.juridical_situation_date = entry.juridical_situation_date
    employer.start_date = entry.start_date
    employer.onss_employer = bool(entry.onss_employer)
    employer.onss_since = entry.onss_since
    employer.street = entry.street
    employer.postcode = entry.postcode
    employer.municipality = entry.municipality
    place = lookup_postcode(entry.postcode) if entry.postcode else None
    employer.district = place.district.id if place and place.district else None
    employer.phone = entry.phone
    employer.email = entry.email
    employer.website = entry.website
    employer.nace_codes = list(entry.nace_codes or [])
    employer.updated_at = utcnow()


def import_entries(
    session: Session,
    entries: Iterable[RegisterEntry],
    origin: str = "kbo_opendata",
    batch: int = 5000,
    full: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Insert new employers, update changed ones, skip unchanged ones, strike off the gone.

    Existing rows keep their ``Employer.id`` (and what points at them). ``full=True``: the
    entries are a complete KBO dump, so stored ``kbo_opendata`` employers absent from it get
    status ``"ST"`` (off by default: a partial list must not strike anyone off). Returns
    ``{"new", "changed", "unchanged", "struck_off", "duplicates"}``. See
    :mod:`pipelines.register_bulk` for how it stays fast on the 2-million-enterprise dump.
    """
    return bulk_import_entries(
        session, entries, origin=origin, batch=batch, full=full, progress=progress
    )


def import_kbo_dump(
    session: Session,
    path: str | Path,
    report: ImportReport,
    full: bool = True,
    progress: Progress | None = None,
    in_child: bool = True,
) -> dict[str, int]:
    """:func:`import_entries` of the KBO Open Data dump at ``path`` (folder or zip), with the
    CSV reading in a second process (``in_child``). Problems of the dump go to ``report``."""
    return write_prepared(
        session, prepared_dump(path, report, in_child=in_child), full=full, progress=progress
    )


def _merge_entry(employer: Employer, entry: RegisterEntry, keep_name: bool) -> None:
    """Refresh ``employer`` with the values ``entry`` has; values it lacks are kept.

    With ``keep_name`` (the employer came from another source, e.g. the KBO), a different
    name is added to ``other_names`` instead of replacing the register's name.
    """
    if entry.name and entry.name != employer.name:
        if keep_name:
            if entry.name not in (employer.other_names or []):
                employer.other_names = [*(employer.other_names or []), entry.name]
        else:
            employer.name = entry.name
    for attr in ("legal_form", "status", "street", "municipality", "phone", "email", "website"):
        value = getattr(entry, attr)
        if value:
            setattr(employer, attr, value)
    if entry.postcode:
        employer.postcode = entry.postcode
        place = lookup_postcode(entry.postcode)
        employer.district = place.district.id if place and place.district else None
    employer.updated_at = utcnow()


def import_keyed_entries(
    session: Session,
    rows: Iterable[tuple[str | None, RegisterEntry]],
    origin: str = "csv",
    batch: int = 2000,
) -> dict[str, int]:
    """Insert or refresh employers from a list that is not the KBO (e.g. an employer CSV).

    Each row is ``(key, entry)``. An entry with an enterprise number is found again by its
    number, as in :func:`import_entries`. An entry without one is found by its stable ``key``,
    kept in ``Employer.origin`` as ``"<origin>:<key>"`` (so no schema change is needed and the
    enterprise-number column only ever holds real numbers). When a keyed row later gains a
    number, the keyed employer receives it instead of a duplicate being created.

    Existing employers are merged, not overwritten: a value the list lacks (legal form, status,
    …) is kept, and the name of an employer from another source is added as an other name.
    """
    counts = {"new": 0, "updated": 0}
    prefix = f"{origin}:"
    keyed = select(Employer).where(col(Employer.origin).startswith(prefix, autoescape=True))
    by_key: dict[str, Employer] = {e.origin[len(prefix) :]: e for e in session.exec(keyed)}
    pending = 0
    for key, entry in rows:
        number = entry.enterprise_number or None
        employer = None
        if number:
            employer = session.exec(
                select(Employer).where(Employer.enterprise_number == number)
            ).first()
        if employer is None and key:
            employer = by_key.get(key)
            if employer is not None and number and not employer.enterprise_number:
                employer.enterprise_number = number
        if employer is None:
            employer = Employer(
                enterprise_number=number,
                name=entry.name,
                origin=f"{prefix}{key}" if key else origin,
            )
            _apply_entry(employer, entry)
            if key:
                by_key[key] = employer
            counts["new"] += 1
        else:
            own = employer.origin == origin or employer.origin.startswith(prefix)
            _merge_entry(employer, entry, keep_name=not own)
            counts["updated"] += 1
        session.add(employer)
        pending += 1
        if pending >= batch:
            session.commit()
            pending = 0
    session.commit()
    return counts


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def upsert_employer_from_page(
    session: Session, fields: dict[str, Any], normalized: dict[str, Any], capture_id: int
) -> Employer:
    """A register page refreshes the employer and records its directors (the network)."""
    number = normalized.get("enterprise_number") or fields["enterprise_number"]
    employer = session.exec(select(Employer).where(Employer.enterprise_number == number)).first()
    if employer is None:
        employer = Employer(
            enterprise_number=number, name=fields.get("name") or number, origin="registry_page"
        )
    employer.name = fields.get("name") or employer.name
    employer.legal_form = fields.get("legal_form") or employer.legal_form
    if fields.get("status_code"):
        employer.status = fields["status_code"]
    if fields.get("juridical_situation"):
        # The page gives the label only; the rules classify it (signals.register_status).
        if fields["juridical_situation"] != employer.juridical_situation_label:
            employer.juridical_situation = None
        employer.juridical_situation_label = fields["juridical_situation"]
    employer.juridical_situation_date = (
        _as_date(fields.get("juridical_situation_since")) or employer.juridical_situation_date
    )
    employer.start_date = _as_date(fields.get("start_date")) or employer.start_date
    if "onss_employer" in fields:
        employer.onss_employer = bool(fields["onss_employer"])
        employer.onss_since = _as_date(fields.get("onss_since"))
    street = " ".join(p for p in (fields.get("street"), fields.get("house_number")) if p)
    employer.street = street or employer.street
    employer.postcode = normalized.get("postcode") or fields.get("postcode") or employer.postcode
    employer.municipality = normalized.get("municipality") or employer.municipality
    employer.district = normalized.get("district") or employer.district
    employer.phone = normalized.get("phone_e164") or employer.phone
    employer.email = fields.get("email") or employer.email
    employer.website = fields.get("website") or employer.website
    nace = [a.get("code") for a in fields.get("nace") or [] if a.get("code")]
    if nace:
        employer.nace_codes = sorted(set(nace))
    employer.capture_id = capture_id
    employer.origin = "registry_page"  # the page is fresher than the bulk import
    employer.updated_at = utcnow()
    session.add(employer)
    session.flush()
    assert employer.id is not None
    if (
        employer.postcode
        and not session.exec(
            select(Address).where(Address.employer_id == employer.id, Address.kind == "seat")
        ).first()
    ):
        session.add(
            Address(
                employer_id=employer.id,
                kind="seat",
                street=employer.street,
                postcode=employer.postcode,
                municipality=employer.municipality,
                district=employer.district,
            )
        )
    for function in fields.get("functions") or []:
        name = function.get("name")
        if not name:
            continue
        key = normalize_person_name(name)
        person = session.exec(select(Person).where(Person.key == key)).first()
        if person is None:
            person = Person(name=name, key=key)
            session.add(person)
            session.flush()
        assert person.id is not None
        title = function.get("function") or "?"
        role = session.exec(
            select(Role).where(
                Role.person_id == person.id, Role.employer_id == employer.id, Role.function == title
            )
        ).first()
        if role is None:
            role = Role(person_id=person.id, employer_id=employer.id, function=title)
        role.start_date = _as_date(function.get("since")) or role.start_date
        role.capture_id = capture_id
        session.add(role)
    session.flush()
    return employer
