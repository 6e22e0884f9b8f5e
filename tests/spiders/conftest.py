"""Fixtures of the spider tests: the contract-shaped test site on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from site_pages import serve  # noqa: E402


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    """Base URL of the test site (job board, register clone, JS classifieds)."""
    with serve() as base_url:
        yield base_url
