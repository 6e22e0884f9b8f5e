"""`vigie cluster` end to end: a database with listings, the command, its table."""

from __future__ import annotations

import os
import subprocess

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from storage.models import Capture, ClusterMember, EntityCluster, Record
from tests.vigie_cli import run_vigie
from vigie.settings import Settings


def _vigie(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIGIE_DATA_DIR": str(settings.data_dir), "COLUMNS": "200",
           "VIGIE_DATABASE_URL": settings.db_url}
    return run_vigie(list(args), env)


def test_cluster_command_prints_the_clusters_and_shared_lines(
    settings: Settings, engine: Engine
) -> None:
    SQLModel.metadata.create_all(
        engine, tables=[EntityCluster.__table__, ClusterMember.__table__]  # type: ignore[list-item]
    )
    # A scraped name with Rich markup in it must be printed as written, not interpreted.
    listings = [("[bold]Ménage Top[/bold]", "+32470123456"), ("Clean Express", "+32470123456")]
    listings += [(f"Wash {n} SPRL", "+3225550000") for n in range(12)]
    with Session(engine) as s:
        for n, (name, phone) in enumerate(listings):
            cap = Capture(url=f"https://zk.test/{n}", final_url=f"https://zk.test/{n}",
                          status=200, sha256="0" * 64, warc_file="t.warc.gz", warc_offset=0,
                          warc_length=0)
            s.add(cap)
            s.flush()
            s.add(Record(kind="listing", source="zoekertjes", url=cap.url, capture_id=cap.id,
                         fingerprint=f"fp{n}", title="Nettoyage", employer_name=name,
                         phone=phone))
        s.commit()
    done = _vigie(settings, "cluster")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "listing:1" in out and "same provider" in out
    assert "[bold]Ménage Top[/bold] (+1 other name)" in out
    assert "phone +32 2 555 00 00 is shared by 12 different names (more than 10)" in out
    assert "1 same-provider clusters (2 of 14 listings)" in out
    again = _vigie(settings, "cluster")
    assert "0 new, 0 changed, 0 removed, 1 unchanged" in again.stdout
