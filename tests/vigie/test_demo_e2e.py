"""`vigie demo --no-serve` in a fresh data folder: the whole path, real at every step.

The world has 60 ads (``--size 60``: 60 ads per board, 20 classifieds listings): the smallest
size at which every signal kind, the reposted-ad clusters across boards and every source's
expected minimum are still there (at 45 the XML feed falls below its minimum of 10 items)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlmodel import Session, select

from storage.db import make_engine
from storage.models import Capture, CrawlRun, Match, Record, Signal, SignalEvidence
from tests import vigie_zygote as zygote
from tests.vigie_cli import run_vigie
from vigie import demo_run

# The module's demo run (seven crawls, Chromium among them) is set up inside the first test's
# timeout: more than the default on a busy machine.
pytestmark = pytest.mark.timeout(600)
SIZE = 60  # ads on the job board

RULES = {
    "unregistered_employer",
    "inactive_enterprise",
    "exploitation_wording",
    "carousel",
    "foreign_firm",
    "domiciliation",
    "recent_enterprise_many_ads",
}


def _vigie(data_dir: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``vigie ARGS`` through the CLI's entry point in this process (no reactor runs here:
    ``vigie demo`` starts each crawl as a process of its own, as ``python -m vigie`` would)."""
    env = {**os.environ, "VIGIE_DATA_DIR": str(data_dir), "COLUMNS": "200",
           "VIGIE_DATABASE_URL": url,
           # the 500 page's three retries 0.35 s apart in all instead of 7 s (same retries)
           "VIGIE_RETRY_BACKOFF_BASE": "0.05"}
    return run_vigie(list(args), env)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, databases: Any) -> Path:
    data_dir = tmp_path_factory.mktemp("demo") / "var"
    # Each crawl in a process of its own, forked by the test process's zygote (the imports
    # done once: tests/vigie_zygote.py) instead of a new Python.
    with mock.patch.object(demo_run, "subprocess", zygote.subprocess_module()):
        done = _vigie(data_dir, databases.url(data_dir, migrate=False), "demo", "--no-serve",
                      "--size", str(SIZE))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "signals by type" in done.stdout
    return data_dir


@pytest.fixture(scope="module")
def demo_url(demo_dir: Path, databases: Any) -> str:
    """The demo's database (the same URL the demo run was given)."""
    return databases.url(demo_dir)


@pytest.fixture(scope="module")
def session(demo_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(demo_url)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_every_signal_kind_is_raised(session: Session) -> None:
    rules = {s.rule for s in session.exec(select(Signal)).all()}
    assert RULES <= rules, f"missing: {RULES - rules}"


def test_every_signal_links_to_a_record_and_a_capture(session: Session) -> None:
    for signal in session.exec(select(Signal)).all():
        links = session.exec(
            select(SignalEvidence).where(SignalEvidence.signal_id == signal.id)
        ).all()
        records = [session.get(Record, link.record_id) for link in links if link.record_id]
        captures = [session.get(Capture, link.capture_id) for link in links if link.capture_id]
        assert records and all(records), f"signal {signal.id} ({signal.rule}) has no record"
        assert captures and all(captures), f"signal {signal.id} ({signal.rule}) has no capture"
        for record in records:
            assert session.get(Capture, record.capture_id) is not None
        assert signal.rationale and len(signal.rationale) > 40


def test_matches_carry_explanations(session: Session) -> None:
    matches = session.exec(select(Match)).all()
    assert len(matches) > 30
    for match in matches:
        assert match.explanation and all(f["reason"] for f in match.explanation)
        assert match.matcher_version


def test_browser_captures_have_screenshots(session: Session) -> None:
    listings = session.exec(select(Record).where(Record.kind == "listing")).all()
    assert listings
    for record in listings:
        capture = session.get(Capture, record.capture_id)
        assert capture is not None and capture.renderer == "browser"
        assert capture.screenshot_sha256 and capture.screenshot_path


def test_faults_are_reported_not_crashed(session: Session) -> None:
    run = session.exec(select(CrawlRun).where(CrawlRun.spider == "jobs")).one()
    assert run.status == "finished" and run.finished_at is not None
    assert run.purpose.startswith("demo:") and run.launched_by == "demo"
    problems = {(p["kind"], p["url"].rsplit("/", 1)[-1]) for p in run.report["problems"]}
    assert ("http_500", "fault-500") in problems
    assert ("parse", "fault-malformed") in problems
    assert ("encoding", "fault-encoding") in problems
    assert run.items_scraped >= SIZE  # every ad of the board
    assert run.report["coverage"]["covered"] is True
    # the world is big enough for every source: none fell below its expected minimum
    statuses = {r.spider: r.status for r in session.exec(select(CrawlRun)).all()}
    assert statuses == dict.fromkeys(
        ("registry", "gazette", "jobs", "board2", "jobfeed", "listings", "websites"), "finished")


def test_signals_list_formats(demo_dir: Path, demo_url: str) -> None:
    done = _vigie(demo_dir, demo_url, "signals", "list", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert RULES <= {row["rule"] for row in rows}
    done = _vigie(demo_dir, demo_url, "signals", "list", "--format", "csv", "--rule", "carousel")
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("id,rule,severity")
    assert len(lines) > 1 and all(",carousel," in line for line in lines[1:])


def test_evidence_verify_passes_then_names_a_tampered_capture(
    demo_dir: Path, demo_url: str, session: Session
) -> None:
    done = _vigie(demo_dir, demo_url, "evidence", "verify")
    assert done.returncode == 0, done.stderr
    assert "all hashes match" in done.stdout
    # Tamper with one archived byte of one capture's WARC record.
    capture = session.exec(
        select(Capture).where(Capture.renderer == "http").order_by(Capture.id.desc())
    ).first()  # type: ignore[union-attr]
    assert capture is not None
    path = demo_dir / "evidence" / capture.warc_file
    data = bytearray(path.read_bytes())
    middle = capture.warc_offset + capture.warc_length // 2
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    done = _vigie(demo_dir, demo_url, "evidence", "verify")
    assert done.returncode == 1
    assert f"capture {capture.id} " in done.stderr
    assert "FAILED verification" in done.stderr


def test_review_api_and_pages_serve_every_demo_signal(
    demo_dir: Path, demo_url: str, session: Session
) -> None:
    import re

    from fastapi.testclient import TestClient

    from review.app import create_app
    from review.auth import create_user
    from storage.db import session_scope
    from vigie.settings import Settings

    settings = Settings(data_dir=demo_dir, secret_key="e2e-secret-key-0123456789abcdef",
                        database_url=demo_url)
    engine = make_engine(settings.db_url)
    with session_scope(engine) as s:
        create_user(s, "e2e", "e2e-password-long", "reviewer")
    with TestClient(create_app(settings, engine)) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        client.post("/login", data={"username": "e2e", "password": "e2e-password-long",
                                    "csrf_token": token, "next": "/signals"})
        for rule in sorted(RULES):
            signal = session.exec(select(Signal).where(Signal.rule == rule)).first()
            assert signal is not None
            api = client.get(f"/api/signals/{signal.id}")
            assert api.status_code == 200, api.text
            html = client.get(f"/signals/{signal.id}")
            assert html.status_code == 200
            assert "/captures/" in html.text
        matched = session.exec(select(Signal).where(Signal.rule == "unregistered_employer")).first()
        detail = client.get(f"/api/signals/{matched.id}").json()
        text = json.dumps(detail)
        assert "identical to the register" in text or "similar" in text
    engine.dispose()


def test_runs_are_listed_and_launches_audited(
    demo_dir: Path, demo_url: str, session: Session
) -> None:
    from storage.audit import verify_chain
    from storage.models import AuditEvent

    done = _vigie(demo_dir, demo_url, "runs", "list")
    assert done.returncode == 0 and "registry" in done.stdout and "listings" in done.stdout
    run = session.exec(select(CrawlRun).where(CrawlRun.spider == "jobs")).one()
    shown = json.loads(_vigie(demo_dir, demo_url, "runs", "show", str(run.id)).stdout)
    assert shown["purpose"] == run.purpose and shown["report"]["problems"]
    launches = session.exec(select(AuditEvent).where(AuditEvent.action == "crawl.launch")).all()
    from vigie.demo_run import SPIDERS

    assert {e.details["spider"] for e in launches} == set(SPIDERS)
    assert {"registry", "gazette", "jobs", "board2", "jobfeed", "listings", "websites"} <= set(
        SPIDERS)
    assert all(e.details["purpose"].startswith("demo:") for e in launches)
    assert verify_chain(session) == []


def test_the_same_ad_on_several_boards_is_one_cluster(demo_dir: Path, session: Session) -> None:
    from storage.models import ClusterMember, EntityCluster, Record

    clusters = session.exec(select(EntityCluster).where(EntityCluster.kind == "job_ad")).all()
    assert clusters, "the demo's reposted ads must be clustered"
    spanning = [c for c in clusters if {"jobs", "board2"} <= set(c.sources or [])]
    assert spanning, [c.sources for c in clusters[:5]]
    members = session.exec(select(ClusterMember, Record)
                           .join(Record, ClusterMember.record_id == Record.id)
                           .where(ClusterMember.cluster_id == spanning[0].id)).all()
    assert {r.source for _, r in members} >= {"jobs", "board2"}
    assert all(m.reason for m, _ in members)
    gazette = session.exec(select(Record).where(Record.kind == "gazette")).first()
    assert gazette is not None and gazette.normalized.get("rubric_code")
