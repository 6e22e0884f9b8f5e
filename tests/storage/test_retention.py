"""Retention on a real SQLite file and real WARC files: old uncited records and captures go,
rows and bytes; cited ones stay and still verify; dry runs change nothing."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from storage.audit import verify_chain
from storage.evidence import EvidenceStore
from storage.models import (
    AuditEvent,
    Capture,
    ClusterMember,
    CrawlRun,
    Employer,
    EntityCluster,
    Match,
    Record,
    Signal,
    SignalEvidence,
)
from storage.retention import purge
from vigie.verify import verify_evidence

NOW = datetime(2026, 6, 1, tzinfo=UTC)
OLD = datetime(2025, 1, 10, tzinfo=UTC)
RECENT = datetime(2026, 5, 20, tzinfo=UTC)


def _capture(store: EvidenceStore, run_id: int, url: str, body: bytes, at: datetime,
             shot: tuple[str, str] | None = None) -> Capture:
    s = store.write_response(url, 200, [("Content-Type", "text/html")], body, fetched_at=at)
    return Capture(run_id=run_id, url=url, final_url=url, status=200, fetched_at=at,
                   sha256=s.sha256, length=s.length, warc_file=s.warc_file,
                   warc_offset=s.warc_offset, warc_length=s.warc_length,
                   screenshot_sha256=shot[0] if shot else None,
                   screenshot_path=shot[1] if shot else None)


def _world(engine, evidence: Path) -> dict[str, int]:
    with Session(engine) as s:
        old_run = CrawlRun(spider="jobs", purpose="t", started_at=OLD)
        new_run = CrawlRun(spider="jobs", purpose="t", started_at=RECENT)
        other = CrawlRun(spider="registry", purpose="t", started_at=OLD)
        s.add_all([old_run, new_run, other])
        s.flush()
        store = EvidenceStore(evidence, name="old")
        shot = store.write_screenshot(b"\x89PNG\r\n\x1a\n-fake-png-of-a-private-ad")
        gone = _capture(store, old_run.id, "http://x.test/ad/1",
                        "<p>Jean Privé 0470 11 22 33</p>".encode(), OLD, shot)
        cited = _capture(store, old_run.id, "http://x.test/ad/2", b"<p>cash 5 EUR/h</p>", OLD)
        store.close()
        store = EvidenceStore(evidence, name="all-old")
        alone = _capture(store, old_run.id, "http://x.test/ad/3", b"<p>Marie Secret</p>", OLD)
        store.close()
        store = EvidenceStore(evidence, name="new")
        fresh = _capture(store, new_run.id, "http://x.test/ad/4", b"<p>fresh</p>", RECENT)
        store.close()
        store = EvidenceStore(evidence, name="reg")
        register = _capture(store, other.id, "http://kbo.test/1", b"<p>register</p>", OLD)
        store.close()
        s.add_all([gone, cited, alone, fresh, register])
        s.flush()
        records = {}
        for name, cap, seen in (("gone", gone, OLD), ("cited", cited, OLD),
                                ("alone", alone, OLD), ("fresh", fresh, RECENT)):
            r = Record(kind="job_ad", source="jobs", url=cap.url, capture_id=cap.id,
                       fingerprint=f"fp-{name}", title=name, first_seen=seen, last_seen=seen)
            s.add(r)
            s.flush()
            records[name] = r.id
        employer = Employer(enterprise_number="0403170701", name="Firm")
        s.add(employer)
        s.flush()
        s.add(Match(record_id=records["gone"], employer_id=employer.id, score=0.9, method="name",
                    outcome="match", matcher_version="t", explanation=[]))
        cluster = EntityCluster(key="job_ad:1", kind="job_ad", label="x", algorithm_version="t",
                                member_count=2)
        s.add(cluster)
        s.flush()
        s.add_all([ClusterMember(cluster_id=cluster.id, record_id=records["gone"],
                                 kind="job_ad", score=1.0, reason="same text"),
                   ClusterMember(cluster_id=cluster.id, record_id=records["fresh"],
                                 kind="job_ad", score=1.0, reason="same text")])
        sig = Signal(key="s1", rule="low_wage", severity="high", title="t", rationale="r",
                     subject_type="record", subject_key="x")
        s.add(sig)
        s.flush()
        s.add(SignalEvidence(signal_id=sig.id, record_id=records["cited"], capture_id=cited.id))
        s.commit()
        return {**records, "shot": 0, "gone_cap": gone.id, "alone_cap": alone.id,
                "register_cap": register.id}


def _all_warc_text(evidence: Path) -> bytes:
    return b"".join(gzip.decompress(p.read_bytes()) for p in (evidence / "warc").glob("*.gz"))


def test_purge_removes_rows_and_bytes_and_keeps_what_is_cited(engine, settings) -> None:
    evidence = settings.evidence_dir
    _world(engine, evidence)
    assert b"Jean Priv" in _all_warc_text(evidence)
    files_before = sorted(p.name for p in (evidence / "warc").glob("*.gz"))
    with Session(engine) as s:
        dry = purge(s, evidence, {"jobs": 365}, "tester", now=NOW, dry_run=True)
    assert dict(dry.records) == {"jobs": 2} and dict(dry.captures) == {"jobs": 2}
    with Session(engine) as s:  # nothing changed
        assert len(s.exec(select(Record)).all()) == 4 and len(s.exec(select(Capture)).all()) == 5
    assert sorted(p.name for p in (evidence / "warc").glob("*.gz")) == files_before

    with Session(engine) as s:
        report = purge(s, evidence, {"jobs": 365}, "tester", now=NOW)
    assert dict(report.records) == {"jobs": 2} and dict(report.captures) == {"jobs": 2}
    assert report.kept_cited_records == 1
    assert report.warc_files_deleted == 1 and report.warc_files_compacted == 1
    assert report.screenshots_deleted == 1
    with Session(engine) as s:
        titles = sorted(r.title for r in s.exec(select(Record)).all())
        assert titles == ["cited", "fresh"]
        assert s.exec(select(Match)).all() == []
        assert s.exec(select(EntityCluster)).all() == []  # one member left: no cluster
        assert s.exec(select(ClusterMember)).all() == []
        urls = sorted(c.url for c in s.exec(select(Capture)).all())
        assert urls == ["http://kbo.test/1", "http://x.test/ad/2", "http://x.test/ad/4"]
        [event] = s.exec(select(AuditEvent).where(AuditEvent.action == "retention.purge")).all()
        assert event.user == "tester" and event.details["records"] == {"jobs": 2}
        assert verify_chain(s) == []
    text = _all_warc_text(evidence)
    assert b"Jean Priv" not in text and b"Marie Secret" not in text  # the bytes are gone
    assert b"cash 5 EUR/h" in text and b"register" in text
    assert not any((evidence / "screenshots").rglob("*.png"))
    checked, problems = verify_evidence(engine, evidence)
    assert checked == 3 and problems == []  # compacted records still verify

    with Session(engine) as s:  # idempotent
        again = purge(s, evidence, {"jobs": 365}, "tester", now=NOW)
    assert sum(again.records.values()) == 0 and sum(again.captures.values()) == 0
