"""Incremental crawling: unchanged pages are not archived again, vanished ads get ``gone_at``.

Two real ``vigie crawl jobs`` runs over twelve ads of the demo's ``/trap/`` corner (the demo
server sends ``ETag``/``Last-Modified`` and answers conditional requests with 304); between
them one ad changes and one is taken down. Then in-process checks of the pieces (identical
body without validators, seen again after gone).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from sqlmodel import Session, select
from warcio.archiveiterator import ArchiveIterator

sys.path.insert(0, str(Path(__file__).parents[1]))

from vigie_crawl import run_crawl  # noqa: E402

from demo.server import DemoServer  # noqa: E402
from demo.world import build_world  # noqa: E402
from pipelines.capture import CaptureMiddleware  # noqa: E402
from pipelines.items import mark_gone, upsert_record  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.evidence import EvidenceStore  # noqa: E402
from storage.models import Capture, CrawlRun, Record, utcnow  # noqa: E402

KEYS = [f"a{i:02d}" for i in range(1, 13)]


def _warc_records(evidence: Path) -> int:
    count = 0
    for path in sorted((evidence / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            count += sum(1 for r in ArchiveIterator(fh) if r.rec_type == "response")
    return count


def _state(data_dir: Path, url: str) -> dict[str, Any]:
    engine = make_engine(url)
    with Session(engine) as session:
        runs = session.exec(select(CrawlRun).order_by(CrawlRun.id)).all()  # type: ignore[arg-type]
        state = {
            "run": runs[-1],
            "captures": len(session.exec(select(Capture)).all()),
            "records": {r.url.rsplit("/", 1)[-1]: r for r in session.exec(select(Record)).all()},
            "warc": _warc_records(data_dir / "evidence"),
        }
    engine.dispose()
    return state


@pytest.fixture(scope="module")
def crawls(
    tmp_path_factory: pytest.TempPathFactory, databases: Any
) -> Iterator[list[dict[str, Any]]]:
    data_dir = tmp_path_factory.mktemp("incremental")
    url = databases.url(data_dir)
    states = []
    with DemoServer(build_world(7, 30)) as server:

        def crawl(keys: list[str]) -> None:
            start = f"{server.url}/trap/search?" + "&".join(f"t=ad:{k}" for k in keys)
            done = run_crawl(data_dir, server.url, start, VIGIE_DATABASE_URL=url)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            states.append(_state(data_dir, url))

        crawl(KEYS)
        server.site.traps.titles["a01"] = "Carwash – nouveau titre"
        server.site.traps.removed.add("a12")
        crawl(KEYS[:-1])  # a01 changed, a12 taken down, a02…a11 unchanged
        yield states


def test_first_crawl_archives_every_page(crawls: list[dict[str, Any]]) -> None:
    first = crawls[0]
    assert len(first["records"]) == 12
    # robots.txt, the entry page, twelve ads: one capture and one WARC record each.
    assert first["captures"] == first["warc"] == 14
    assert all(r.seen_count == 1 and r.gone_at is None for r in first["records"].values())


def test_unchanged_pages_are_not_archived_again(crawls: list[dict[str, Any]]) -> None:
    first, second = crawls
    incremental = second["run"].report["incremental"]
    # robots.txt and the ten unchanged ads: conditional requests answered 304.
    assert incremental["not_modified"] == 11
    unchanged = [f"a{i:02d}" for i in range(2, 12)]
    for key in unchanged:
        record, before = second["records"][key], first["records"][key]
        assert record.seen_count == 2
        assert record.last_seen > before.last_seen
        assert record.first_seen == before.first_seen
        assert record.capture_id == before.capture_id and record.last_capture_id is None
        assert record.gone_at is None


def test_changed_page_is_archived_and_vanished_ad_is_gone(crawls: list[dict[str, Any]]) -> None:
    second = crawls[1]
    report = second["run"].report
    assert report["complete"] is True
    # New captures: the changed ad, and the entry page (a new URL: it lists one ad fewer).
    assert report["incremental"]["archived"] == 2
    assert second["captures"] == second["warc"] == 16
    changed = second["records"]["a01"]
    assert changed.title == "Carwash – nouveau titre"
    assert changed.last_capture_id is not None and changed.last_capture_id != changed.capture_id
    assert changed.seen_count == 2
    gone = second["records"]["a12"]
    assert gone.gone_at is not None and gone.seen_count == 1
    assert abs((gone.gone_at - second["run"].finished_at).total_seconds()) < 5
    assert report["gone"] == 1
    assert [k for k, r in second["records"].items() if r.gone_at is not None] == ["a12"]


def _response(url: str, body: bytes) -> HtmlResponse:
    return HtmlResponse(
        url, body=body, request=Request(url), headers={"Content-Type": "text/html; charset=utf-8"}
    )


def test_identical_body_without_validators_is_one_capture(settings, engine) -> None:
    store = EvidenceStore(settings.evidence_dir, name="t")
    mw = CaptureMiddleware(store, engine, run_id=None)
    url = "http://127.0.0.1:9/jobs/ad/7"
    first = _response(url, b"<h1>Aide-m\xc3\xa9nager</h1>")
    mw.process_response(first.request, first)
    again = _response(url, b"<h1>Aide-m\xc3\xa9nager</h1>")
    mw.process_response(again.request, again)
    other = _response(url, b"<h1>Aide-m\xc3\xa9nag\xc3\xa8re</h1>")
    mw.process_response(other.request, other)
    store.close()
    with Session(engine) as session:
        caps = session.exec(select(Capture).order_by(Capture.id)).all()  # type: ignore[arg-type]
    assert len(caps) == 2
    assert again.request.meta["vigie_capture_id"] == caps[0].id
    assert again.request.meta["vigie_capture_reused"] is True
    assert other.request.meta["vigie_capture_id"] == caps[1].id
    assert _warc_records(settings.evidence_dir) == 2


def test_gone_record_seen_again_is_cleared_and_failed_pages_are_not_gone(engine) -> None:
    with Session(engine) as session:
        cap = Capture(
            url="u",
            final_url="u",
            status=200,
            sha256="0" * 64,
            warc_file="w",
            warc_offset=0,
            warc_length=1,
        )
        session.add(cap)
        session.commit()

        def item(ident: str) -> dict[str, Any]:
            return {
                "kind": "job_ad",
                "source": "jobs",
                "url": f"http://x/jobs/ad/{ident}",
                "capture_id": cap.id,
                "fields": {"external_id": ident, "title": "T"},
                "normalized": {},
            }

        old, failed = upsert_record(session, item("1")), upsert_record(session, item("2"))
        past = utcnow() - timedelta(days=2)
        old.last_seen = failed.last_seen = past
        session.add_all([old, failed])
        session.commit()
        since = utcnow() - timedelta(hours=1)
        gone = mark_gone(session, "jobs", since, utcnow(), {"http://x/jobs/ad/2"})
        session.commit()
        assert gone == 1 and old.gone_at is not None and failed.gone_at is None
        again = upsert_record(session, item("1"), since)  # the same capture, seen again
        assert again.id == old.id and again.gone_at is None and again.seen_count == 2
        assert again.last_seen > since
