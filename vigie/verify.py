"""Evidence integrity: every capture re-read from its WARC file and re-hashed."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import track
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage import EvidenceError
from storage.evidence import EvidenceStore, sha256_hex
from storage.models import Capture


def verify_evidence(
    engine: Engine, evidence_dir: Path, console: Console | None = None
) -> tuple[int, list[str]]:
    """Return (captures checked, problems); a problem names the capture and what differs."""
    store = EvidenceStore(evidence_dir)
    problems: list[str] = []
    with Session(engine) as session:
        captures = session.exec(select(Capture).order_by(Capture.id)).all()  # type: ignore[arg-type]
    for cap in track(
        captures,
        description="verifying captures",
        console=console,
        disable=console is None or len(captures) < 50,
    ):
        where = f"capture {cap.id} ({cap.url}, {cap.warc_file}@{cap.warc_offset})"
        try:
            body = store.read_body(cap.warc_file, cap.warc_offset)
        except EvidenceError as exc:
            problems.append(f"{where}: unreadable: {exc}")
            continue
        digest = sha256_hex(body)
        if digest != cap.sha256:
            problems.append(f"{where}: SHA-256 is {digest}, recorded {cap.sha256}")
        if cap.screenshot_path:
            try:
                shot = store.read_file(cap.screenshot_path)
            except EvidenceError as exc:
                problems.append(f"{where}: screenshot unreadable: {exc}")
                continue
            if sha256_hex(shot) != cap.screenshot_sha256:
                problems.append(f"{where}: screenshot {cap.screenshot_path} hash differs")
    return len(captures), problems


def verify_bundle(path: Path) -> tuple[dict, list[str]]:
    """Check a dossier's evidence bundle on its own (no database, no evidence store needed):
    every file listed in ``manifest.json`` is present with its SHA-256 and size, no file is
    there that the manifest does not list, and every WARC record holds the body whose SHA-256
    the manifest gives for its capture. Returns (manifest, problems)."""
    import json
    import zipfile

    from storage.evidence import record_payload

    problems: list[str] = []
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return {}, [f"{path}: not a readable zip ({exc})"]
    with zf:
        names = set(zf.namelist())
        if "manifest.json" not in names:
            return {}, [f"{path}: no manifest.json"]
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except ValueError as exc:
            return {}, [f"manifest.json is not valid JSON ({exc})"]
        listed = {f["path"]: f for f in manifest.get("files", [])}
        for extra in sorted(names - set(listed) - {"manifest.json"}):
            problems.append(f"{extra}: in the bundle but not in the manifest")
        contents: dict[str, bytes] = {}
        for name, entry in sorted(listed.items()):
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing")
                continue
            data = zf.read(name)
            contents[name] = data
            if sha256_hex(data) != entry.get("sha256") or len(data) != entry.get("size"):
                problems.append(f"{name}: SHA-256 or size differs from the manifest")
        for capture in manifest.get("captures", []):
            name = capture.get("warc_record")
            data = contents.get(name or "")
            if data is None:
                problems.append(f"capture {capture.get('id')}: its WARC record is missing")
                continue
            try:
                body = record_payload(data, name)
            except EvidenceError as exc:
                problems.append(f"capture {capture.get('id')}: {exc}")
                continue
            if sha256_hex(body) != capture.get("sha256"):
                problems.append(f"capture {capture.get('id')} ({capture.get('url')}): the archived "
                                "body does not have the SHA-256 recorded at crawl time")
            shot = capture.get("screenshot")
            if shot and shot in contents and sha256_hex(contents[shot]) != capture.get(
                    "screenshot_sha256"):
                problems.append(f"capture {capture.get('id')}: screenshot hash differs")
    return manifest, problems
