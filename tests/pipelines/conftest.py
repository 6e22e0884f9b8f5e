"""The shared ``settings`` fixture, with its database migrated (crawl tests read it directly)."""

from __future__ import annotations

import pytest

from storage.db import upgrade
from vigie.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    if settings.db_url.startswith("sqlite"):  # a PostgreSQL test database is migrated already
        upgrade(settings.db_url)
    return settings
