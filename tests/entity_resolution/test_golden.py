"""Golden pairs: outcome, score (2 decimals), method and reasons are pinned in
golden/pairs.json. After a deliberate change run ``tests/entity_resolution/er_golden.py`` and
review the diff of pairs.json line by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from er_golden import run_pair

GOLDEN = json.loads((Path(__file__).parent / "golden" / "pairs.json").read_text("utf-8"))


def test_golden_file_covers_the_cases() -> None:
    assert len(GOLDEN) >= 30
    outcomes = {p["outcome"] for p in GOLDEN}
    assert outcomes == {"match", "possible", "none"}


@pytest.mark.parametrize("pair", GOLDEN, ids=[p["id"] for p in GOLDEN])
def test_golden_pair(pair: dict[str, Any]) -> None:
    assert run_pair(pair) == pair
