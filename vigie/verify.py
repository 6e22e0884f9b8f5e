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
