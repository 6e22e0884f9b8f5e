"""rebuild_clusters on a real SQLite database: records stored through the real pipeline
stages (normalise + upsert), clusters written, records untouched, rebuilds idempotent.

Job ads are real (the Recruityard feed) with cross-board reposts made by realistic edits;
listings are providers sharing a phone under several names, and a board hotline on 50
listings that must not merge them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from pipelines.clustering import rebuild_clusters
from pipelines.items import upsert_record
from pipelines.normalize import normalize_item
from storage.clusters import ClusterTablesMissing
from storage.db import make_engine, session_scope
from storage.models import Capture, ClusterMember, EntityCluster, Record

FEED = Path(__file__).parents[1] / "fixtures" / "realworld" / "jobs" / "feed.xml"


def feed_jobs() -> dict[str, dict[str, Any]]:
    jobs = {}
    for job in ET.parse(FEED).getroot().findall("job"):
        html = job.findtext("description") or ""
        text = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"</(p|li|h\d)>", "\n", html))).strip()
        jobs[job.findtext("referencenumber") or ""] = {
            "external_id": job.findtext("referencenumber"),
            "title": job.findtext("title"),
            "description": text,
            "employer_name": job.findtext("company"),
            "postcode": (job.findtext("postalcode") or "").strip() or None,
            "locality": job.findtext("city") or job.findtext("location"),
            "country": job.findtext("country"),
            "date_posted": (job.findtext("date") or "")[:10],
            "url": job.findtext("url"),
        }
    return jobs


JOBS = feed_jobs()


@pytest.fixture
def cluster_engine(engine: Engine) -> Iterator[Engine]:
    """The migrated database plus the cluster tables (a no-op once the migration has them)."""
    SQLModel.metadata.create_all(
        engine, tables=[EntityCluster.__table__, ClusterMember.__table__]  # type: ignore[list-item]
    )
    yield engine


def store(engine: Engine, kind: str, source: str, url: str, fields: dict[str, Any]) -> int:
    """Store one item the way PersistPipeline does: a capture, then normalise + upsert."""
    with session_scope(engine) as session:
        capture = Capture(url=url, final_url=url, status=200, sha256="0" * 64,
                          warc_file="test.warc.gz", warc_offset=0, warc_length=0,
                          fetched_at=datetime(2025, 6, 20, tzinfo=UTC))
        session.add(capture)
        session.flush()
        item = {"kind": kind, "source": source, "url": url, "capture_id": capture.id,
                "language": "en", "fields": fields, "provenance": {}}
        item["normalized"] = normalize_item(item)
        record = upsert_record(session, item)
        assert record.id is not None
        return record.id


def populate(engine: Engine) -> dict[str, int]:
    ids: dict[str, int] = {}
    for ref in ("CC-0506-25", "CC-0506-23", "CC-0506-4", "CC-0506-8", "CC-0625-01",
                "CC-0625-02"):
        job = dict(JOBS[ref])
        ids[ref] = store(engine, "job_ad", "recruityard", job.pop("url"), job)
    # CC-0506-25 (Content Moderation with Ukrainian, Lisbon) reposted on two other boards.
    original = JOBS["CC-0506-25"]
    words = original["description"].split()
    ids["repost-truncated"] = store(engine, "job_ad", "jobsbelgium", "https://jb.test/a/9", {
        **original, "url": None, "external_id": "jb-9",
        "title": "CONTENT MODERATION – UKRAINIAN (M/F)", "employer_name": "RECRUITYARD Lda",
        "description": " ".join(words[: len(words) // 2]) + " … Lire la suite",
    })
    ids["repost-footer"] = store(engine, "job_ad", "emploi-express", "https://ee.test/o/88123", {
        **original, "url": None, "external_id": "88123", "date_posted": "2025-07-08",
        "title": f"{original['title']} (H/F)",
        "description": original["description"] + "\nPostulez via Emploi Express – offre 88123.",
    })
    names = ["Nettoyage Pro Bruxelles", "Clean Express", "Schoonmaak Snel Brussel",
             "Ménage Top Service", "Bright Clean SRL"]
    phones = ["0470 12 34 56", "+32 470 12.34.56", "0032470123456", "0470/123456",
              "0470 12 34 56"]
    for n, (name, phone) in enumerate(zip(names, phones, strict=True)):
        ids[f"provider-{n}"] = store(engine, "listing", "zoekertjes", f"https://zk.test/l/{n}", {
            "external_id": f"l{n}", "title": f"{name} : nettoyage bureaux et maisons",
            "category": "cleaning", "provider_name": name, "phone": phone,
            "postcode": "1000", "locality": "Bruxelles", "price_text": "15 €/h",
        })
    for n in range(50):
        ids[f"hotline-{n}"] = store(engine, "listing", "zoekertjes", f"https://zk.test/h/{n}", {
            "external_id": f"h{n}", "title": "Car wash à domicile", "category": "car wash",
            "provider_name": f"Wash Service {n} SPRL", "phone": "02 555 00 00",
            "postcode": "1070", "locality": "Anderlecht",
        })
    return ids


def record_dump(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [r.model_dump() for r in session.exec(select(Record).order_by(Record.id))]


def stored_clusters(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        clusters = session.exec(select(EntityCluster).order_by(EntityCluster.key)).all()
        return [
            (c.id, c.key, c.kind, c.label, c.member_count, c.updated_at,
             [(m.record_id, m.score, m.reason, m.linked_to) for m in session.exec(
                 select(ClusterMember).where(ClusterMember.cluster_id == c.id)
                 .order_by(ClusterMember.record_id))])
            for c in clusters
        ]


def test_rebuild_writes_clusters_and_leaves_records_alone(cluster_engine: Engine) -> None:
    ids = populate(cluster_engine)
    before = record_dump(cluster_engine)
    report = rebuild_clusters(cluster_engine)
    assert record_dump(cluster_engine) == before  # evidence is never modified
    assert report.records == {"job_ad": 8, "listing": 55}
    assert report.clusters == {"job_ad": 2, "listing": 1}
    assert (report.written.created, report.written.unchanged) == (3, 0)
    [hotline] = report.capped
    assert (hotline.display, hotline.names, hotline.records) == ("phone +32 2 555 00 00", 50, 50)

    clusters = {key: (label, members) for _, key, _, label, _, _, members
                in stored_clusters(cluster_engine)}
    ukr = ids["CC-0506-25"]
    label, members = clusters[f"job_ad:{ukr}"]
    assert label == "Content Moderation with Ukrainian — Recruityard"
    assert [m[0] for m in members] == [ukr, ids["repost-truncated"], ids["repost-footer"]]
    reasons = {m[0]: m[2] for m in members}
    assert re.fullmatch(r"same text \d+ % \(title \+ description\); one copy is shortened "
                        r"\(\d+ words against \d+\)", reasons[ids["repost-truncated"]])
    _, german = clusters[f"job_ad:{ids['CC-0625-01']}"]
    assert [m[0] for m in german] == [ids["CC-0625-01"], ids["CC-0625-02"]]
    label, providers = clusters[f"listing:{ids['provider-0']}"]
    assert [m[0] for m in providers] == [ids[f"provider-{n}"] for n in range(5)]
    assert providers[1][2] == ("same phone +32 470 12 34 56 under the names "
                               "“Nettoyage Pro Bruxelles” and “Clean Express”")
    # Template siblings, the Porto ad and the hotline listings stay alone.
    clustered = {m[0] for _, members in clusters.values() for m in members}
    for alone in ("CC-0506-23", "CC-0506-4", "CC-0506-8", "hotline-0", "hotline-49"):
        assert ids[alone] not in clustered


def test_rebuild_is_idempotent_and_keeps_cluster_ids(cluster_engine: Engine) -> None:
    ids = populate(cluster_engine)
    rebuild_clusters(cluster_engine)
    first = stored_clusters(cluster_engine)
    again = rebuild_clusters(cluster_engine)
    assert (again.written.created, again.written.updated, again.written.deleted,
            again.written.unchanged) == (0, 0, 0, 3)
    assert stored_clusters(cluster_engine) == first  # same ids, rows and timestamps

    # A third board publishes the Ukrainian ad: the cluster grows and keeps its id.
    original = JOBS["CC-0506-25"]
    new_id = store(cluster_engine, "job_ad", "jobat", "https://jobat.test/x/1", {
        **original, "url": None, "external_id": "x1", "employer_name": "Recruityard"})
    grown = rebuild_clusters(cluster_engine)
    assert (grown.written.created, grown.written.updated, grown.written.unchanged) == (0, 1, 2)
    after = {c[1]: c for c in stored_clusters(cluster_engine)}
    key = f"job_ad:{ids['CC-0506-25']}"
    before = {c[1]: c for c in first}
    assert after[key][0] == before[key][0]
    assert after[key][4] == 4 and new_id in [m[0] for m in after[key][6]]


def test_rebuild_refuses_a_database_without_cluster_tables(tmp_path: Path, databases) -> None:
    bare = make_engine(databases.url(tmp_path / "bare", migrate=False))
    cluster_tables = {EntityCluster.__table__, ClusterMember.__table__}
    SQLModel.metadata.create_all(bare, tables=[  # every other table: the foreign keys' targets
        t for t in SQLModel.metadata.sorted_tables if t not in cluster_tables])
    with pytest.raises(ClusterTablesMissing, match="vigie db upgrade"):
        rebuild_clusters(bare)
    bare.dispose()
