"""Gazette publications through validate → normalise → store on a real SQLite: Records, and the
Person/Role network from named appointments and resignations (carousel of the demo world).

The schema is created from the models (``Role.source_record_id`` is newer than the migrations
until the integrator regenerates them).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from demo.server import DemoSite
from demo.world import World, build_world
from pipelines.gazette_network import _apply, register_function
from pipelines.items import NormalizePipeline, PersistPipeline, ValidatePipeline
from spiders.parsers.gazette import parse_list_page
from storage.db import make_engine, session_scope
from storage.evidence import EvidenceStore
from storage.models import Capture, Employer, Person, Record, Role, Signal

REAL = Path(__file__).parents[1] / "fixtures" / "realworld" / "ejustice"
BASE = "http://127.0.0.1:8800"


@pytest.fixture
def db(settings) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    engine = make_engine(settings.db_url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(7, 300)


def _capture(settings, engine: Engine, url: str, body: bytes) -> int:  # type: ignore[no-untyped-def]
    stored = EvidenceStore(settings.evidence_dir).write_response(url, 200, [], body)
    with session_scope(engine) as session:
        cap = Capture(
            url=url,
            final_url=url,
            status=200,
            sha256=stored.sha256,
            warc_file=stored.warc_file,
            warc_offset=stored.warc_offset,
            warc_length=stored.warc_length,
            fetched_at=stored.fetched_at,
        )
        session.add(cap)
        session.flush()
        assert cap.id is not None
        return cap.id


def _page(settings, engine: Engine, url: str, body: bytes):  # type: ignore[no-untyped-def]
    """The items the spider yields for one list page (with a real capture), and the page."""
    capture_id = _capture(settings, engine, url, body)
    page = parse_list_page(body, url, "text/html; charset=iso-8859-1")
    return page, [
        {
            "kind": "gazette",
            "source": "gazette",
            "url": url,
            "capture_id": capture_id,
            "language": p["language"],
            "fields": p,
            "provenance": {"rubric": "line:3"},
        }
        for p in page.publications
    ]


def _items(settings, engine: Engine, url: str, body: bytes) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return _page(settings, engine, url, body)[1]


def _demo_items(settings, engine: Engine, world: World, number: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    site = DemoSite(world)
    items: list[dict[str, Any]] = []
    url: str | None = f"{BASE}/cgi_tsv/list.pl?language=fr&btw={number}&page=1"
    while url:
        query = parse_qs(urlsplit(url).query)
        response = site.handle("/cgi_tsv/list.pl", query)
        page, batch = _page(settings, engine, url, response.body)
        items += batch
        url = page.next_url
    return items


def _persist(engine: Engine, items: list[dict[str, Any]]) -> None:
    persist = PersistPipeline(engine)
    persist.open_spider()
    for item in items:
        persist.process_item(
            NormalizePipeline().process_item(ValidatePipeline().process_item(item))
        )
    persist.close_spider()


def _register(engine: Engine, world: World, numbers: tuple[str, ...]) -> None:
    """The register as the KBO pages would have filled it (status, situation and its date)."""
    with session_scope(engine) as session:
        for number in numbers:
            e = world.employer(number)
            assert e is not None
            session.add(
                Employer(
                    enterprise_number=number,
                    name=e.name,
                    status=e.status,
                    juridical_situation=e.juridical_situation,
                    juridical_situation_date=e.juridical_situation_date,
                    start_date=e.start_date,
                    onss_employer=e.onss_employer,
                    postcode=e.address.postcode,
                    origin="registry_page",
                )
            )


def test_carousel_publications_build_the_network(settings, db: Engine, world: World) -> None:  # type: ignore[no-untyped-def]
    carousel = world.carousels[0]
    numbers = carousel.enterprise_numbers
    _register(db, world, numbers)
    items = [i for n in numbers for i in _demo_items(settings, db, world, n)]
    _persist(db, items)
    boss = world.person(carousel.person_id)
    boss_name = f"{boss.last_name.upper()} {boss.first_name}"
    with Session(db) as session:
        records = session.exec(select(Record).where(Record.kind == "gazette")).all()
        assert len(records) == len(items)
        assert {r.enterprise_number for r in records} == set(numbers)
        # bankruptcies are visible to the signals: rubric code and date in Record.normalized
        old = world.employer(numbers[0])
        assert old is not None
        bankrupt = [
            r
            for r in records
            if r.enterprise_number == numbers[0] and r.normalized["rubric_code"] == "bankruptcy"
        ]
        assert {r.title for r in bankrupt} >= {"N° BCE", "KBO NR."}
        assert all(r.normalized["publication_date"] for r in bankrupt)
        assert all(r.employer_name == old.name for r in bankrupt)
        # the boss: one Person, a Role in every company of the chain
        person = session.exec(select(Person).where(Person.name == boss_name)).one()
        roles = session.exec(select(Role).where(Role.person_id == person.id)).all()
        by_number = {session.get(Employer, r.employer_id).enterprise_number: r for r in roles}
        assert set(by_number) == set(numbers)
        newest = world.employer(numbers[-1])
        assert newest is not None
        boss_function = next(f for f in newest.directors if f.person_id == boss.id)
        current = by_number[numbers[-1]]
        assert current.function == boss_function.role  # the register's French label
        assert (current.start_date, current.end_date) == (boss_function.start_date, None)
        source = session.get(Record, current.source_record_id)
        assert source is not None and source.normalized["persons"][0]["name"] == boss_name
        assert current.capture_id == source.capture_id
        ended = by_number[numbers[0]]
        assert ended.end_date is not None and ended.end_date < old.juridical_situation_date
        # no invented employers: every role sits on a register employer
        assert session.exec(select(Employer).where(Employer.origin == "gazette")).all() == []
        # the carousel rule reads these roles: the boss runs an active firm after bankruptcies
        signals = session.exec(select(Signal).where(Signal.rule == "carousel")).all()
        assert any(boss.last_name.lower() in s.title.lower() for s in signals), [
            s.title for s in signals
        ]
        n_roles = len(session.exec(select(Role)).all())
    # seen again (new captures): same records, same roles
    again = [i for n in numbers for i in _demo_items(settings, db, world, n)]
    _persist(db, again)
    with Session(db) as session:
        records = session.exec(select(Record).where(Record.kind == "gazette")).all()
        assert len(records) == len(items) and {r.seen_count for r in records} == {2}
        assert len(session.exec(select(Role)).all()) == n_roles


def test_real_pages_store_records_without_inventing_persons(settings, db: Engine) -> None:  # type: ignore[no-untyped-def]
    items = []
    for number in ("0200065765", "0200171970"):
        body = (REAL / f"list_btw{number}.html").read_bytes()
        url = f"https://www.ejustice.just.fgov.be/cgi_tsv/list.pl?btw={number}"
        items += _items(settings, db, url, body)
    _persist(db, items)
    with Session(db) as session:
        records = session.exec(select(Record).where(Record.kind == "gazette")).all()
        assert len(records) == 103
        first = next(r for r in records if r.normalized["numac"] == "0088192")
        assert first.enterprise_number == "0200065765"
        assert first.employer_name == "INTERGEMEENTELIJKE VERENIGING VENECO"
        assert first.postcode == "9070"
        assert first.normalized["rubric_codes"] == ["appointment", "resignation"]
        assert first.normalized["publication_date"] == "2025-07-11"
        assert first.normalized["persons"] == []
        assert first.raw["persons_source"] == "pdf_only"
        ubo = [r for r in records if r.enterprise_number == "0200171970"]
        assert {r.normalized["rubric_code"] for r in ubo} == {"struck_off"}
        # names only in the PDF: no Person, no Role, no Employer made up
        assert session.exec(select(Person)).all() == []
        assert session.exec(select(Role)).all() == []
        assert session.exec(select(Employer)).all() == []


def test_unknown_enterprise_gets_a_gazette_employer(settings, db: Engine) -> None:  # type: ignore[no-untyped-def]
    body = (REAL / "list_btw0200171970.html").read_bytes()
    url = "https://www.ejustice.just.fgov.be/cgi_tsv/list.pl?btw=0200171970"
    item = _items(settings, db, url, body)[0]
    item["fields"] = {
        **item["fields"],
        "text": "Ontslag: PEETERS Jan, zaakvoerder, met ingang van 01/03/2024.",
        "persons": [
            {
                "name": "PEETERS Jan",
                "action": "resignation",
                "function": "zaakvoerder",
                "date": "2024-03-01",
            }
        ],
    }
    _persist(db, [item])
    with Session(db) as session:
        employer = session.exec(select(Employer)).one()
        assert (employer.enterprise_number, employer.origin) == ("0200171970", "gazette")
        assert employer.name == "SANATORIUM-HOSPITAAL VAN LEMBERGE"
        role = session.exec(select(Role)).one()
        assert (role.function, role.start_date, role.end_date) == ("Gérant", None, date(2024, 3, 1))


def test_role_updates_in_any_order() -> None:
    role = Role(person_id=1, employer_id=1, function="Gérant")
    # newest first, as the list is read: left 2024, (re)appointed 2020, left 2018, came 2016
    assert _apply(role, "resignation", date(2024, 5, 1))
    assert _apply(role, "appointment", date(2020, 1, 1))
    assert not _apply(role, "resignation", date(2018, 1, 1))
    assert not _apply(role, "appointment", date(2016, 1, 1))
    assert (role.start_date, role.end_date) == (date(2020, 1, 1), date(2024, 5, 1))
    # oldest first: the re-appointment re-opens the role
    role = Role(person_id=1, employer_id=1, function="Gérant")
    assert _apply(role, "appointment", date(2016, 1, 1))
    assert _apply(role, "resignation", date(2018, 1, 1))
    assert _apply(role, "appointment", date(2020, 1, 1))
    assert (role.start_date, role.end_date) == (date(2020, 1, 1), None)
    assert register_function("zaakvoerder") == "Gérant"
    assert register_function("gérant") == "Gérant"
    assert register_function("bestuurder") == "Administrateur"
    assert register_function("commissaire") == "Commissaire"
