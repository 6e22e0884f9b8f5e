"""A small but complete world for the review app: employers, records, real WARC captures with a
screenshot, a match with its explanation, signals of several rules/severities/districts — and
hostile strings (XSS payloads) in every scraped field that the pages show."""

from __future__ import annotations

import re
import sqlite3
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

import review.auth
from review.app import create_app
from review.auth import hash_password
from storage.db import make_engine, upgrade
from storage.evidence import EvidenceStore
from storage.models import (
    Capture,
    Employer,
    Match,
    Person,
    Record,
    Role,
    Signal,
    SignalEvidence,
    User,
)
from vigie.settings import Settings

PASSWORD = "correct horse battery"
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_FLAG = "<img src=x onerror=\"window.__xss=1\">"
CAPTURED_TEXT = "Nettoyeur (H/F) - Bruxelles, payé cash"
CAPTURED_HTML = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Offre</title>
<link rel="stylesheet" href="http://198.51.100.7/live.css">
<script>window.__xss = 1; alert("captured page script ran");</script></head>
<body><h1 class="job-title">{CAPTURED_TEXT}</h1>
<p class="job-company">Nettoyage Rapide SRL</p>
<p class="job-salary">cash 6€/h</p>
<img src="http://198.51.100.7/tracker.png" alt="tracker">
<img src=x onerror="window.__xss=1; alert(2)">
</body></html>""".encode()


def make_png(width: int = 160, height: int = 90) -> bytes:
    """A real PNG (RGB, a simple gradient) built by hand: zlib + CRC'd chunks."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 120))
                           for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


@dataclass(frozen=True)
class World:
    employer_id: int
    other_employer_id: int
    record_id: int
    capture_id: int
    json_capture_id: int
    signal_id: int  # the high-severity one, with employer, match and evidence
    signal_ids: dict[str, int]  # rule -> id
    screenshot_sha256: str


def _capture(store: EvidenceStore, url: str, body: bytes, content_type: str,
             fetched_at: datetime, screenshot: tuple[str, str] | None = None) -> Capture:
    stored = store.write_response(url, 200, [("Content-Type", content_type)], body,
                                  fetched_at=fetched_at)
    return Capture(
        url=url, final_url=url, status=200, headers={"Content-Type": content_type},
        content_type=content_type, fetched_at=stored.fetched_at, sha256=stored.sha256,
        length=stored.length, warc_file=stored.warc_file, warc_offset=stored.warc_offset,
        warc_length=stored.warc_length, renderer="browser" if screenshot else "http",
        screenshot_sha256=screenshot[0] if screenshot else None,
        screenshot_path=screenshot[1] if screenshot else None,
    )


def build_world(settings: Settings, engine: Engine) -> World:
    store = EvidenceStore(settings.evidence_dir, name="test")
    shot = store.write_screenshot(make_png())
    cap = _capture(store, "http://jobs.example.test/jobs/ad/17", CAPTURED_HTML,
                   "text/html; charset=utf-8", datetime(2024, 5, 2, 8, 30, 0, tzinfo=UTC), shot)
    cap_json = _capture(store, "http://jobs.example.test/api/ad/17",
                        b'{"title": "<script>alert(1)</script>"}', "application/json",
                        datetime(2024, 5, 2, 8, 31, 0, tzinfo=UTC))
    store.close()
    with Session(engine, expire_on_commit=False) as s:
        s.add_all([cap, cap_json])
        s.flush()
        emp = Employer(
            enterprise_number="0123456749", name=f"{XSS_IMG}Nettoyage Rapide SRL",
            legal_form="SRL", status="AC", juridical_situation="000",
            juridical_situation_label="Situation normale", start_date=date(2019, 3, 1),
            onss_employer=False, street="Rue Haute 12", postcode="1000",
            municipality="Bruxelles", district="bruxelles",
        )
        other = Employer(enterprise_number="0987654321", name="Car Wash Liège SPRL",
                         status="AC", onss_employer=True, onss_since=date(2015, 1, 1),
                         postcode="4000", municipality="Liège", district="liege")
        s.add_all([emp, other])
        s.flush()
        record = Record(
            kind="job_ad", source="demo_jobs", url=cap.url, capture_id=cap.id,
            fingerprint="fp-17", title=f"Nettoyeur {XSS_SCRIPT}",
            employer_name=f"Nettoyage Rapide {XSS_IMG}", enterprise_number="BE 0123.456.749",
            postcode="1000", district="bruxelles",
            raw={"title": f"Nettoyeur {XSS_SCRIPT}", "salary_text": "cash 6€/h"},
            provenance={"title": "jsonld:title", "salary_text": "css:.job-salary"},
            first_seen=datetime(2024, 5, 2, 8, 30, tzinfo=UTC),
            last_seen=datetime(2024, 5, 9, 8, 30, tzinfo=UTC),
        )
        s.add(record)
        s.flush()
        s.add(Match(
            record_id=record.id, employer_id=emp.id, score=0.97, method="enterprise_number",
            outcome="match", matcher_version="matcher-1.0",
            explanation=[
                {"name": "enterprise_number", "score": 1.0, "weight": 0.7,
                 "reason": "The ad gives enterprise number 0123.456.749, the register's number."},
                {"name": "name", "score": 0.9, "weight": 0.3,
                 "reason": f"Names agree after removing the legal form {XSS_SCRIPT}."},
            ],
        ))
        person = Person(name="Jean Dupont", key="dupont jean")
        s.add(person)
        s.flush()
        s.add(Role(person_id=person.id, employer_id=emp.id, function="Gérant",
                   start_date=date(2019, 3, 1)))
        specs = [
            ("unregistered_employer", "high", "bruxelles", emp.id, datetime(2024, 5, 9, tzinfo=UTC),
             f"{XSS_SCRIPT} Job ad by an employer not registered with ONSS",
             f"The ad names {XSS_FLAG} an enterprise that is active in the register "
             "but is not an ONSS employer.\nWages are offered in cash."),
            ("low_wage", "medium", "liege", other.id, datetime(2024, 5, 10, tzinfo=UTC),
             "Hourly wage far below the legal minimum", "6 EUR/h offered."),
            ("foreign_vat", "low", "gent", None, datetime(2024, 5, 8, tzinfo=UTC),
             "Service listing with a foreign VAT number", "PL VAT number on a BE listing."),
            ("low_wage", "high", "bruxelles", emp.id, datetime(2024, 4, 1, tzinfo=UTC),
             "Cash wages offered", "Cash payment advertised."),
        ]
        ids: dict[str, int] = {}
        first_id = None
        for i, (rule, sev, district, emp_id, seen, title, rationale) in enumerate(specs):
            sig = Signal(key=f"k{i}", rule=rule, severity=sev, title=title, rationale=rationale,
                         subject_type="employer", subject_key=str(emp_id), employer_id=emp_id,
                         district=district, facts={"salary_text": "cash 6€/h", "hourly": 6.0},
                         first_seen=seen, last_seen=seen, occurrences=i + 1)
            s.add(sig)
            s.flush()
            ids.setdefault(rule, sig.id)
            first_id = first_id or sig.id
        s.add(SignalEvidence(signal_id=first_id, record_id=record.id, capture_id=cap.id))
        s.add(SignalEvidence(signal_id=ids["low_wage"], capture_id=cap_json.id))
        s.commit()
        return World(emp.id, other.id, record.id, cap.id, cap_json.id, first_id, ids, shot[0])


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("review-db") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def engine(settings: Settings, migrated_template: Path) -> Iterator[Engine]:
    """Same contract as the shared ``engine`` fixture (a migrated SQLite database in the
    settings' data folder), but migrated once per session and copied: these tests make many.
    On PostgreSQL the shared fixtures already give each test a migrated copy."""
    if not settings.db_url.startswith("sqlite"):
        eng = make_engine(settings.db_url)
        yield eng
        eng.dispose()
        return
    target = Path(settings.db_url.split("///", 1)[1])
    src, dst = sqlite3.connect(migrated_template), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    eng = make_engine(settings.db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session", autouse=True)
def product_hasher() -> Iterator[PasswordHasher]:
    """argon2 at the product's strength costs a few hundred ms of CPU per login on this
    machine, and the role matrix alone logs in thousands of times: these tests, which are
    about who may do what, hash with argon2id at its minimum cost. The product's own hasher
    (yielded) is checked in test_auth.py, the upgrade of weaker hashes at login included."""
    real = review.auth._hasher
    review.auth._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    try:
        yield real
    finally:
        review.auth._hasher = real


@pytest.fixture(scope="session")
def password_hash() -> str:
    """argon2 is slow on purpose: hash the test password once, not for every test."""
    return hash_password(PASSWORD)


@pytest.fixture
def world(settings: Settings, engine: Engine) -> World:
    return build_world(settings, engine)


@pytest.fixture
def app(settings: Settings, engine: Engine, world: World, password_hash: str):  # noqa: ANN201
    with Session(engine) as s:
        s.add(User(username="alice", password_hash=password_hash, role="analyst"))
        s.add(User(username="rita", password_hash=password_hash, role="reviewer"))
        s.commit()
    return create_app(settings, engine)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(app) as c:
        yield c


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def login(client: TestClient, username: str = "alice", password: str = PASSWORD,
          follow: bool = False):  # noqa: ANN201
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_from(page.text), "next": "/signals"},
                       follow_redirects=follow)


@pytest.fixture
def user_client(client: TestClient) -> TestClient:
    response = login(client)
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def reviewer_client(client: TestClient) -> TestClient:
    """Logged in as rita, a reviewer: the role that may decide (see review/permissions.py)."""
    response = login(client, "rita")
    assert response.status_code == 303, response.text
    return client
