"""The crawl's matcher for a large register: built in a child process, stored in the data
folder, loaded by the next crawl while the register is unchanged, rebuilt when it changes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from entity_resolution.matcher import MatchQuery
from entity_resolution.register import RegisterEntry
from pipelines.matcher_cache import MatcherLoader, register_fingerprint
from pipelines.register_sync import build_matcher, import_entries
from storage.db import session_scope
from storage.models import Employer

REGISTER = [
    RegisterEntry(enterprise_number="0834980750", name="Logistiek Vorst", status="AC",
                  postcode="1190", municipality="Forest", phone="024561234"),
    RegisterEntry(enterprise_number="0200065765", name="Car Wash Express", status="AC",
                  postcode="1000", municipality="Bruxelles"),
    RegisterEntry(enterprise_number="0403170701", name="Nettoyage Plus", status="AC",
                  postcode="4000", municipality="Liège", other_names=("N-Plus",)),
]
QUERIES = [MatchQuery(name="Logistiek Vorst VOF", postcode="1190"),
           MatchQuery(name="car-wash express sprl"), MatchQuery(name="N-Plus", postcode="4000"),
           MatchQuery(number="BE 0200.065.765")]


def test_built_aside_then_loaded_then_rebuilt_when_the_register_changes(
    engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as session:
        import_entries(session, REGISTER)
        reference = build_matcher(session)
    folder = tmp_path / "cache" / "matcher"

    first = MatcherLoader(engine, folder, background_min=1)
    first.start()
    built = first.get()
    assert first.source == "child"
    assert [p.name for p in folder.iterdir()] == [f"{register_fingerprint(engine)}.pickle"]
    for query in QUERIES:
        assert built.match(query) == reference.match(query)
    assert built.match(QUERIES[3])[0].key == reference.match(QUERIES[3])[0].key

    second = MatcherLoader(engine, folder, background_min=1)
    second.start()
    assert second.source == "cache"
    assert [c.key for c in second.get().match(QUERIES[0])] == [
        c.key for c in reference.match(QUERIES[0])]

    before = register_fingerprint(engine)
    with session_scope(engine) as session:
        employer = session.exec(select(Employer).where(
            Employer.enterprise_number == "0200065765")).one()
        employer.name = "Lavage Rapide"
    assert register_fingerprint(engine) != before
    third = MatcherLoader(engine, folder, background_min=1)
    third.start()
    rebuilt = third.get()
    assert third.source == "child"
    assert len(list(folder.iterdir())) == 1  # the stale file is gone
    assert not [c for c in rebuilt.match(QUERIES[1]) if c.outcome == "match"]


def test_a_small_register_is_built_in_the_crawl_process(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        import_entries(session, REGISTER)
    loader = MatcherLoader(engine, tmp_path / "cache", background_min=1000)
    loader.start()
    assert loader.source == "built" and len(loader.get()) == 3
    assert not (tmp_path / "cache").exists()


def test_a_register_import_prepares_the_matcher_the_next_crawl_loads(
    settings, engine: Engine
) -> None:
    from vigie.register import prepare_matcher

    with Session(engine) as session:
        import_entries(session, REGISTER)
    assert prepare_matcher(settings) is None  # 3 employers: crawls build it in a moment
    ready = prepare_matcher(settings, minimum=1)
    assert ready is not None and ready.name == f"{register_fingerprint(engine)}.pickle"
    loader = MatcherLoader(engine, ready.parent, background_min=1)
    loader.start()
    assert loader.source == "cache"
    with Session(engine) as session:
        reference = build_matcher(session)
    assert [c.key for c in loader.get().match(QUERIES[1])] == [
        c.key for c in reference.match(QUERIES[1])]
