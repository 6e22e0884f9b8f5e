"""Fixtures of the pipeline tests: the shared ``settings``, its database given the model
columns still waiting for their migration (see ``tests/pending_schema.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))

from pending_schema import add_pending_columns  # noqa: E402

from vigie.settings import Settings  # noqa: E402


@pytest.fixture
def settings(settings: Settings) -> Settings:
    add_pending_columns(settings.db_url)
    return settings
