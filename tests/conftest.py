"""Fixtures shared by every room's tests: a fresh Settings, a migrated SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from storage.db import make_engine, upgrade
from vigie.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(data_dir=tmp_path / "var", secret_key="test-secret-key-0123456789abcdef")
    s.ensure_dirs()
    return s


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    upgrade(settings.db_url)
    eng = make_engine(settings.db_url)
    yield eng
    eng.dispose()
