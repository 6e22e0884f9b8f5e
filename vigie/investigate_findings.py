"""What one step of an investigation found, read back from the database.

A crawl step's findings are those of its CrawlRun: the records whose capture (first or latest)
was made by the run, the employers they are tied to (a match, or the enterprise a register page
or Gazette publication names), the signals those records or captures are evidence of, and the
run's own coverage and problems. A source that answered nothing is "nothing found" only when it
was actually read: a blocked, refused or unreachable source is "not covered".
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from entity_resolution.identifiers import normalize_enterprise_number, normalize_phone
from entity_resolution.names import normalize_person_name
from storage.models import (
    Capture,
    CrawlRun,
    Employer,
    Match,
    Person,
    Record,
    Role,
    Signal,
    SignalEvidence,
)

LISTED = 25  # items listed per kind in a step's findings (counts are always complete)
NOT_COVERED_KINDS = ("robots", "connection", "timeout", "http_401", "http_403", "http_429",
                     "http_451", "http_503", "render")


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def _employer_row(employer: Employer, how: str) -> dict[str, Any]:
    return {"id": employer.id, "enterprise_number": employer.enterprise_number,
            "name": employer.name, "status": employer.status,
            "onss_employer": employer.onss_employer, "how": how}


def _signal_row(signal: Signal) -> dict[str, Any]:
    return {"id": signal.id, "rule": signal.rule, "severity": signal.severity,
            "status": signal.status, "title": signal.title}


def _employers_of(session: Session, records: list[Record]) -> list[dict[str, Any]]:
    """Employers the records are tied to: the enterprise a register page or publication names,
    and the register employer an ad, listing or website was matched to (with the outcome)."""
    found: dict[int, dict[str, Any]] = {}
    numbers = {r.enterprise_number for r in records
               if r.kind in ("register_entry", "gazette") and r.enterprise_number}
    for number in sorted(numbers):
        employer = session.exec(
            select(Employer).where(Employer.enterprise_number == number)).first()
        if employer is not None and employer.id is not None:
            found[employer.id] = _employer_row(employer, "named by the page")
    ids = [r.id for r in records if r.id is not None]
    if ids:
        for match in session.exec(select(Match).where(col(Match.record_id).in_(ids))).all():
            if match.employer_id in found:
                continue
            employer = session.get(Employer, match.employer_id)
            if employer is not None:
                found[match.employer_id] = _employer_row(
                    employer, f"{match.outcome} ({match.method}, {match.score:.2f})")
    return list(found.values())


def _signals(session: Session, record_ids: list[int], capture_ids: list[int],
             started: datetime) -> tuple[list[Any], list[Any]]:
    """Signals the step's records or captures are evidence of: raised (first seen during the
    step) or touched (known before, seen again). Only evidence links count, so steps running
    at the same time never claim each other's signals."""
    chosen: dict[int, Signal] = {}
    if record_ids or capture_ids:
        links = session.exec(select(SignalEvidence).where(or_(
            col(SignalEvidence.record_id).in_(record_ids or [-1]),
            col(SignalEvidence.capture_id).in_(capture_ids or [-1])))).all()
        for link in links:
            signal = session.get(Signal, link.signal_id)
            if signal is not None and signal.id is not None:
                chosen[signal.id] = signal
    raised = [_signal_row(s) for s in chosen.values()
              if _naive(s.first_seen) >= _naive(started)]
    touched = [_signal_row(s) for s in chosen.values()
               if _naive(s.first_seen) < _naive(started)]
    return raised, touched


def run_findings(session: Session, run: CrawlRun, started: datetime) -> dict[str, Any]:
    """The findings of one crawl run (see the module docstring)."""
    capture_ids = [c for c in session.exec(
        select(Capture.id).where(Capture.run_id == run.id)).all() if c is not None]
    records: list[Record] = []
    if capture_ids:
        records = list(session.exec(select(Record).where(or_(
            col(Record.capture_id).in_(capture_ids),
            col(Record.last_capture_id).in_(capture_ids)))).all())
    numbers = [r.enterprise_number for r in records if r.kind == "register_entry"
               and (r.raw or {}).get("found", True) and r.enterprise_number]
    absent = [(r.raw or {}).get("enterprise_number") for r in records
              if r.kind == "register_entry" and not (r.raw or {}).get("found", True)]
    employers = _employers_of(session, records)
    raised, touched = _signals(session, [r.id for r in records if r.id is not None], capture_ids,
                               started)
    report = run.report or {}
    problems = list(report.get("problems") or [])
    stats = run.stats or {}
    return {
        "run_id": run.id,
        "run_status": run.status,
        "pages": run.pages_seen,
        "blocked": run.pages_blocked,
        "items": run.items_scraped,
        "records": len(records),
        "records_by_kind": dict(Counter(r.kind for r in records)),
        "record_ids": [r.id for r in records][:LISTED],
        "enterprise_numbers": list(dict.fromkeys(numbers)),
        "not_in_register": [n for n in absent if n],
        "matched_employers": employers,
        "signals_raised": raised,
        "signals_touched": touched,
        "problem_count": len(problems),
        "problem_kinds": dict(Counter(p.get("kind") for p in problems)),
        "problems": problems[:10],
        "searches_without_hits": int(stats.get("registry/search_without_hits", 0))
        + int(stats.get("jobs/search_without_hits", 0)),
        "run_notes": list(report.get("notes") or []),
    }


def person_findings(session: Session, name: str) -> dict[str, Any]:
    """People whose name key equals (or contains every word of) ``name``, their functions, and
    the enterprises they hold them in (``numbers``, for the later steps)."""
    key = normalize_person_name(name)
    people = list(session.exec(select(Person).where(Person.key == key)).all())
    if not people and key:
        query = select(Person)
        for token in key.split():
            query = query.where(col(Person.key).contains(token))
        people = list(session.exec(query.limit(LISTED)).all())
    roles: list[dict[str, Any]] = []
    employers: dict[int, dict[str, Any]] = {}
    for person in people:
        for role in session.exec(select(Role).where(Role.person_id == person.id)).all():
            employer = session.get(Employer, role.employer_id)
            if employer is None or employer.id is None:
                continue
            employers.setdefault(employer.id, _employer_row(employer, f"{person.name}: "
                                                              f"{role.function}"))
            roles.append({"person": person.name, "function": role.function,
                          "enterprise_number": employer.enterprise_number,
                          "employer": employer.name,
                          "start_date": str(role.start_date) if role.start_date else None,
                          "end_date": str(role.end_date) if role.end_date else None})
    raised: list[Any] = []
    on_file = [_signal_row(s) for s in session.exec(select(Signal).where(
        col(Signal.employer_id).in_(list(employers) or [-1]))).all()]
    return {
        "persons": [{"id": p.id, "name": p.name} for p in people],
        "roles": roles[:LISTED * 2],
        "records": 0,
        "matched_employers": list(employers.values()),
        "signals_raised": raised,
        "signals_touched": [],
        "signals_on_file": on_file[:LISTED],
        "numbers": [e["enterprise_number"] for e in employers.values()
                    if e["enterprise_number"]],
    }


def database_findings(session: Session, args: dict[str, str]) -> dict[str, Any]:
    """Records already held that cite the enterprises (``numbers``/``number``), the phone, the
    name or the address; register employers with that phone or at that address."""
    conditions = []
    numbers = [normalize_enterprise_number(n) for n in
               (args.get("numbers") or args.get("number") or "").split(",") if n.strip()]
    numbers = [n for n in numbers if n]
    if numbers:
        conditions.append(col(Record.enterprise_number).in_(numbers))
    phone = normalize_phone(args.get("phone")) if args.get("phone") else None
    if phone:
        conditions.append(Record.phone == phone)
    if args.get("name"):
        conditions.append(col(Record.employer_name).ilike(f"%{args['name'].strip()}%"))
    postcode, street = _postcode_street(args.get("address"))
    if postcode and street:
        conditions.append(Record.postcode == postcode)
    records: list[Record] = []
    if conditions:
        records = list(session.exec(select(Record).where(or_(*conditions))).all())
    if postcode and street:  # the postcode alone is far too wide for an address
        records = [r for r in records if r.postcode != postcode or r.enterprise_number in numbers
                   or (phone and r.phone == phone) or street in _text(r)]
    employers: dict[int, dict[str, Any]] = {e["id"]: e for e in _employers_of(session, records)}
    if phone:
        national = "0" + phone[3:] if phone.startswith("+32") else phone
        for employer in session.exec(select(Employer).where(
                col(Employer.phone).in_([phone, national, phone.lstrip("+")]))).all():
            if employer.id is not None:
                employers.setdefault(employer.id, _employer_row(employer, "register phone"))
    if postcode and street:
        for employer in session.exec(select(Employer).where(
                Employer.postcode == postcode,
                col(Employer.street).ilike(f"%{street}%")).limit(LISTED)).all():
            if employer.id is not None:
                employers.setdefault(employer.id, _employer_row(employer, "register address"))
    for number in numbers:
        employer = session.exec(
            select(Employer).where(Employer.enterprise_number == number)).first()
        if employer is not None and employer.id is not None:
            employers.setdefault(employer.id, _employer_row(employer, "enterprise followed"))
    signals = session.exec(select(Signal).where(
        col(Signal.employer_id).in_(list(employers) or [-1]))).all()
    evidence = session.exec(select(SignalEvidence).where(
        col(SignalEvidence.record_id).in_([r.id for r in records] or [-1]))).all()
    on_file = {s.id: _signal_row(s) for s in signals}
    for link in evidence:
        signal = session.get(Signal, link.signal_id)
        if signal is not None:
            on_file.setdefault(signal.id, _signal_row(signal))
    return {
        "records": len(records),
        "records_by_kind": dict(Counter(r.kind for r in records)),
        "records_by_source": dict(Counter(r.source for r in records)),
        "record_ids": [r.id for r in records][:LISTED],
        "matched_employers": list(employers.values()),
        "signals_raised": [],
        "signals_touched": [],
        "signals_on_file": list(on_file.values())[:LISTED],
        "signals_on_file_count": len(on_file),
    }


def _postcode_street(address: str | None) -> tuple[str | None, str | None]:
    if not address:
        return None, None
    from spiders.registry import parse_address

    parts = parse_address(address)
    return parts["postcode"] or None, parts["street"].lower() or None


def _text(record: Record) -> str:
    raw = record.raw or {}
    return " ".join(str(raw.get(k) or "") for k in ("street", "address", "address_text")).lower()


def verdict(found: dict[str, Any], crashed: bool = False) -> str:
    """One line an analyst can act on; "not covered" is never written as "nothing found"."""
    kinds = found.get("problem_kinds") or {}
    if "run_id" in found:
        pages, blocked = found.get("pages", 0), found.get("blocked", 0)
        refused = {k: v for k, v in kinds.items() if k in NOT_COVERED_KINDS}
        if crashed:
            return f"not covered: the crawl crashed (exit {found.get('exit_code')})"
        if pages == 0 or (blocked and blocked >= pages) or (refused and not found.get("records")):
            why = ", ".join(f"{k} ×{v}" for k, v in refused.items()) or "no page answered"
            return f"not covered: {why}"
        what = _found_text(found)
        if blocked or refused:
            why = ", ".join(f"{k} ×{v}" for k, v in refused.items()) or f"{blocked} blocked"
            return f"partly covered ({why}): {what}"
        return what
    return _found_text(found)


def _found_text(found: dict[str, Any]) -> str:
    parts = []
    if found.get("persons") == []:
        return "nobody of that name in Vigie's database (register pages, Gazette publications)"
    if found.get("persons") is not None:
        parts.append(f"{len(found['persons'])} person(s), {len(found.get('roles', []))} "
                     "function(s)")
    if found.get("records"):
        parts.append(f"{found['records']} record(s)")
    if found.get("not_in_register"):
        parts.append("NOT in the register: " + ", ".join(found["not_in_register"]))
    if found.get("matched_employers"):
        parts.append(f"{len(found['matched_employers'])} employer(s)")
    raised, touched = found.get("signals_raised") or [], found.get("signals_touched") or []
    if raised or touched:
        parts.append(f"signals {len(raised)} new, {len(touched)} seen again")
    if found.get("signals_on_file_count") or found.get("signals_on_file"):
        parts.append(f"{len(found.get('signals_on_file') or [])} signal(s) on file")
    if not parts and "run_id" not in found:
        return "nothing on file in Vigie's database"
    if not parts:
        return "nothing found (the source was read and answered)"
    return "found: " + "; ".join(parts)
