"""Store → match → detect on real SQLite, driven without a crawler; judgements win."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from entity_resolution.register import RegisterEntry
from pipelines.items import NormalizePipeline, PersistPipeline, ValidatePipeline, fingerprint
from pipelines.register_sync import import_entries
from storage.db import session_scope
from storage.evidence import EvidenceStore
from storage.models import Capture, Employer, Judgement, Match, Record, Signal

REGISTER = [
    RegisterEntry(
        enterprise_number="0834980750",
        name="Logistiek Vorst",
        status="AC",
        juridical_situation="000",
        onss_employer=False,
        postcode="1190",
        municipality="Forest",
        start_date=date(2006, 2, 28),
    ),
    RegisterEntry(
        enterprise_number="0200065765",
        name="Logistiek Vorst Transport",
        status="AC",
        juridical_situation="000",
        onss_employer=True,
        postcode="1190",
        municipality="Forest",
    ),
]


def _capture(settings, engine, url: str) -> int:
    stored = EvidenceStore(settings.evidence_dir).write_response(url, 200, [], b"<html/>")
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


def _item(capture_id: int, **fields) -> dict:
    return {
        "kind": "job_ad",
        "source": "jobs",
        "url": "http://127.0.0.1:9/jobs/ad/7",
        "capture_id": capture_id,
        "language": "fr",
        "fields": {
            "external_id": "7",
            "title": "Chauffeur C/CE",
            "country": "BE",
            "description": "Poste à Forest.",
            **fields,
        },
    }


def _run(settings, engine, item: dict) -> dict:
    persist = PersistPipeline(engine)
    persist.open_spider()
    out = persist.process_item(
        NormalizePipeline().process_item(ValidatePipeline().process_item(item))
    )
    return out


def test_ad_is_stored_matched_and_signalled(settings, engine):
    with Session(engine) as session:
        import_entries(session, REGISTER)
    cap = _capture(settings, engine, "http://127.0.0.1:9/jobs/ad/7")
    _run(settings, engine, _item(cap, employer_name="Logistiek Vorst VOF", postcode="1190"))
    with Session(engine) as session:
        record = session.exec(select(Record)).one()
        match = session.exec(select(Match)).one()
        employer = session.get(Employer, match.employer_id)
        signals = session.exec(select(Signal)).all()
    assert record.capture_id == cap and record.district == "BRU"
    assert employer.enterprise_number == "0834980750" and match.outcome == "match"
    assert any(f["reason"] for f in match.explanation)
    assert [s.rule for s in signals] == ["unregistered_employer"]
    # The same capture processed again (a resumed crawl) changes nothing.
    _run(settings, engine, _item(cap, employer_name="Logistiek Vorst VOF", postcode="1190"))
    with Session(engine) as session:
        assert session.exec(select(Record)).one().seen_count == 1
        assert session.exec(select(Signal)).one().occurrences == 1


def test_a_negative_judgement_moves_the_match_and_a_positive_one_forces_it(settings, engine):
    with Session(engine) as session:
        import_entries(session, REGISTER)
    cap = _capture(settings, engine, "http://127.0.0.1:9/jobs/ad/7")
    item = _item(cap, employer_name="Logistiek Vorst VOF", postcode="1190")
    fp = fingerprint(item)
    with session_scope(engine) as session:
        session.add(
            Judgement(
                record_fingerprint=fp, employer_number="0834980750", verdict="negative", user="rita"
            )
        )
    _run(settings, engine, item)
    with Session(engine) as session:
        numbers = {
            session.get(Employer, m.employer_id).enterprise_number
            for m in session.exec(select(Match)).all()
        }
        rules = {s.rule for s in session.exec(select(Signal)).all()}
    assert "0834980750" not in numbers
    assert "unregistered_employer" not in rules

    with session_scope(engine) as session:
        session.add(
            Judgement(
                record_fingerprint=fp, employer_number="0200065765", verdict="positive", user="rita"
            )
        )
    cap2 = _capture(settings, engine, "http://127.0.0.1:9/jobs/ad/7")
    _run(settings, engine, _item(cap2, employer_name="Completely Other Name SA"))
    with Session(engine) as session:
        forced = session.exec(select(Match).where(Match.method == "judgement")).one()
        assert session.get(Employer, forced.employer_id).enterprise_number == "0200065765"
        assert forced.outcome == "match"
        assert "reviewer confirmed" in forced.explanation[0]["reason"]
