"""A crawl's write batch (findings stored together, judgements, captures and employers read
once per batch, matcher answers cached) stores exactly what the item-by-item path stores:
same records, matches, signals, evidence links and signal counts, in two fresh databases fed
the same items — with an ad seen twice in one batch, several ads of one employer, a human
judgement, and a second batch that finds signals already stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from entity_resolution.register import RegisterEntry
from pipelines.items import NormalizePipeline, PersistPipeline, ValidatePipeline, fingerprint
from pipelines.register_sync import import_entries
from storage.db import make_engine, session_scope
from storage.models import Capture, Judgement, Match, Record, Signal, SignalEvidence

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
REGISTER = [
    RegisterEntry(enterprise_number="0834980750", name="Logistiek Vorst", status="AC",
                  juridical_situation="000", onss_employer=False, postcode="1190",
                  municipality="Forest"),
    RegisterEntry(enterprise_number="0200065765", name="Car Wash Express", status="AC",
                  juridical_situation="050", onss_employer=True, postcode="1000",
                  municipality="Bruxelles"),
    RegisterEntry(enterprise_number="0403170701", name="Nettoyage Plus", status="AC",
                  juridical_situation="000", onss_employer=True, postcode="4000",
                  municipality="Liège"),
]


@pytest.fixture
def second_engine(tmp_path: Path, engine: Engine, databases: Any) -> Iterator[Engine]:
    """Another fresh, migrated database on the same backend as ``engine``."""
    other = make_engine(databases.url(tmp_path / "second", migrate=True))
    yield other
    other.dispose()


def _prepare(engine: Engine, captures: int) -> None:
    """The register, ``captures`` captures at fixed times, and one human judgement."""
    with Session(engine) as session:
        import_entries(session, REGISTER)
    with session_scope(engine) as session:
        for n in range(1, captures + 1):
            session.add(Capture(url=f"http://127.0.0.1:9/jobs/ad/{n}",
                                final_url=f"http://127.0.0.1:9/jobs/ad/{n}", status=200,
                                sha256=f"{n:064d}", warc_file="warc/a.warc.gz",
                                warc_offset=n * 100, warc_length=90,
                                fetched_at=T0 + timedelta(minutes=n)))
        session.add(Judgement(record_fingerprint=fingerprint(_ad(1, "9", "x")),
                              employer_number="0200065765", verdict="positive", user="rita"))


def _ad(capture: int, ad: str, employer: str, text: str = "", **fields: Any) -> dict[str, Any]:
    item = {
        "kind": "job_ad", "source": "jobs", "url": f"http://127.0.0.1:9/jobs/ad/{ad}",
        "capture_id": capture, "language": "fr",
        "fields": {"external_id": ad, "title": f"Offre {ad}", "country": "BE",
                   "description": text or "Poste à pourvoir.", "employer_name": employer,
                   **fields},
    }
    return NormalizePipeline().process_item(ValidatePipeline().process_item(item))


def _batches() -> list[list[dict[str, Any]]]:
    housing = "Logement fourni, payé en cash, pas besoin de papiers."
    first = [
        _ad(1, "1", "Logistiek Vorst VOF", housing, postcode="1190"),
        _ad(2, "2", "Logistiek Vorst", "Chauffeur.", postcode="1190"),
        _ad(3, "1", "Logistiek Vorst VOF", housing, postcode="1190"),  # ad 1 again, new page
        _ad(4, "3", "Car Wash Express", "Laveur de voitures, car wash, logement fourni."),
        _ad(5, "4", "Inconnu SPRL", "Nettoyage de bureaux."),
        _ad(6, "9", "Nettoyage Plus", "Aide-ménagère, logement fourni."),  # judged positive
        _ad(3, "1", "Logistiek Vorst VOF", housing, postcode="1190"),  # same page replayed
    ]
    second = [
        _ad(7, "1", "Logistiek Vorst VOF", housing, postcode="1190"),  # stored signals again
        _ad(8, "5", "Logistiek Vorst", "Magasinier, logement fourni.", postcode="1190"),
        _ad(9, "3", "Car Wash Express", "Laveur de voitures, car wash, logement fourni."),
    ]
    return [first, second]


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with Session(engine) as session:
        def rows(model: Any, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
            found = session.exec(select(model).order_by(col(model.id))).all()
            return [tuple(getattr(r, c) for c in columns) for r in found]

        signals = [
            (*row[:-2], row[-2].replace(tzinfo=None), row[-1].replace(tzinfo=None))
            for row in rows(Signal, ("id", "key", "rule", "severity", "title", "rationale",
                                     "employer_id", "district", "facts", "occurrences",
                                     "first_seen", "last_seen"))
        ]
        return {
            "records": rows(Record, ("id", "kind", "fingerprint", "capture_id",
                                     "last_capture_id", "title", "employer_name", "seen_count",
                                     "normalized", "raw")),
            "matches": rows(Match, ("id", "record_id", "employer_id", "score", "method",
                                    "outcome", "explanation")),
            "signals": signals,
            "links": rows(SignalEvidence, ("id", "signal_id", "record_id", "capture_id")),
        }


def _two_pipelines(engine: Engine, second_engine: Engine) -> tuple[PersistPipeline,
                                                                   PersistPipeline]:
    """The same prepared world in two databases: a batched pipeline on the first, an
    item-by-item one on the second, both open."""
    _prepare(engine, 9)
    _prepare(second_engine, 9)
    batched = PersistPipeline(engine, get_crawler(), batch_size=100, in_thread=False)
    single = PersistPipeline(second_engine, get_crawler())
    batched.open_spider()
    single.open_spider()
    return batched, single


def test_batched_writes_store_what_item_by_item_writes_store(
    engine: Engine, second_engine: Engine
) -> None:
    batched, single = _two_pipelines(engine, second_engine)
    for batch in _batches():
        outcomes = batched._write_batch([dict(item) for item in batch])
        assert not [o for o in outcomes if isinstance(o, BaseException)]
        for item in batch:
            single.process_item(dict(item))
    got, expected = _rows(engine), _rows(second_engine)
    assert got == expected
    stats_b, stats_s = batched.crawler.stats, single.crawler.stats  # type: ignore[union-attr]
    for key in ("vigie/signals", "vigie/matches/match"):
        assert stats_b.get_value(key) == stats_s.get_value(key) and stats_b.get_value(key)
    # what the items were meant to produce, so that both being wrong alike would show
    by_rule: dict[str, list[tuple[Any, ...]]] = {}
    for row in got["signals"]:
        by_rule.setdefault(row[2], []).append(row)
    unregistered = by_rule["unregistered_employer"]
    assert len(unregistered) == 1 and unregistered[0][9] == 5  # ad 1 (three pages), 2, 5
    assert len(got["records"]) == 6
    assert [r[7] for r in got["records"] if r[2] == fingerprint(_ad(1, "1", "x"))] == [3]
    judged = [m for m in got["matches"] if m[4] == "judgement"]
    assert len(judged) == 1
    assert batched.crawler.stats.get_value("vigie/writes/batches") == 2  # type: ignore[union-attr]


def _fresh_ads() -> list[dict[str, Any]]:
    """A batch of distinct new ads (written stage by stage): firm and unmatched ones, a
    judged one, wording, the same employer twice."""
    return [
        _ad(1, "11", "Logistiek Vorst VOF", "Logement fourni, payé en cash.", postcode="1190"),
        _ad(2, "12", "Logistiek Vorst", "Chauffeur.", postcode="1190"),
        _ad(4, "13", "Car Wash Express", "Laveur de voitures, car wash, logement fourni."),
        _ad(5, "14", "Inconnu SPRL", "Nettoyage de bureaux."),
        _ad(6, "9", "Nettoyage Plus", "Aide-ménagère, logement fourni."),  # judged positive
        _ad(8, "15", "Logistiek Vorst", "Magasinier, sans papiers.", postcode="1190"),
    ]


def test_a_batch_of_new_ads_is_written_stage_by_stage_with_the_same_rows(
    engine: Engine, second_engine: Engine
) -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession

    batched, single = _two_pipelines(engine, second_engine)
    broken = dict(_fresh_ads()[0], url="http://127.0.0.1:9/jobs/ad/broken")
    del broken["fields"]  # fails when stored: left out alone, the others written
    batch = _fresh_ads()
    flushes: list[int] = []

    def count(*_: Any) -> None:
        flushes.append(1)

    event.listen(OrmSession, "after_flush", count)
    try:
        outcomes = batched._write_batch([dict(item) for item in batch])
    finally:
        event.remove(OrmSession, "after_flush", count)
    assert not [o for o in outcomes if isinstance(o, BaseException)]
    assert len(flushes) <= 5 < 2 * len(batch)  # records, matches, signals, links (+ sectors)
    for item in batch:
        single.process_item(dict(item))
    assert _rows(engine) == _rows(second_engine)
    assert {m[4] for m in _rows(engine)["matches"]} >= {"judgement"}

    more = [_ad(3, "16", "Car Wash Express", "Car wash, logement fourni."), broken,
            _ad(7, "17", "Nettoyage Plus", "Nettoyage, payé en cash.")]
    outcomes = batched._write_batch([dict(item) for item in more])
    assert [type(o).__name__ for o in outcomes] == ["dict", "KeyError", "dict"]
    for item in (more[0], more[2]):
        single.process_item(dict(item))
    # The attempt rolled back took ids from PostgreSQL's sequences: compared without ids.
    assert _without_ids(engine) == _without_ids(second_engine)
    assert len(_rows(engine)["records"]) == len(batch) + 2


def _without_ids(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """:func:`_rows` with every row id replaced by what it stands for (record fingerprint,
    signal key)."""
    rows = _rows(engine)
    fp = {r[0]: r[2] for r in rows["records"]}
    key = {s[0]: s[1] for s in rows["signals"]}
    return {
        "records": sorted(r[1:] for r in rows["records"]),
        "matches": sorted((fp[m[1]], *m[2:]) for m in rows["matches"]),
        "signals": sorted(s[1:] for s in rows["signals"]),
        "links": sorted((key[ln[1]], fp.get(ln[2]), ln[3]) for ln in rows["links"]),
    }
