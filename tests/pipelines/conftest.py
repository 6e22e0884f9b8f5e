"""The shared ``settings`` fixture, with its database migrated (crawl tests read it directly)."""

from __future__ import annotations

from typing import Any

import pytest

from vigie.settings import Settings


@pytest.fixture
def settings(settings: Settings, databases: Any) -> Settings:
    # SQLite: the folder's file becomes a copy of the migrated template (tests/conftest.py);
    # a PostgreSQL test database is migrated already (the same URL is returned).
    databases.url(settings.data_dir)
    return settings
