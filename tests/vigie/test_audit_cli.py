"""``vigie audit verify`` on a real SQLite log: intact, an edited row, a removed newest row."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session

from storage.audit import append_event
from storage.db import make_engine, upgrade


def _vigie(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIGIE_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    env.pop("VIGIE_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "vigie", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_audit_verify_detects_edits_and_removed_newest_rows(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir()
    db = data / "vigie.sqlite3"
    url = f"sqlite:///{db}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        for i in range(5):
            append_event(s, "rita", "signal.view", f"signal:{i}", {"via": "page"})
        s.commit()
    engine.dispose()

    ok = _vigie(data, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    found = re.search(r"5 audit events verified; head ([0-9a-f]{64})", ok.stdout)
    assert found, ok.stdout
    head = found.group(1)

    con = sqlite3.connect(db)
    con.execute("DELETE FROM auditevent WHERE id = (SELECT max(id) FROM auditevent)")
    con.commit()
    # the chain alone still looks intact; the noted head shows the removal
    assert _vigie(data, "audit", "verify").returncode == 0
    cut = _vigie(data, "audit", "verify", "--expect-head", head)
    assert cut.returncode == 1 and "no longer in the log" in cut.stderr

    con.execute("UPDATE auditevent SET user = 'mallory' WHERE id = 2")
    con.commit()
    con.close()
    edited = _vigie(data, "audit", "verify")
    assert edited.returncode == 1
    assert "audit event 2: its hash does not match its content" in edited.stderr
