"""Dossiers: case files of signals, employers, persons and notes, built by the detection team.

Every change is audited in the same transaction (``dossier.create``, ``dossier.add``,
``dossier.remove``); the caller commits. :func:`dossier_contents` gathers what an export needs:
the signals with their evidence chain (record → captures), the employers (those added and those
behind the signals), their directors, and the notes. Nothing here rewrites a signal, a record or
a capture: a dossier only points at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, func, select

from storage import StorageError
from storage.audit import append_event
from storage.models import (
    Capture,
    Dossier,
    DossierItem,
    Employer,
    Person,
    Record,
    Role,
    Signal,
    utcnow,
)
from storage.queries import EvidenceItem, NotFoundError, signal_evidence

TITLE_MAX = 200
NOTE_MAX = 5000


class DossierError(StorageError):
    """A dossier request that cannot be honoured (empty title, nothing to add, duplicate)."""


@dataclass
class DossierSignal:
    signal: Signal
    note: str
    added_by: str
    added_at: object
    evidence: list[EvidenceItem] = field(default_factory=list)


@dataclass
class DossierRole:
    role: Role
    person: Person
    employer: Employer


@dataclass
class DossierContents:
    dossier: Dossier
    items: list[DossierItem]
    signals: list[DossierSignal]
    employers: list[Employer]  # added directly or behind a signal, by id
    persons: list[Person]  # added directly or directors of the employers
    roles: list[DossierRole]
    notes: list[DossierItem]  # items that are only a note
    role_captures: list[Capture] = field(default_factory=list)  # register pages of the roles

    @property
    def captures(self) -> list[Capture]:
        """Every capture the dossier cites, once, in id order."""
        seen: dict[int, Capture] = {}
        for s in self.signals:
            for item in s.evidence:
                for capture in item.captures:
                    if capture.id is not None:
                        seen[capture.id] = capture
        for capture in self.role_captures:
            if capture.id is not None:
                seen[capture.id] = capture
        return [seen[k] for k in sorted(seen)]

    @property
    def records(self) -> list[Record]:
        seen: dict[int, Record] = {}
        for s in self.signals:
            for item in s.evidence:
                if item.record is not None and item.record.id is not None:
                    seen[item.record.id] = item.record
        return [seen[k] for k in sorted(seen)]


def _clean(text: str | None, limit: int, what: str) -> str:
    value = (text or "").strip()
    if len(value) > limit:
        raise DossierError(f"{what} is longer than {limit} characters")
    return value


def create_dossier(session: Session, title: str, user: str, case_ref: str | None = None,
                   notes: str = "") -> Dossier:
    """A new, empty dossier (audited as ``dossier.create``)."""
    clean_title = _clean(title, TITLE_MAX, "the title")
    if not clean_title:
        raise DossierError("a dossier needs a title")
    dossier = Dossier(title=clean_title, case_ref=_clean(case_ref, 100, "the case reference")
                      or None, created_by=user, notes=_clean(notes, NOTE_MAX, "the notes"))
    session.add(dossier)
    session.flush()
    append_event(session, user, "dossier.create", f"dossier:{dossier.id}",
                 {"title": dossier.title, "case_ref": dossier.case_ref})
    return dossier


def get_dossier(session: Session, dossier_id: int) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFoundError(f"dossier {dossier_id} does not exist")
    return dossier


def list_dossiers(session: Session, limit: int = 200) -> list[tuple[Dossier, int]]:
    """Dossiers, newest first, with their item counts."""
    counts = dict(session.exec(
        select(DossierItem.dossier_id, func.count()).group_by(DossierItem.dossier_id)).all())
    rows = session.exec(select(Dossier).order_by(Dossier.id.desc()).limit(limit)).all()
    return [(d, int(counts.get(d.id, 0))) for d in rows]


def add_item(session: Session, dossier_id: int, user: str, *, signal_id: int | None = None,
             employer_id: int | None = None, person_id: int | None = None,
             note: str = "") -> DossierItem:
    """Add one signal, employer or person (with an optional note), or a note alone.
    Adding the same signal/employer/person twice is refused (the dossier already cites it)."""
    get_dossier(session, dossier_id)
    text = _clean(note, NOTE_MAX, "the note")
    targets = [(signal_id, Signal, "signal", DossierItem.signal_id),
               (employer_id, Employer, "employer", DossierItem.employer_id),
               (person_id, Person, "person", DossierItem.person_id)]
    given = [(v, m, label, col) for v, m, label, col in targets if v is not None]
    if len(given) > 1:
        raise DossierError("add one signal, employer or person at a time")
    if not given and not text:
        raise DossierError("nothing to add: give a signal, an employer, a person or a note")
    target = "note"
    if given:
        value, model, label, column = given[0]
        if session.get(model, value) is None:
            raise NotFoundError(f"{label} {value} does not exist")
        duplicate = session.exec(select(DossierItem).where(
            DossierItem.dossier_id == dossier_id, column == value)).first()
        if duplicate is not None:
            raise DossierError(f"{label} {value} is already in dossier {dossier_id}")
        target = f"{label}:{value}"
    item = DossierItem(dossier_id=dossier_id, signal_id=signal_id, employer_id=employer_id,
                       person_id=person_id, note=text, added_by=user, added_at=utcnow())
    session.add(item)
    session.flush()
    append_event(session, user, "dossier.add", f"dossier:{dossier_id}",
                 {"item": item.id, "what": target, "note": text[:200]})
    return item


def remove_item(session: Session, dossier_id: int, item_id: int, user: str) -> None:
    """Take an item out of a dossier (the audit log keeps that it was there)."""
    item = session.get(DossierItem, item_id)
    if item is None or item.dossier_id != dossier_id:
        raise NotFoundError(f"item {item_id} is not in dossier {dossier_id}")
    what = ("signal", item.signal_id) if item.signal_id else (
        ("employer", item.employer_id) if item.employer_id else
        ("person", item.person_id) if item.person_id else ("note", item.id))
    session.delete(item)
    append_event(session, user, "dossier.remove", f"dossier:{dossier_id}",
                 {"item": item_id, "what": f"{what[0]}:{what[1]}"})


def dossier_contents(session: Session, dossier_id: int) -> DossierContents:
    """Everything a dossier cites, resolved: see the module docstring."""
    dossier = get_dossier(session, dossier_id)
    items = list(session.exec(select(DossierItem).where(DossierItem.dossier_id == dossier_id)
                              .order_by(DossierItem.id)).all())
    signals: list[DossierSignal] = []
    employer_ids: list[int] = []
    person_ids: list[int] = []
    notes: list[DossierItem] = []
    for item in items:
        if item.signal_id is not None:
            signal = session.get(Signal, item.signal_id)
            if signal is None:
                continue
            signals.append(DossierSignal(signal, item.note, item.added_by, item.added_at,
                                         signal_evidence(session, signal.id)))
            if signal.employer_id is not None:
                employer_ids.append(signal.employer_id)
        elif item.employer_id is not None:
            employer_ids.append(item.employer_id)
        elif item.person_id is not None:
            person_ids.append(item.person_id)
        else:
            notes.append(item)
    unique_employers = sorted(set(employer_ids))
    employers = list(session.exec(select(Employer).where(Employer.id.in_(unique_employers))
                                  .order_by(Employer.id)).all()) if unique_employers else []
    roles: list[DossierRole] = []
    if unique_employers:
        statement = (select(Role, Person, Employer)
                     .join(Person, Role.person_id == Person.id)
                     .join(Employer, Role.employer_id == Employer.id)
                     .where(Role.employer_id.in_(unique_employers))
                     .order_by(Employer.id, Person.name, Role.id))
        roles = [DossierRole(r, p, e) for r, p, e in session.exec(statement).all()]
    persons_by_id = {r.person.id: r.person for r in roles}
    for person_id in person_ids:
        person = session.get(Person, person_id)
        if person is not None:
            persons_by_id[person.id] = person
    persons = [persons_by_id[k] for k in sorted(persons_by_id)]
    role_capture_ids = sorted({r.role.capture_id for r in roles if r.role.capture_id is not None})
    role_captures = list(session.exec(select(Capture).where(Capture.id.in_(role_capture_ids)))
                         .all()) if role_capture_ids else []
    return DossierContents(dossier, items, signals, employers, persons, roles, notes,
                           role_captures)
