"""Gazette publications → the Person/Role network (appointments and resignations).

A publication whose page names the persons (``fields["persons"]``, see
:func:`spiders.parsers.gazette.persons_in_text`) updates, for each of them, the
:class:`~storage.models.Role` (person, enterprise, function):

- an appointment sets ``start_date`` when the role has none (the register page's "since" date
  wins), or re-opens a role that had ended before the appointment (``end_date`` cleared);
- a resignation sets ``end_date`` (never before the role's start nor the end already known:
  an older resignation of a role held again later changes nothing).

The date is the one the text gives ("à partir du …"), else the publication date. The role
keeps the capture and the Record (``Role.source_record_id``) it was last changed by. Functions
are written with the register's French labels ("zaakvoerder" → "Gérant") so that a director
seen on the register page and in the Gazette is one Role. An enterprise that is not in the
register yet gets a minimal :class:`~storage.models.Employer` (``origin="gazette"``): the
roles need it; its status and ONSS quality stay unknown until a register page is read.
Publications that only say "DEMISSIONS, NOMINATIONS" (the names being in the PDF) change nothing.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from sqlmodel import Session, select

from entity_resolution.names import normalize_person_name
from storage.models import Employer, Person, Record, Role, utcnow

# Function as written in the Gazette text (accent-free, lower case) → register (kbopub) label.
FUNCTION_LABELS = {
    "administrateur": "Administrateur",
    "bestuurder": "Administrateur",
    "gerant": "Gérant",
    "zaakvoerder": "Gérant",
    "personne deleguee a la gestion journaliere": "Personne déléguée à la gestion journalière",
    "delegue a la gestion journaliere": "Personne déléguée à la gestion journalière",
    "gedelegeerd bestuurder": "Personne déléguée à la gestion journalière",
    "dagelijks bestuurder": "Personne déléguée à la gestion journalière",
    "liquidateur": "Liquidateur",
    "vereffenaar": "Liquidateur",
}


def register_function(text: str) -> str:
    """The register's label for a function written in a publication ("zaakvoerder" → "Gérant")."""
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).lower()
    key = " ".join(folded.split())
    if key in FUNCTION_LABELS:
        return FUNCTION_LABELS[key]
    clean = " ".join(text.split())
    return clean[:1].upper() + clean[1:]


def _as_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def employer_for_publication(
    session: Session, fields: dict[str, Any], normalized: dict[str, Any], create: bool
) -> Employer | None:
    """The register employer of the publication's enterprise (created if ``create``)."""
    number = normalized.get("enterprise_number")
    if not number:
        return None
    employer = session.exec(select(Employer).where(Employer.enterprise_number == number)).first()
    if employer is None and create:
        employer = Employer(
            enterprise_number=number,
            name=fields.get("enterprise_name") or number,
            postcode=normalized.get("postcode"),
            municipality=normalized.get("municipality"),
            district=normalized.get("district"),
            origin="gazette",
            updated_at=utcnow(),
        )
        session.add(employer)
        session.flush()
    return employer


def apply_publication_persons(
    session: Session, item: dict[str, Any], record: Record
) -> tuple[Employer | None, list[Role]]:
    """Create/update the Person and Role rows a publication names; return the roles touched."""
    fields, normalized = item["fields"], item["normalized"]
    persons = [p for p in normalized.get("persons") or [] if p.get("key")]
    employer = employer_for_publication(session, fields, normalized, create=bool(persons))
    if employer is None or not persons:
        return employer, []
    assert employer.id is not None
    published = _as_date(normalized.get("publication_date"))
    touched = []
    for seen in persons:
        person = session.exec(select(Person).where(Person.key == seen["key"])).first()
        if person is None:
            person = Person(name=seen["name"], key=seen["key"])
            session.add(person)
            session.flush()
        assert person.id is not None
        function = seen["function"]
        role = session.exec(
            select(Role).where(
                Role.person_id == person.id,
                Role.employer_id == employer.id,
                Role.function == function,
            )
        ).first()
        if role is None:
            role = Role(person_id=person.id, employer_id=employer.id, function=function)
        when = _as_date(seen.get("date")) or published
        changed = _apply(role, seen["action"], when)
        if changed or role.id is None:
            role.capture_id = item.get("capture_id")
            role.source_record_id = record.id
            session.add(role)
            touched.append(role)
    session.flush()
    return employer, touched


def _apply(role: Role, action: str, when: date | None) -> bool:
    """Apply one appointment/resignation to a role; ``True`` if it changed something."""
    if when is None:
        return False
    if action == "appointment":
        if role.end_date is not None and when > role.end_date:
            role.start_date, role.end_date = when, None  # appointed again after leaving
            return True
        if role.start_date is None:
            role.start_date = when
            return True
        return False
    if action == "resignation":
        if role.start_date is not None and when < role.start_date:
            return False  # an older mandate ended; the current one goes on
        if role.end_date is not None and when <= role.end_date:
            return False  # a later end is already known
        role.end_date = when
        return True
    return False


def normalize_persons(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The persons of a publication with their identity key and register function label."""
    out = []
    for person in fields.get("persons") or []:
        name = " ".join(str(person.get("name") or "").split())
        if not name or person.get("action") not in ("appointment", "resignation"):
            continue
        out.append(
            {
                "name": name,
                "key": normalize_person_name(name),
                "action": person["action"],
                "function": register_function(str(person.get("function") or "?")),
                "date": person.get("date"),
            }
        )
    return out
