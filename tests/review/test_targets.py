"""Monthly target lists on the review test world: ranking per district, open signals only,
exports (CSV/XLSX neutralise formulas; PDF printed by Chromium), the page, the CLI."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from review.target_export import render
from signals.targets import TargetListError, build_target_list
from storage.models import AuditEvent, Employer, Signal
from tests.review.conftest import XSS_IMG, csrf_from
from tests.vigie_cli import run_vigie

FORMULA = "=HYPERLINK(\"http://evil.example\",\"x\")"


@pytest.fixture
def formula_employer(engine, world) -> int:
    with Session(engine) as s:
        emp = Employer(enterprise_number="0403170701", name=FORMULA, street="@SUM(A1)",
                       postcode="1000", municipality="Bruxelles", district="BRU")
        s.add(emp)
        s.flush()
        s.add(Signal(key="kf", rule="domiciliation", severity="low", title="Many firms",
                     rationale="x", subject_type="employer", subject_key=str(emp.id),
                     employer_id=emp.id, first_seen=datetime(2024, 5, 20, tzinfo=UTC),
                     last_seen=datetime(2024, 5, 20, tzinfo=UTC)))
        s.commit()
        return emp.id


def test_list_ranks_open_signals_of_the_month_by_district(engine, world) -> None:
    with Session(engine) as s:
        targets = build_target_list(s, "2024-05")
        april = build_target_list(s, "2024-04")
        with pytest.raises(TargetListError):
            build_target_list(s, "2024-13")
        with pytest.raises(TargetListError):
            build_target_list(s, "2024-05", "XYZ")
    rows = [r.as_dict() for r in targets.rows]
    assert [(r["district"], r["kind"], r["postcode"]) for r in rows] == [
        ("BRU", "seat", "1000"), ("BRU", "worksite", "1000"), ("LIE", "seat", "4000")]
    seat = rows[0]
    assert seat["street"] == "Rue Haute 12" and seat["score"] == 3 and seat["rank"] == 1
    assert seat["signal_ids"] == str(world.signal_id) and XSS_IMG in seat["enterprises"]
    assert rows[2]["top_severity"] == "medium"
    # April: only the high 'cash wages' signal (last seen 1 April)
    assert [(r.district, len(r.signal_ids)) for r in april.rows] == [("BRU", 1)]


def test_dismissed_signals_leave_the_list(engine, world) -> None:
    with Session(engine) as s:
        sig = s.get(Signal, world.signal_ids["low_wage"])
        sig.status = "dismissed"
        s.add(sig)
        s.commit()
        targets = build_target_list(s, "2024-05")
    assert "LIE" not in {r.district for r in targets.rows}


def test_spreadsheet_exports_neutralise_formulas(engine, world, formula_employer) -> None:
    with Session(engine) as s:
        targets = build_target_list(s, "2024-05", "BRU")
    rows = list(csv.DictReader(io.StringIO(render(targets, "csv").decode("utf-8-sig"))))
    firm = next(r for r in rows if "HYPERLINK" in r["enterprises"])
    assert firm["enterprises"].startswith("'=") and firm["street"] == "'@SUM(A1)"
    book = load_workbook(io.BytesIO(render(targets, "xlsx")))
    assert book.sheetnames == ["Summary", "BRU"]
    cells = [c for row in book["BRU"].iter_rows() for c in row]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'@SUM(A1)" in texts and not any(t.startswith(("=", "@")) for t in texts)
    assert all(c.data_type != "f" for c in cells)
    html = render(targets, "html").decode()
    assert XSS_IMG not in html and "&lt;img" in html


def test_pdf_is_printed(engine, settings, world) -> None:
    with Session(engine) as s:
        targets = build_target_list(s, "2024-05")
    pdf = render(targets, "pdf", settings.chromium_executable, settings.data_dir)
    assert pdf.startswith(b"%PDF-")


def test_page_and_export_by_role(user_client, app, engine, world) -> None:
    page = user_client.get("/targets?month=2024-05")
    assert page.status_code == 200 and "Rue Haute 12" in page.text
    assert XSS_IMG not in page.text and 'class="export-csv"' not in page.text  # analyst
    refused = user_client.post("/targets/export", data={
        "month": "2024-05", "format": "csv", "csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403


def test_reviewer_export_is_audited(reviewer_client, engine, world) -> None:
    page = reviewer_client.get("/targets?month=2024-05&district=LIE")
    assert 'class="export-xlsx"' in page.text
    done = reviewer_client.post("/targets/export", data={
        "month": "2024-05", "district": "LIE", "format": "xlsx",
        "csrf_token": csrf_from(page.text)})
    assert done.status_code == 200 and done.content.startswith(b"PK")
    with Session(engine) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "targets.export")).one()
    assert event.user == "rita" and event.details["sha256"] == done.headers["X-Content-SHA256"]


def test_cli_writes_the_list(engine, settings, world, tmp_path) -> None:
    env = {**os.environ, "VIGIE_DATA_DIR": str(settings.data_dir), "COLUMNS": "200",
           "VIGIE_DATABASE_URL": settings.db_url}  # SQLite file or the test's PostgreSQL db
    out = tmp_path / "t.csv"
    done = run_vigie(["targets", "--month", "2024-05", "--format", "csv", "--out", str(out)],
                     env)
    assert done.returncode == 0, done.stderr
    assert "3 addresses" in done.stdout and "Rue Haute 12" in out.read_text(encoding="utf-8-sig")
    table = run_vigie(["targets", "--month", "2024-05"], env)
    assert table.returncode == 0 and "Rue Haute 12" in table.stdout
    bad = run_vigie(["targets", "--month", "May"], env)
    assert bad.returncode != 0 and "YYYY-MM" in bad.stderr
