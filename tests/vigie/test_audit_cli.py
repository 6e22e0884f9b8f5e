"""``vigie audit verify`` on a real log (SQLite and PostgreSQL): intact, an edited row, a
removed newest row."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from storage.audit import append_event
from storage.db import make_engine
from tests.vigie_cli import run_vigie


def _vigie(data_dir: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIGIE_DATA_DIR": str(data_dir), "COLUMNS": "200",
           "VIGIE_DATABASE_URL": url}
    return run_vigie(list(args), env)


def test_audit_verify_detects_edits_and_removed_newest_rows(tmp_path: Path, databases) -> None:  # noqa: ANN001
    data = tmp_path / "var"
    url = databases.url(data)
    engine = make_engine(url)
    with Session(engine) as s:
        for i in range(5):
            append_event(s, "rita", "signal.view", f"signal:{i}", {"via": "page"})
        s.commit()

    ok = _vigie(data, url, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    found = re.search(r"5 audit events verified; head ([0-9a-f]{64})", ok.stdout)
    assert found, ok.stdout
    head = found.group(1)

    with engine.begin() as con:
        con.execute(text("DELETE FROM auditevent WHERE id = (SELECT max(id) FROM auditevent)"))
    # the chain alone still looks intact; the noted head shows the removal
    assert _vigie(data, url, "audit", "verify").returncode == 0
    cut = _vigie(data, url, "audit", "verify", "--expect-head", head)
    assert cut.returncode == 1 and "no longer in the log" in cut.stderr

    with engine.begin() as con:
        con.execute(text("""UPDATE auditevent SET "user" = 'mallory' WHERE id = 2"""))
    engine.dispose()
    edited = _vigie(data, url, "audit", "verify")
    assert edited.returncode == 1
    assert "audit event 2: its hash does not match its content" in edited.stderr
