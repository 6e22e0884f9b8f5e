"""Dossiers: building one, and its four exports (report HTML/PDF, JSON, evidence bundle, FtM),
on the review test world (real WARC captures, a screenshot, XSS payloads in scraped fields)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session, select

from review.dossier_export import (
    dossier_json,
    export_dossier,
    ftm_entities,
    render_report,
    write_bundle,
)
from storage.audit import verify_chain
from storage.dossiers import DossierError, add_item, create_dossier, dossier_contents, remove_item
from storage.evidence import EvidenceStore, sha256_hex
from storage.models import AuditEvent, Person
from storage.queries import NotFoundError
from tests.review.conftest import XSS_FLAG, XSS_IMG, XSS_SCRIPT
from tests.vigie_cli import run_vigie
from vigie.verify import verify_bundle


@pytest.fixture
def dossier(engine, world) -> int:
    with Session(engine) as s:
        d = create_dossier(s, "Nettoyage Rapide — cash wages", "rita", "PV-2024/0042")
        add_item(s, d.id, "rita", signal_id=world.signal_id, note=f"seen twice {XSS_SCRIPT}")
        add_item(s, d.id, "rita", signal_id=world.signal_ids["low_wage"])
        add_item(s, d.id, "rita", employer_id=world.other_employer_id)
        add_item(s, d.id, "rita", note="Visit planned with the labour inspectorate.")
        s.commit()
        return d.id


def test_building_a_dossier_is_audited_and_refuses_nonsense(engine, world, dossier) -> None:
    with Session(engine) as s:
        with pytest.raises(DossierError, match="already in dossier"):
            add_item(s, dossier, "rita", signal_id=world.signal_id)
        with pytest.raises(DossierError, match="nothing to add"):
            add_item(s, dossier, "rita")
        with pytest.raises(NotFoundError):
            add_item(s, dossier, "rita", signal_id=99999)
        with pytest.raises(DossierError, match="needs a title"):
            create_dossier(s, "   ", "rita")
        s.rollback()
        contents = dossier_contents(s, dossier)
        assert [x.signal.id for x in contents.signals] == [world.signal_id,
                                                           world.signal_ids["low_wage"]]
        assert {e.id for e in contents.employers} == {world.employer_id, world.other_employer_id}
        assert [p.name for p in contents.persons] == ["Jean Dupont"]  # director of the employer
        assert [c.id for c in contents.captures] == [world.capture_id, world.json_capture_id]
        assert [n.note for n in contents.notes] == ["Visit planned with the labour inspectorate."]
        note_item = contents.notes[0]
        remove_item(s, dossier, note_item.id, "rita")
        s.commit()
        assert dossier_contents(s, dossier).notes == []
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions == ["dossier.create"] + ["dossier.add"] * 4 + ["dossier.remove"]
        assert verify_chain(s) == []


def test_json_and_report_carry_facts_sources_hashes_and_escape_scraped_text(engine, world,
                                                                            dossier) -> None:
    with Session(engine) as s:
        contents = dossier_contents(s, dossier)
        data = dossier_json(contents, "rita")
        html = render_report(contents, "rita")
    first = data["signals"][0]
    assert first["rule"] == "unregistered_employer" and first["evidence"][0]["capture_ids"] == [
        world.capture_id]
    captured = {c["id"]: c for c in data["captures"]}[world.capture_id]
    assert captured["url"] == "http://jobs.example.test/jobs/ad/17"
    assert captured["fetched_at"] == "2024-05-02T08:30:00Z" and len(captured["sha256"]) == 64
    assert data["dossier"]["case_ref"] == "PV-2024/0042"
    # the report: every payload shown as text, nothing that runs or loads
    for payload in (XSS_SCRIPT, XSS_IMG, XSS_FLAG):
        assert payload not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "default-src 'none'" in html
    assert captured["sha256"] in html and "2024-05-02T08:30:00Z" in html
    assert "PV-2024/0042" in html and "Jean Dupont" in html and "0123.456.749" in html


def test_evidence_bundle_verifies_and_any_tampering_is_named(engine, settings, world, dossier,
                                                             tmp_path: Path) -> None:
    store = EvidenceStore(settings.evidence_dir)
    with Session(engine) as s:
        result = write_bundle(dossier_contents(s, dossier), store, tmp_path / "b.zip", "rita")
    assert result.captures == 2
    manifest, problems = verify_bundle(result.path)
    assert problems == []
    with zipfile.ZipFile(result.path) as zf:
        names = zf.namelist()
        files = {n: zf.read(n) for n in names}
    assert f"warc/capture-{world.capture_id}.warc.gz" in names
    assert f"screenshots/{world.screenshot_sha256}.png" in names
    assert sha256_hex(files["manifest.json"]) == result.manifest_sha256
    # the WARC record in the bundle is byte for byte the one in the evidence store
    with Session(engine) as s:
        cap = next(c for c in dossier_contents(s, dossier).captures if c.id == world.capture_id)
    original = (settings.evidence_dir / cap.warc_file).read_bytes()
    assert files[f"warc/capture-{world.capture_id}.warc.gz"] == original[
        cap.warc_offset:cap.warc_offset + cap.warc_length]

    def rebuilt(change: dict[str, bytes | None], name: str) -> Path:
        out = tmp_path / name
        with zipfile.ZipFile(out, "w") as zf:
            for n, data in {**files, **change}.items():
                if data is not None:
                    zf.writestr(n, data)
        return out

    report = rebuilt({"report.html": files["report.html"].replace(b"PV-2024", b"PV-2023")},
                     "edited.zip")
    assert any("report.html: SHA-256" in p for p in verify_bundle(report)[1])
    extra = rebuilt({"warc/planted.warc.gz": b"x"}, "extra.zip")
    assert verify_bundle(extra)[1] == [
        "warc/planted.warc.gz: in the bundle but not in the manifest"]
    # a forged WARC record with its manifest entry updated: the crawl-time hash still catches it
    forged_body = files[f"warc/capture-{world.capture_id}.warc.gz"]
    raw = gzip.decompress(forged_body).replace("payé cash".encode(), "payé bien".encode())
    forged = gzip.compress(raw)
    forged_manifest = json.loads(files["manifest.json"])
    for f in forged_manifest["files"]:
        if f["path"] == f"warc/capture-{world.capture_id}.warc.gz":
            f.update(sha256=sha256_hex(forged), size=len(forged))
    forged_zip = rebuilt({f"warc/capture-{world.capture_id}.warc.gz": forged,
                          "manifest.json": json.dumps(forged_manifest).encode()}, "forged.zip")
    problems = verify_bundle(forged_zip)[1]
    assert len(problems) == 1 and "does not have the SHA-256 recorded at crawl time" in problems[0]
    missing = rebuilt({"dossier.json": None}, "missing.zip")
    assert verify_bundle(missing)[1] == ["dossier.json: listed in the manifest but missing"]


def test_followthemoney_entities_reference_each_other(engine, settings, world, dossier) -> None:
    with Session(engine) as s:
        entities = ftm_entities(dossier_contents(s, dossier), EvidenceStore(settings.evidence_dir))
    by_id = {e["id"]: e for e in entities}
    assert len(by_id) == len(entities)
    schemas = sorted({e["schema"] for e in entities})
    assert schemas == ["Address", "Company", "Directorship", "Document", "Documentation",
                       "Event", "Person"]
    company = next(e for e in entities if e["schema"] == "Company"
                   and e["properties"]["registrationNumber"] == ["0123456749"])
    assert company["properties"]["vatCode"] == ["BE0123456749"]
    assert company["properties"]["jurisdiction"] == ["be"]
    [directorship] = [e for e in entities if e["schema"] == "Directorship"]
    assert by_id[directorship["properties"]["director"][0]]["properties"]["name"] == [
        "Jean Dupont"]
    assert directorship["properties"]["organization"] == [company["id"]]
    for e in entities:  # every entity reference resolves inside the export
        for prop in ("director", "organization", "document", "entity", "involved",
                     "addressEntity"):
            for ref in e["properties"].get(prop, []):
                assert ref in by_id, (e["schema"], prop)
    doc = next(e for e in entities if e["schema"] == "Document"
               and e["properties"]["sourceUrl"] == ["http://jobs.example.test/jobs/ad/17"])
    assert len(doc["properties"]["contentHash"][0]) == 40  # SHA-1, as Aleph expects
    assert doc["properties"]["notes"][0].startswith("sha256:")


def test_export_is_audited_with_the_hash_of_what_left(engine, settings, world, dossier) -> None:
    store = EvidenceStore(settings.evidence_dir)
    with Session(engine) as s:
        exported = export_dossier(s, dossier, "json", store, "rita")
        s.commit()
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "dossier.export")).one()
    assert event.user == "rita" and event.details["sha256"] == sha256_hex(exported.data)
    assert json.loads(exported.data)["dossier"]["id"] == dossier


def test_pdf_report_is_printed_by_chromium(engine, settings, world, dossier) -> None:
    with Session(engine) as s:
        exported = export_dossier(s, dossier, "pdf", EvidenceStore(settings.evidence_dir),
                                  "rita", settings.chromium_executable, settings.data_dir)
    assert exported.data.startswith(b"%PDF-") and len(exported.data) > 5000


def test_cli_builds_exports_and_verifies_a_bundle(engine, settings, world, tmp_path) -> None:
    env = {**os.environ, "VIGIE_DATA_DIR": str(settings.data_dir), "COLUMNS": "200",
           "VIGIE_DATABASE_URL": settings.db_url}  # SQLite file or the test's PostgreSQL db

    def vigie(*args: str) -> subprocess.CompletedProcess[str]:
        return run_vigie(list(args), env)

    made = vigie("dossier", "create", "Carousel Brussels", "--case", "PV-7", "--user", "rita")
    assert made.returncode == 0, made.stderr
    dossier_id = made.stdout.split()[1]
    added = vigie("dossier", "add", dossier_id, "--signal", str(world.signal_id), "--user", "rita")
    assert added.returncode == 0 and "1 item(s) added" in added.stdout, added.stderr
    twice = vigie("dossier", "add", dossier_id, "--signal", str(world.signal_id))
    assert twice.returncode != 0 and "already in dossier" in twice.stderr
    bundle = tmp_path / "out" / "bundle.zip"
    exported = vigie("dossier", "export", dossier_id, "--out", str(bundle), "--user", "rita")
    assert exported.returncode == 0, exported.stderr
    ok = vigie("evidence", "verify-bundle", str(bundle))
    assert ok.returncode == 0 and "all hashes match" in ok.stdout, ok.stderr
    with zipfile.ZipFile(bundle) as zf, zipfile.ZipFile(tmp_path / "bad.zip", "w") as bad:
        for n in zf.namelist():
            data = zf.read(n)
            bad.writestr(n, data.replace(b"Carousel", b"Carrousel") if n == "dossier.json"
                         else data)
    failed = vigie("evidence", "verify-bundle", str(tmp_path / "bad.zip"))
    assert failed.returncode == 1 and "dossier.json: SHA-256 or size differs" in failed.stderr
    with Session(engine) as s:
        assert s.exec(select(Person)).first() is not None
        exports = s.exec(select(AuditEvent).where(AuditEvent.action == "dossier.export")).all()
        assert [e.user for e in exports] == ["rita"]
