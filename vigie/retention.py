"""Retention from the sources' YAML (``retention_days``) applied to the database and the
evidence store: see :mod:`storage.retention` for what is kept and how bytes are removed."""

from __future__ import annotations

from sqlmodel import Session

from spiders.source import list_sources, load_source
from storage.db import make_engine, upgrade
from storage.retention import PurgeReport, purge
from vigie.settings import Settings


def policies() -> dict[str, int]:
    """Source name → retention period in days, from every source's YAML."""
    return {name: load_source(name).retention_days for name in list_sources()}


def run_retention(settings: Settings, user: str, dry_run: bool = False) -> PurgeReport:
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            return purge(session, settings.evidence_dir, policies(), user, dry_run=dry_run)
    finally:
        engine.dispose()
